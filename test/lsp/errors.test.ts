// Definition errors as diagnostics at the user's line and column, through a real LSP client.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DefinitionError } from '../../protocol/pipeline';
import { LspClient, sdk } from './lspClient';

const HEAD = 'import conducto as co\n\n\n';

// name: [text, 1-based line of the error, message fragment, kind]
const CASES: Record<string, [string, number, RegExp, DefinitionError['kind']]> = {
  syntax_error: [`${HEAD}def run() -> co.Serial:\n    root = co.Serial())\n    return root\n`, 5, /unmatched '\)'/, 'syntax'],
  duplicate_name: [`${HEAD}root = co.Serial()\nroot["a"] = co.Exec("echo 1")\nroot["a"] = co.Exec("echo 2")\n`, 6, /duplicate child name 'a'/, 'definition'],
  unknown_parent: [
    `${HEAD}def run() -> co.Parallel:\n    root = co.Parallel()\n    root["a"] = co.Exec("echo a")\n    root["b"] = co.Exec("echo b", parents=["nope"])\n    return root\n`,
    7,
    /parents entry 'nope'.*not a sibling/,
    'definition',
  ],
  cycle: [
    `${HEAD}def run() -> co.Parallel:\n    root = co.Parallel()\n    root["a"] = co.Exec("echo a", parents=["b"])\n    root["b"] = co.Exec("echo b", parents=["a"])\n    return root\n`,
    6,
    /cycle among parents under \/: a -> b -> a/,
    'definition',
  ],
  bad_param: [`${HEAD}def run() -> co.Serial:\n    root = co.Serial()\n    root["a"] = co.Exec("echo a", cpu="lots")\n    return root\n`, 6, /cpu='lots' is invalid/, 'definition'],
  exception_in_helper: [
    `${HEAD}def per_shard(total, shards):\n    return total // shards\n\n\ndef run() -> co.Serial:\n    root = co.Serial()\n    root["a"] = co.Exec("echo %d" % per_shard(10, 0))\n    return root\n`,
    5,
    /ZeroDivisionError/,
    'exception',
  ],
  exception_at_import: [`${HEAD}import json\nsettings = json.loads("{not json")\nroot = co.Serial()\n`, 5, /JSONDecodeError/, 'exception'],
};

describe('language server: definition errors as diagnostics', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-lsp-errors-'));
    client = await LspClient.start({ settings: { trusted: true } });
  });
  after(async () => {
    await client?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, [text, line, message, kind]] of Object.entries(CASES)) {
    it(`${name}: at line ${line}, at the column the SDK reports`, async () => {
      const file = path.join(dir, `${name}.py`);
      writeFileSync(file, text);
      const uri = await client.open(file);
      const { diagnostics } = await client.waitForDiagnostics(uri, 1);
      assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
      const [d] = diagnostics;
      assert.equal(d!.source, 'pipewright');
      assert.equal(d!.severity, 1);
      assert.equal(d!.code, kind);
      assert.match(d!.message as string, message);
      assert.equal(d!.range.start.line, line - 1);
      // The SDK's own report (a function's error, or the file's) gives the column.
      const cli = sdk([file, '--all', '--errors=json']);
      const reported = cli.status === 3
        ? (JSON.parse(cli.stderr.trim().split('\n').pop()!) as { error: DefinitionError }).error
        : cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as { error?: DefinitionError }).find((e) => e.error)!.error!;
      assert.equal(reported.line, line);
      const lineText = text.split('\n')[line - 1]!;
      const indent = lineText.length - lineText.trimStart().length;
      assert.equal(d!.range.start.character, reported.column > 1 ? reported.column - 1 : indent);
      if (kind === 'exception' && name === 'exception_in_helper' && reported.column > 1) {
        assert.equal(lineText.slice(d!.range.start.character, d!.range.end.character), 'total', 'the expression that raised');
      }
    });
  }

  it('an unknown param is underlined on its keyword, not on the call (one line and over several)', async () => {
    const cases: Array<[string, number, string]> = [
      [`${HEAD}def run() -> co.Serial:\n    root = co.Serial()\n    root["a"] = co.Exec("echo a", cpuu=2)\n    return root\n`, 6, '    root["a"] = co.Exec("echo a", cpuu=2)'],
      [`${HEAD}def run() -> co.Serial:\n    root = co.Serial()\n    root["a"] = co.Exec(\n        "echo a",\n        mem=1, cpuu=2,\n    )\n    return root\n`, 8, '        mem=1, cpuu=2,'],
    ];
    for (const [i, [text, line, lineText]] of cases.entries()) {
      const file = path.join(dir, `keyword${i}.py`);
      writeFileSync(file, text);
      const uri = await client.open(file);
      const { diagnostics } = await client.waitForDiagnostics(uri, 1);
      assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
      const [d] = diagnostics;
      assert.match(d!.message as string, /unknown param 'cpuu' for co\.Exec/);
      assert.equal(d!.range.start.line, line - 1, JSON.stringify(d!.range));
      assert.equal(lineText.slice(d!.range.start.character, d!.range.end.character), 'cpuu', JSON.stringify(d!.range));
    }
  });

  it('a ClearML pipeline with a missing base task and a cycle: both are Problems, each at its line', async () => {
    const file = path.join(dir, 'clearml_two_errors.py');
    const lines = [
      'from clearml import PipelineController, Task',
      'Task.create(project_name="p", task_name="t", command="echo hi")',
      'pipe = PipelineController("demo", "p", "1")',
      'pipe.add_step("a", base_task_project="p", base_task_name="missing", parents=["b"])',
      'pipe.add_step("b", base_task_project="p", base_task_name="t", parents=["a"])',
      'pipe.start()',
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const uri = await client.open(file);
    const { diagnostics } = await client.waitForDiagnostics(uri, 1);
    const messages = diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`).sort();
    assert.equal(diagnostics.length, 2, JSON.stringify(messages));
    assert.match(messages[0]!, /^4: add_step\('a'\): no task p\/missing/);
    assert.match(messages[1]!, /^[45]: cycle among parents under \/: /);
  });

  it('a definition that leaves a process running in the background still settles at once', async () => {
    const file = path.join(dir, 'background.py');
    writeFileSync(file, `${HEAD}import subprocess\nbackground = subprocess.Popen(["sleep", "30"], start_new_session=True)\nroot = co.Serial()\nroot["a"] = co.Exec("echo a")\n`);
    const started = Date.now();
    const uri = await client.open(file);
    const tree = await client.tree(uri);
    assert.ok(Date.now() - started < 5000, `settled after ${Date.now() - started} ms`);
    assert.deepEqual(tree.pipelines[0]!.document!.nodes.map((n) => n.path), ['/', '/a']);
    assert.deepEqual((await client.waitForDiagnostics(uri, 1)).diagnostics, []);
  });

  it('an evaluation that loops forever is killed by the timeout, with a clear diagnostic', async () => {
    const pidFile = path.join(dir, 'loop.pid');
    const file = path.join(dir, 'loop.py');
    writeFileSync(file, `${HEAD}import os\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\nwhile True:\n    pass\n`);
    const slow = await LspClient.start({ settings: { trusted: true, evaluationTimeoutMs: 1500 } });
    try {
      const started = Date.now();
      const uri = await slow.open(file);
      const { diagnostics } = await slow.waitForDiagnostics(uri, 1);
      assert.ok(Date.now() - started >= 1400, 'not before the limit');
      assert.equal(diagnostics.length, 1);
      assert.match(diagnostics[0]!.message as string, /took longer than 1\.5 s and was stopped/);
      const tree = await slow.tree(uri);
      assert.match(tree.notice ?? '', /took longer than 1\.5 s/);
      assert.deepEqual(tree.pipelines, []);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the evaluation process is gone');
    } finally {
      await slow.stop();
    }
    assert.ok(existsSync(pidFile));
  });
});
