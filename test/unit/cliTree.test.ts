// `pipewright tree` end to end: the CLI, the real SDK in a subprocess, the seed's trees.
import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { cli, ensureBuilt, repo } from '../helpers/cli';
import { parsePipeline } from '../../evaluator/readPipeline';

const examples = path.join(repo, 'examples');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'pipewright-cli-'));
before(ensureBuilt);
after(() => rmSync(scratch, { recursive: true, force: true }));

test('prints the seed build/test tree exactly', async () => {
  const result = await cli(['tree', path.join(examples, 'build_and_test.py')]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    ['/', '├─0 Build   echo docker build, make, npm i, etc.', '└─1 Test', '  ├─ app   echo run test for app', '  ├─ backend   echo run test for backend', '  └─ metrics   echo run test for metrics', ''].join('\n'),
  );
});

test('the four construction styles print the same tree', async () => {
  const trees = await Promise.all(['construct_path.py', 'construct_function.py', 'construct_with.py'].map((f) => cli(['tree', path.join(examples, f)])));
  for (const t of trees) assert.equal(t.code, 0, t.stderr);
  assert.equal(trees[0]!.stdout, ['/', '└─0 Test', '  ├─ test1   echo run test 1', '  └─ test2   echo run test 2', ''].join('\n'));
  assert.equal(trees[1]!.stdout, trees[0]!.stdout);
  assert.equal(trees[2]!.stdout, trees[0]!.stdout);
});

test('picks a function and passes --arg=v to it; the callable becomes a conducto command', async () => {
  const result = await cli(['tree', path.join(examples, 'leibniz.py'), 'compute_pi', '--n=5']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /├─0 Leibniz1 {3}conducto leibniz\.py leibniz --n=5\n/);
});

test('--json prints the pipeline JSON, one node per line', async () => {
  const result = await cli(['tree', path.join(examples, 'inheritance.py'), '--json']);
  assert.equal(result.code, 0, result.stderr);
  const doc = parsePipeline(result.stdout);
  assert.equal(doc.pipewright, 1);
  assert.deepEqual(doc.nodes.map((n) => n.path), ['/', '/Node1']);
  assert.equal(doc.nodes[1]!.params.cpu, 2);
  assert.deepEqual(doc.nodes[1]!.params.env, { LOG_LEVEL: '1' });
  assert.equal(result.stdout.trim().split('\n').length, 4);
});

test('a definition error exits non-zero with FILE:LINE: message', async () => {
  const file = path.join(scratch, 'dup.py');
  writeFileSync(file, 'import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("echo 1")\nroot["a"] = co.Exec("echo 2")\n');
  const result = await cli(['tree', file]);
  assert.equal(result.code, 3);
  assert.match(result.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4: .*duplicate`, 'im'));
});

test('a syntax error names its line too', async () => {
  const file = path.join(scratch, 'syntax.py');
  writeFileSync(file, 'import conducto as co\nroot = co.Serial(\n');
  const result = await cli(['tree', file]);
  assert.equal(result.code, 3);
  assert.match(result.stderr, /syntax\.py:\d+: /);
});

test('a tree 3,000 levels deep, built in a loop, evaluates and prints', async () => {
  const file = path.join(scratch, 'deep.py');
  writeFileSync(file, 'import conducto as co\nroot = node = co.Serial()\nfor i in range(3000):\n    node["s%d" % i] = co.Serial()\n    node = node["s%d" % i]\nnode["leaf"] = co.Exec("echo deep")\n');
  const result = await cli(['tree', file]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3002);
  assert.equal(lines.at(-1), `${'  '.repeat(3000)}└─0 leaf   echo deep`);
});

test('usage errors exit 2 and print the usage', async () => {
  const none = await cli(['tree']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /pipewright tree FILE/);
  const unknown = await cli(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
});
