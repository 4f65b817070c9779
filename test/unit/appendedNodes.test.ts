// Nodes appended under a running container (a PipelineDecorator body adds its steps as it calls
// components): the tree counts them, the scheduler starts them, a replayed log rebuilds them.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { RunnerEvent } from '../../protocol/runner';
import { RunTree } from '../../runner/model/runTree';
import { replay } from '../../runner/run/replay';
import { ResourceBudget } from '../../runner/scheduler/resourceBudget';
import { Scheduler } from '../../runner/scheduler/scheduler';
import { node } from '../helpers/nodes';
import { delta, flatten } from '../../extension/panel/snapshot';
import { NodeIndex } from '../../webview/nodeIndex';

test('appended children start when their parents are done; the running sibling keeps its state', () => {
  const tree = new RunTree([node('/', 'Parallel'), node('/body', 'Exec', 'body')]);
  const started: string[] = [];
  const scheduler = new Scheduler(tree, new ResourceBudget({ cpu: 100, mem: 100 }), (leaf) => started.push(leaf.path));
  scheduler.setAutorun(true);
  assert.deepEqual(started, ['/body']);
  tree.setLeafState(tree.get('/body'), 'running');
  tree.append(tree.root, [node('/a', 'Exec', 'a')]);
  scheduler.pump();
  assert.deepEqual(started, ['/body', '/a']);
  tree.append(tree.root, [node('/b', 'Exec', 'b', {}, ['/a'])]);
  scheduler.pump();
  assert.deepEqual(started, ['/body', '/a'], 'b waits for a');
  tree.setLeafState(tree.get('/a'), 'done');
  scheduler.pump();
  assert.deepEqual(started, ['/body', '/a', '/b']);
  assert.equal(tree.get('/body').state, 'running');
  assert.deepEqual(tree.root.leafCounts, { pending: 0, queued: 0, running: 2, done: 1, error: 0, killed: 0 });
  assert.throws(() => tree.append(tree.get('/a'), [node('/c', 'Exec', 'c')]), /not under \/a/);
});

test('a replayed log appends the same nodes after the ones already there', async () => {
  const tree = new RunTree([node('/', 'Parallel'), node('/body', 'Exec', 'body')]);
  const events: RunnerEvent[] = [
    { type: 'state', pipeline: 'p', time: 1, path: '/body', state: 'running' },
    { type: 'nodes-added', pipeline: 'p', time: 2, under: '/', nodes: [node('/a', 'Exec', 'a')], append: true },
    { type: 'nodes-added', pipeline: 'p', time: 3, under: '/', nodes: [node('/b', 'Exec', 'b', {}, ['/a'])], append: true },
    { type: 'state', pipeline: 'p', time: 4, path: '/a', state: 'done' },
  ];
  await replay((async function* () {
    yield events;
  })(), tree);
  assert.deepEqual(tree.root.children.map((c) => [c.path, c.state]), [['/body', 'running'], ['/a', 'done'], ['/b', 'pending']]);
  assert.deepEqual(tree.get('/b').spec.parents, ['/a']);
});

test('the panel: a nodes-added event under the root sends its subtree, and the page shows the appended step', () => {
  const tree = new RunTree([node('/', 'Parallel'), node('/body', 'Exec', 'body')]);
  const page = new NodeIndex();
  page.reset(flatten(tree.root));
  tree.setLeafState(tree.get('/body'), 'running');
  tree.append(tree.root, [node('/a', 'Exec', 'a')]);
  // What the panel host sends for `nodes-added` under `/` (extension/panel/pipelinePanel.ts).
  const { nodes, replaced } = delta(tree, [], ['/']);
  const { structural } = page.update(nodes, replaced);
  assert.ok(structural);
  assert.deepEqual(page.children.get('/'), ['/body', '/a']);
  assert.equal(page.byPath.get('/body')?.state, 'running');
});

test('a leaf the rule says holds no resources (a decorated controller) keeps no step from fitting', () => {
  const tree = new RunTree([node('/', 'Parallel'), node('/body', 'Exec', 'body')]);
  const started: string[] = [];
  const budget = new ResourceBudget({ cpu: 1, mem: 2 });
  const scheduler = new Scheduler(tree, budget, (leaf) => started.push(leaf.path));
  scheduler.unbudgeted = (leaf) => leaf.path === '/body';
  scheduler.setAutorun(true);
  assert.deepEqual(budget.inUse, { cpu: 0, mem: 0, nodes: 0 });
  tree.append(tree.root, [node('/a', 'Exec', 'a', { cpu: 1, mem: 2 }), node('/b', 'Exec', 'b', { cpu: 4, mem: 2 })]);
  scheduler.pump();
  assert.deepEqual(started, ['/body', '/a'], 'a takes the whole budget beside the running body');
  scheduler.release(tree.get('/a'));
  tree.setLeafState(tree.get('/a'), 'done');
  scheduler.pump();
  assert.deepEqual(started, ['/body', '/a', '/b'], 'one asking more than the budget runs once nothing holds any');
});

