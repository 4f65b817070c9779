// States as people read them (issue 13, "the sidebar and panel tell the truth"): a user's kill reads
// "killed" once and is no error Problem; a sleeping run's unfinished work reads "sleeping"; a Lazy's
// Execute whose children are not generated yet is pending, not an empty (done) container.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { renderStatus } from '../../cli/statusDisplay';
import { nodeProblem } from '../../presentation/problems';
import { endWhy, shownState } from '../../presentation/states';
import type { ExecutionRecord } from '../../protocol/runner';
import { RunTree } from '../../runner/model/runTree';
import { node } from '../helpers/nodes';

function execution(fields: Partial<ExecutionRecord>): ExecutionRecord {
  return { id: 'e1', path: '/a', command: 'sleep 60', params: node('/a', 'Exec').params, image: 'x', startedAt: 0, endedAt: 1000, ...fields };
}

test('a killed node reads "killed" once; other ends say why', () => {
  assert.equal(endWhy('killed', { reason: 'killed', exitCode: null }), '');
  assert.equal(endWhy('killed', { reason: 'runner stopped' }), 'runner stopped');
  assert.equal(endWhy('error', { reason: 'oom' }), 'oom');
  assert.equal(endWhy('error', { exitCode: 3 }), 'exit 3');
  assert.equal(endWhy('done', { exitCode: 0 }), '');
  const tree = new RunTree([node('/', 'Serial'), node('/a', 'Exec', 'sleep 60')]);
  const leaf = tree.get('/a');
  leaf.addExecution(execution({ reason: 'killed', exitCode: null }));
  tree.setLeafState(leaf, 'killed');
  const line = renderStatus(tree, 1000).split('\n').find((l) => l.includes(' a '))!;
  assert.match(line, /killed/);
  assert.doesNotMatch(line, /killed.*killed/, line);
});

test("a user's kill is an information Problem, a failure an error one", () => {
  const kill = nodeProblem('/a', 'killed', { reason: 'killed', exitCode: null }, '');
  assert.deepEqual(kill, { severity: 'information', message: '/a was killed' });
  const fail = nodeProblem('/a', 'error', { exitCode: 2 }, 'boom');
  assert.deepEqual(fail, { severity: 'error', message: '/a failed: exit code 2 — boom' });
  assert.equal(nodeProblem('/a', 'done', { exitCode: 0 }, ''), null);
});

test("a sleeping run's unfinished nodes read sleeping; finished ones keep their state", () => {
  assert.equal(shownState('pending', true), 'sleeping');
  assert.equal(shownState('running', true), 'sleeping');
  assert.equal(shownState('done', true), 'done');
  assert.equal(shownState('error', true), 'error');
  assert.equal(shownState('pending', false), 'pending');
  const tree = new RunTree([node('/', 'Serial'), node('/a', 'Exec', 'echo a'), node('/b', 'Exec', 'echo b')]);
  tree.setLeafState(tree.get('/a'), 'done');
  const text = renderStatus(tree, 0, true);
  assert.match(text, /^\/ {2}z sleeping/m, text);
  assert.match(text, / a {2}✔ done/, text);
  assert.match(text, / b {2}z sleeping/, text);
});

/** A Lazy as the SDK writes it: Generate, then Execute (marked `lazy`, no children yet). */
function lazyTree(): RunTree {
  const execute = { ...node('/L/Execute', 'Serial'), lazy: { node_type: 'Serial' as const } };
  return new RunTree([node('/', 'Serial'), node('/L', 'Lazy'), node('/L/Generate', 'Exec', 'python gen.py'), execute]);
}

test('an empty Lazy Execute is pending until its Generate has produced its children', () => {
  const tree = lazyTree();
  const generate = tree.get('/L/Generate');
  const execute = tree.get('/L/Execute');
  assert.equal(execute.state, 'pending');
  tree.setLeafState(generate, 'running');
  assert.equal(execute.state, 'pending');
  assert.equal(tree.get('/L').state, 'running');
  // Generate done before its children are grafted: the Lazy is not done yet.
  tree.setLeafState(generate, 'done');
  assert.equal(execute.state, 'pending');
  assert.equal(tree.get('/L').state, 'pending');
  assert.equal(tree.root.state, 'pending');
  tree.graft(execute, [node('/', 'Serial'), node('/x', 'Exec', 'echo x')]);
  assert.equal(execute.state, 'pending');
  tree.setLeafState(tree.get('/L/Execute/x'), 'done');
  assert.equal(execute.state, 'done');
  assert.equal(tree.root.state, 'done');
});

test('a Lazy whose Generate produced an empty pipeline is done', () => {
  const tree = lazyTree();
  tree.setLeafState(tree.get('/L/Generate'), 'done');
  tree.graft(tree.get('/L/Execute'), [node('/', 'Serial')]);
  assert.equal(tree.get('/L/Execute').state, 'done');
  assert.equal(tree.root.state, 'done');
});

test('replaying a Lazy from the store: pending before its nodes-added, done after', () => {
  const tree = lazyTree();
  tree.setLeafState(tree.get('/L/Generate'), 'done');
  assert.equal(tree.root.state, 'pending');
  tree.replaceChildren(tree.get('/L/Execute'), [node('/L/Execute/x', 'Exec', 'echo x')]);
  tree.setLeafState(tree.get('/L/Execute/x'), 'done');
  assert.equal(tree.root.state, 'done');
});
