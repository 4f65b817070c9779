// Conducto's definition-time API through `pipewright tree FILE FUNC --json`: the fixtures in
// test/sdk/conducto_style are written in the construction styles of Conducto's examples.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { cli, ensureBuilt, repo } from '../helpers/cli';
import { parsePipeline } from '../../evaluator/readPipeline';

const style = path.join(repo, 'test', 'sdk', 'conducto_style');
const api = path.join(style, 'definition_api.py');
const months = path.join(style, 'months.py');
before(ensureBuilt);

async function nodes(file: string, ...args: string[]) {
  const result = await cli(['tree', file, ...args, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return new Map(parsePipeline(result.stdout).nodes.map((n) => [n.path, n]));
}

test('an indented heredoc in a triple-quoted command is unindented, as Conducto does', async () => {
  const write = (await nodes(api, 'heredoc')).get('/write')!;
  assert.equal(write.command, 'cat > /tmp/greeting.txt <<EOF\nhello\n  indented\nEOF\ncat /tmp/greeting.txt\necho after the heredoc');
});

test('node.set() gives node params; a function keyword named cpu goes to the function; params= too', async () => {
  const tree = await nodes(api, 'params');
  const shared = tree.get('/shared')!;
  assert.match(shared.command!, / report --mem='16 GB' --cpu=3600$/);
  assert.deepEqual([shared.params.cpu, shared.params.mem], [0.5, 1.5]);
  assert.deepEqual([tree.get('/later')!.params.cpu, tree.get('/later')!.params.mem], [0.25, 2]);
  assert.deepEqual([tree.get('/dict')!.params.cpu, tree.get('/dict')!.params.mem], [1, 3]);
  assert.match(tree.get('/dict')!.command!, / --cpu=1$/);
  assert.equal(tree.get('/plain')!.params.cpu, 1.5);
});

test('a custom argument type is written into the command with to_str', async () => {
  assert.equal((await nodes(api, 'params')).get('/mood')!.command, "conducto definition_api.py feel --mood='yay :)'");
});

test('Exec.command assigned after construction', async () => {
  const tree = await nodes(api, 'count_fixed', '--n=7');
  assert.equal(tree.get('/count')!.command, 'echo fixed count to 7');
});

test('absolute keys and string booleans', async () => {
  const tree = await nodes(api, 'paths');
  assert.deepEqual([...tree.keys()], ['/', '/build', '/build/app', '/build/lib', '/test', '/test/unit']);
  assert.equal(tree.get('/')!.params.stop_on_error, false);
  assert.equal(tree.get('/build')!.params.suppress_errors, true);
  assert.equal(tree.get('/test')!.params.skip, false);
});

test('co.util: makeyyyymmnodes groups months by year; magic_doc documents the function', async () => {
  const tree = await nodes(months);
  assert.equal(tree.get('/Parallelize/2019/201903')!.command, 'conducto months.py summarize --yyyymm=201903');
  assert.deepEqual([...tree.keys()].slice(0, 5), ['/', '/Parallelize', '/Parallelize/2020', '/Parallelize/2020/202002', '/Parallelize/2020/202001']);
  assert.match(tree.get('/')!.params.doc!, /^One summary node per month\.\n\n```python\ndef monthly\(/);
  const commented = await nodes(months, 'commented');
  assert.equal(commented.get('/')!.params.doc, 'Build and test in one container,\nthe comment above the call is the doc.');
});
