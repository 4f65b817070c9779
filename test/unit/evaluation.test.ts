// One evaluator with limits for the editor's runs and the CLI (the language server's share them:
// test/lsp/errors.test.ts): a definition that never ends or eats all memory fails with a message
// naming the limit and where to change it, and leaves no process behind.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { DefinitionFailure, evaluateDefinition, EvaluationFailure } from '../../evaluator/evaluateDefinition';
import { cliLimits, EDITOR_LIMITS } from '../../evaluator/limits';
import { runCli } from '../../cli/main';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function definition(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `import conducto as co\n${body}\n`);
  return file;
}

/** Python processes still evaluating `file` (the whole process group must be gone). */
function leftovers(file: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(file) && !l.includes(' ps '));
}

const forever = (name: string) => definition(name, `import subprocess, time\nsubprocess.Popen(["sleep", "300", "${name}"])\nwhile True:\n    time.sleep(0.1)\n`);

test('a definition that never ends: the editor run stops at the setting and says so; nothing is left running', async () => {
  const file = forever('forever_editor.py');
  const started = Date.now();
  await assert.rejects(evaluateDefinition(file, { limits: { ...EDITOR_LIMITS, timeoutMs: 1500 } }), (err: Error) => {
    assert.ok(err instanceof EvaluationFailure && err.timedOut, String(err));
    assert.match(err.message, /took longer than 1\.5 s and was stopped.*the pipewright\.evaluation\.timeoutMs setting/s);
    assert.ok(err.message.includes(file), 'the message names the file');
    return true;
  });
  assert.ok(Date.now() - started < 6000, `stopped after ${Date.now() - started} ms`);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(leftovers('forever_editor.py'), [], 'the definition and what it started are gone');
});

test('a definition that never ends: the CLI stops at --eval-timeout, or PIPEWRIGHT_EVAL_TIMEOUT, naming both', async () => {
  const file = forever('forever_cli.py');
  const err: string[] = [];
  const io = { out: () => {}, err: (t: string) => void err.push(t) };
  const code = await runCli(['tree', file, '--eval-timeout', '1'], io);
  assert.equal(code, 1);
  assert.match(err.join(''), /pipewright tree: .*forever_cli\.py: Evaluating the pipeline definition took longer than 1 s and was stopped.*--eval-timeout SECONDS or PIPEWRIGHT_EVAL_TIMEOUT/s);
  assert.equal(cliLimits({}, { PIPEWRIGHT_EVAL_TIMEOUT: '2.5' }).timeoutMs, 2500);
  assert.equal(cliLimits({ timeoutSec: '3' }, { PIPEWRIGHT_EVAL_TIMEOUT: '2.5' }).timeoutMs, 3000, 'the flag wins');
  assert.deepEqual(cliLimits({}, {}), { timeoutMs: 60_000, memoryMb: 4096, names: cliLimits().names });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(leftovers('forever_cli.py'), []);
});

test('bad limits are errors naming the flag or the variable', async () => {
  const err: string[] = [];
  const code = await runCli(['tree', definition('fine.py', 'root = co.Exec("echo")'), '--eval-timeout', 'soon'], { out: () => {}, err: (t) => void err.push(t) });
  assert.equal(code, 2);
  assert.match(err.join(''), /--eval-timeout needs a number > 0, got "soon"/);
  assert.throws(() => cliLimits({}, { PIPEWRIGHT_EVAL_MEMORY: '-1' }), /PIPEWRIGHT_EVAL_MEMORY needs a number > 0, got "-1"/);
});

test('a definition over its memory limit fails at its line, with the limit applied', async () => {
  const file = definition('hungry.py', 'data = bytearray(600 * 1024 * 1024)\nroot = co.Exec("echo")');
  await assert.rejects(evaluateDefinition(file, { limits: { ...EDITOR_LIMITS, memoryMb: 256 } }), (err: Error) => {
    assert.ok(err instanceof DefinitionFailure, String(err));
    assert.equal(err.error.line, 2);
    assert.match(err.message, /MemoryError/);
    return true;
  });
  // Within the limit the same kind of definition evaluates.
  const fine = await evaluateDefinition(definition('fed.py', 'data = bytearray(16 * 1024 * 1024)\nroot = co.Exec("echo")'), { limits: { ...EDITOR_LIMITS, memoryMb: 512 } });
  assert.equal(fine.nodes.length, 1);
});

test('sys.exit() in a definition is a definition error at its line, not an empty pipeline', async () => {
  const cases: [string, string, number, RegExp][] = [
    ['exit_module.py', 'import sys\nroot = co.Exec("echo")\nsys.exit()', 4, /the definition exited \(sys\.exit\(\), status 0\) instead of producing a pipeline/],
    ['exit_function.py', 'import sys\n\ndef run() -> co.Serial:\n    sys.exit(0)\n\nco.main(default=run)', 5, /\(sys\.exit\(0\), status 0\)/],
    ['exit_message.py', 'import sys\n\ndef run() -> co.Serial:\n    sys.exit("no pipeline today")\n\nco.main(default=run)', 5, /\(sys\.exit\('no pipeline today'\), status 1\)/],
  ];
  for (const [name, body, line, message] of cases) {
    const file = definition(name, body);
    await assert.rejects(evaluateDefinition(file), (err: Error) => {
      assert.ok(err instanceof DefinitionFailure, `${name}: ${String(err)}`);
      assert.deepEqual([err.error.file, err.error.line], [file, line]);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('a definition that ends the process itself (os._exit(0)) is told apart from a bad pipeline', async () => {
  const file = definition('hard_exit.py', 'import os\nroot = co.Exec("echo")\nos._exit(0)');
  await assert.rejects(evaluateDefinition(file), (err: Error) => {
    assert.ok(err instanceof EvaluationFailure, String(err));
    assert.equal(err.message, `${file}: the definition ended the process (exit status 0) before its pipeline was written (empty document): does it call os._exit()?`);
    return true;
  });
});

test('a definition named like a stdlib module the SDK imports (inspect.py, json.py) evaluates', async () => {
  for (const name of ['inspect.py', 'json.py']) {
    const doc = await evaluateDefinition(definition(name, 'root = co.Serial()\nroot["a"] = co.Exec("echo hi")'));
    assert.deepEqual(doc.nodes.map((n) => n.path), ['/', '/a'], name);
  }
});
