// A pipeline function's arguments in the editor: the input boxes' checks and prefill, the words
// a run is evaluated with, how a run shows them, the cursor's pipeline, and the store keeping them.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { PipelineEntry, PipelineParameter } from '../../protocol/lsp';
import { argumentProblem, argumentWords, callText, describeArguments, joinCommandLine, prefill, signatureText, splitCommandLine } from '../../extension/arguments/argumentText';
import { pipelineAtLine } from '../../extension/arguments/pipelineAtCursor';
import { PipelineRun } from '../../runner/pipelineRun';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { StoreFileError } from '../../runner/store/storeFileError';
import { node } from '../helpers/nodes';
import { noEngineContext } from '../helpers/noEngineContext';

const n: PipelineParameter = { name: 'n', kind: 'int', required: true };
const ratio: PipelineParameter = { name: 'ratio', kind: 'float', required: false, default: '0.5' };
const loud: PipelineParameter = { name: 'loud', kind: 'bool', required: false, default: 'false' };
const tags: PipelineParameter = { name: 'tags', kind: 'list', element: 'int', required: false, default: '[1, 2]' };
const name: PipelineParameter = { name: 'name', kind: 'str', required: true };
const where: PipelineParameter = { name: 'where', kind: 'custom', type: 'Point', required: false };

test('an int is checked as Python reads it; the message names the parameter and gives an example', () => {
  for (const ok of ['42', '-7', '+3', ' 12 ', '1_000']) assert.equal(argumentProblem(n, ok), undefined, ok);
  for (const bad of ['4.2', 'ten', '1__0', '0x10', '--5']) assert.equal(argumentProblem(n, bad), 'n must be a whole number (int), e.g. 42', bad);
  assert.equal(argumentProblem(n, ''), 'n is required (int): it has no default value');
  assert.equal(argumentProblem(n, '   '), 'n is required (int): it has no default value');
});

test('floats, bools and JSON lists are checked by kind; an empty optional one takes the default', () => {
  for (const ok of ['0.5', '3', '-1e-3', '.5', '5.', 'inf', 'NaN', '1_0.5']) assert.equal(argumentProblem(ratio, ok), undefined, ok);
  assert.match(argumentProblem(ratio, 'half') ?? '', /^ratio must be a number \(float\)/);
  for (const ok of ['true', 'False', 'yes', 'off', '1']) assert.equal(argumentProblem(loud, ok), undefined, ok);
  assert.equal(argumentProblem(loud, 'maybe'), 'loud must be true or false (bool)');
  assert.equal(argumentProblem(tags, '[3, 4]'), undefined);
  assert.equal(argumentProblem(tags, '[3, "x"]'), 'tags must be a JSON list of int, e.g. [1, 2]');
  assert.equal(argumentProblem(tags, '3, 4'), 'tags must be a JSON list of int, e.g. [1, 2]');
  assert.equal(argumentProblem({ name: 'any', kind: 'list', required: true }, '[1, "a", true]'), undefined, 'a list without element type takes any items');
  for (const p of [ratio, loud, tags, where]) assert.equal(argumentProblem(p, ''), undefined, `${p.name}: empty = default`);
  assert.equal(argumentProblem(name, 'Ada Lovelace'), undefined, 'a str takes any text');
  assert.equal(argumentProblem(where, '1,2'), undefined, "a custom type's from_str() judges its text");
});

test('an input box starts with the value used last, else the default, else empty', () => {
  assert.equal(prefill(n, undefined), '');
  assert.equal(prefill(ratio, undefined), '0.5');
  assert.equal(prefill(ratio, { ratio: '0.25' }), '0.25');
  assert.equal(prefill(n, { ratio: '0.25' }), '', "another parameter's value is not this one's");
  assert.equal(prefill(n, { n: '7' }), '7');
  assert.equal(prefill(ratio, { ratio: '' }), '', 'emptied last time: stays empty (the default)');
});

test("the values become the command line's --name=value words in the function's order; an empty optional one is left out", () => {
  assert.deepEqual(argumentWords([n, ratio, loud, name, where], { name: 'Ada Lovelace', n: ' 5 ', ratio: '', loud: 'true', where: '' }), ['--n=5', '--loud=true', '--name=Ada Lovelace']);
  assert.deepEqual(argumentWords([], {}), []);
});

test('a run shows its arguments as name=value, quoting values with spaces or commas', () => {
  assert.equal(describeArguments(['--n=5', '--name=Ada Lovelace', '--tags=[1,2]', '--empty=', '200']), 'n=5, name="Ada Lovelace", tags="[1,2]", empty="", 200');
  assert.equal(callText('compute_pi', ['--n=5']), 'compute_pi(n=5)');
  assert.equal(callText('run', []), 'run');
  assert.equal(callText('run', undefined), 'run');
  assert.equal(signatureText([n, ratio, where]), 'n: int, ratio: float = 0.5, where: Point = …');
});

test('a whole command line splits as a shell would, and joins back', () => {
  assert.deepEqual(splitCommandLine(`--n=5 --name='Ada Lovelace' "a \\"b\\"" c\\ d  `), { words: ['--n=5', '--name=Ada Lovelace', 'a "b"', 'c d'] });
  assert.deepEqual(splitCommandLine(''), { words: [] });
  assert.deepEqual(splitCommandLine("--name='Ada"), { error: "a quote (') opened at column 8 is not closed" });
  const words = ['--n=5', '--name=Ada Lovelace', "it's", '[1, 2]'];
  assert.deepEqual(splitCommandLine(joinCommandLine(words)), { words });
  assert.equal(joinCommandLine(['--n=5', 'plain']), '--n=5 plain');
});

test('the pipeline under the cursor: the function whose lines hold it; none outside every function or for a module-level tree', () => {
  const entry = (name: string, line: number, endLine?: number): PipelineEntry => ({ name, line, default: false, ...(endLine ? { endLine } : {}) });
  const entries = [entry('first', 5, 12), entry('second', 15, 30), entry('module', 40)];
  assert.equal(pipelineAtLine(entries, 5)?.name, 'first', 'the def line');
  assert.equal(pipelineAtLine(entries, 12)?.name, 'first', 'the last line of its body');
  assert.equal(pipelineAtLine(entries, 20)?.name, 'second');
  assert.equal(pipelineAtLine(entries, 13), undefined, 'between functions');
  assert.equal(pipelineAtLine(entries, 1), undefined, 'the imports');
  assert.equal(pipelineAtLine(entries, 40), undefined, 'a module-level tree has no function');
});

// ---- the store keeps a run's arguments ---------------------------------------------------------

const scratch = mkdtempSync(path.join(tmpdir(), 'pw-args-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const context = (store: PipelineStore) => noEngineContext(store, scratch);

test("a run's arguments are kept in its meta.json and summary, for stored runs too; none: no field", async () => {
  const store = new PipelineStore(path.join(scratch, 'store'));
  const doc = { pipewright: 1 as const, name: 'compute_pi', file: '/x/leibniz.py', nodes: [node('/', 'Exec', 'echo')] };
  const run = PipelineRun.create(doc, context(store), { args: ['--n=5'] });
  assert.deepEqual(run.summary().args, ['--n=5']);
  await run.close();
  assert.deepEqual(store.meta(run.id).args, ['--n=5']);
  store.touch(run.id, 'sleeping');
  assert.deepEqual(store.meta(run.id).args, ['--n=5'], 'kept when the meta is rewritten');
  const stored = await PipelineRun.inspect(run.id, { store });
  assert.deepEqual(stored.summary().args, ['--n=5']);

  const plain = PipelineRun.create(doc, context(store));
  await plain.close();
  assert.equal('args' in store.meta(plain.id), false);
  assert.equal('args' in plain.summary(), false);

  const file = path.join(store.dir(run.id), 'meta.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), args: '--n=5' }));
  assert.throws(() => store.meta(run.id), (err: unknown) => err instanceof StoreFileError && /"args" is not a list of strings/.test(err.message) && err.message.includes(file));
});
