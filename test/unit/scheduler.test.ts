// The scheduler's decisions without Docker: a fake "executor" finishes nodes when told to.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { NodeState } from '../../protocol/runner';
import { RunTree, type RunNode } from '../../runner/model/runTree';
import { ResourceBudget } from '../../runner/scheduler/resourceBudget';
import { Scheduler } from '../../runner/scheduler/scheduler';
import { node } from '../helpers/nodes';
import type { PipelineNode } from '../../protocol/pipeline';

function harness(nodes: PipelineNode[], budget = { cpu: 100, mem: 100 }) {
  const tree = new RunTree(nodes);
  const started: string[] = [];
  const scheduler = new Scheduler(tree, new ResourceBudget(budget), (leaf) => started.push(leaf.path));
  const finish = (path: string, state: NodeState = 'done') => {
    const leaf = tree.get(path);
    scheduler.release(leaf);
    tree.setLeafState(leaf, state);
    scheduler.pump();
  };
  return { tree, scheduler, started, finish };
}

test('Serial starts one child at a time and stops at an error', () => {
  const { scheduler, started, finish, tree } = harness([node('/', 'Serial'), node('/a', 'Exec', 'a'), node('/b', 'Exec', 'b'), node('/c', 'Exec', 'c')]);
  scheduler.setAutorun(true);
  assert.deepEqual(started, ['/a']);
  finish('/a');
  assert.deepEqual(started, ['/a', '/b']);
  finish('/b', 'error');
  assert.deepEqual(started, ['/a', '/b']);
  assert.equal(tree.root.state, 'error');
  assert.equal(tree.get('/c').state, 'pending');
});

test('Parallel starts all children, DAG children after their parents', () => {
  const { scheduler, started, finish } = harness([
    node('/', 'Parallel'),
    node('/a', 'Exec', 'a'),
    node('/b', 'Exec', 'b', {}, ['/a']),
    node('/c', 'Exec', 'c'),
  ]);
  scheduler.setAutorun(true);
  assert.deepEqual(started, ['/a', '/c']);
  finish('/c');
  assert.deepEqual(started, ['/a', '/c']);
  finish('/a');
  assert.deepEqual(started, ['/a', '/c', '/b']);
});

test('resources: a node waits queued until cpu frees up; an oversize node runs alone', () => {
  const { scheduler, started, finish, tree } = harness(
    [node('/', 'Parallel'), node('/a', 'Exec', 'a', { cpu: 2 }), node('/b', 'Exec', 'b', { cpu: 2 }), node('/big', 'Exec', 'big', { cpu: 8 }), node('/c', 'Exec', 'c', { cpu: 1 })],
    { cpu: 4, mem: 100 },
  );
  scheduler.setAutorun(true);
  assert.deepEqual(started, ['/a', '/b']);
  assert.equal(tree.get('/big').state, 'queued');
  assert.equal(tree.get('/c').state, 'queued', 'FIFO: a smaller node does not jump the queue');
  finish('/a');
  assert.deepEqual(started, ['/a', '/b'], 'the oversize node waits for the machine to be idle');
  finish('/b');
  assert.deepEqual(started, ['/a', '/b', '/big']);
  finish('/big');
  assert.deepEqual(started, ['/a', '/b', '/big', '/c']);
});

test('max_concurrent caps a Parallel', () => {
  const kids = Array.from({ length: 5 }, (_, i) => node(`/n${i}`, 'Exec', 'x'));
  const { scheduler, started, finish } = harness([node('/', 'Parallel', undefined, { max_concurrent: 2 }), ...kids]);
  scheduler.setAutorun(true);
  assert.deepEqual(started, ['/n0', '/n1']);
  finish('/n1');
  assert.deepEqual(started, ['/n0', '/n1', '/n2']);
});

test('derived states and counts follow the children; suppress_errors and skip count as done', () => {
  const { scheduler, finish, tree } = harness([
    node('/', 'Serial'),
    node('/p', 'Parallel'),
    node('/p/x', 'Exec', 'x', { suppress_errors: true }),
    node('/p/y', 'Exec', 'y'),
    node('/z', 'Exec', 'z', { skip: true }),
  ]);
  scheduler.setAutorun(true);
  assert.equal(tree.get('/p').state, 'running');
  assert.deepEqual(tree.root.leafCounts, { pending: 1, queued: 0, running: 2, done: 0, error: 0, killed: 0 });
  finish('/p/x', 'error');
  finish('/p/y');
  assert.equal(tree.get('/p').state, 'done');
  assert.equal(tree.root.state, 'done');
  assert.equal(tree.get('/z').executions.length, 0);
});

test('a million-node tree builds and schedules wave after wave', () => {
  const nodes: PipelineNode[] = [node('/', 'Serial')];
  for (let p = 0; p < 1000; p++) {
    nodes.push(node(`/p${p}`, 'Parallel'));
    for (let e = 0; e < 1000; e++) nodes.push(node(`/p${p}/e${e}`, 'Exec', 'true'));
  }
  const { scheduler, started, finish } = harness(nodes, { cpu: 4, mem: 100 });
  scheduler.setAutorun(true);
  assert.equal(started.length, 4);
  for (let i = 0; i < 2000; i++) finish(started[i]!);
  assert.equal(started.length, 2004);
  assert.equal(started[2003], '/p2/e3', 'the Serial moved on to the third Parallel in order');
});

/**
 * A scheduler resumed as PipelineRun.open leaves it: states replayed from the log before anything
 * is active (`running` leaves re-attached and holding their resources), then woken.
 */
function resumed(nodes: PipelineNode[], replayed: Record<string, NodeState>) {
  const h = harness(nodes);
  for (const [path, state] of Object.entries(replayed)) h.tree.setLeafState(h.tree.get(path), state);
  h.scheduler.autorun = true;
  for (const path of Object.keys(replayed)) if (replayed[path] === 'running') h.scheduler.hold(h.tree.get(path));
  h.scheduler.setAsleep(false);
  return h;
}

test('resumed with a re-attached child running: when it fails, the Serial(stop_on_error=False) around it goes on', () => {
  const { started, finish, tree } = resumed(
    [node('/', 'Serial'), node('/s', 'Serial', undefined, { stop_on_error: false }), node('/s/a', 'Exec', 'a'), node('/s/b', 'Exec', 'b'), node('/s/c', 'Exec', 'c'), node('/after', 'Exec', 'after')],
    { '/s/a': 'running' },
  );
  assert.deepEqual(started, [], 'the re-attached child is not started again');
  finish('/s/a', 'error');
  assert.deepEqual(started, ['/s/b']);
  finish('/s/b');
  assert.deepEqual(started, ['/s/b', '/s/c']);
  finish('/s/c');
  assert.equal(tree.get('/s').state, 'error');
  assert.equal(tree.get('/after').state, 'pending', 'the root (stop_on_error) stops at the failed /s');
});

test('resumed with a re-attached child running: when it fails, the Parallel(max_concurrent=1) around it starts the next', () => {
  const { started, finish, tree } = resumed(
    [node('/', 'Parallel'), node('/p', 'Parallel', undefined, { max_concurrent: 1 }), node('/p/a', 'Exec', 'a'), node('/p/b', 'Exec', 'b'), node('/p/c', 'Exec', 'c'), node('/q', 'Exec', 'q')],
    { '/p/a': 'running', '/q': 'done' },
  );
  assert.deepEqual(started, []);
  finish('/p/a', 'error');
  assert.deepEqual(started, ['/p/b']);
  finish('/p/b');
  assert.deepEqual(started, ['/p/b', '/p/c']);
  finish('/p/c');
  assert.equal(tree.get('/p').state, 'error');
  assert.equal(tree.root.leafCounts.pending, 0);
});

test('resumed after a stop between a failure and the next start: the Serial(stop_on_error=False) goes on', () => {
  // The runner died after recording /s/a's end and before starting /s/b: /s looks failed.
  const { started, finish, tree } = resumed(
    [node('/', 'Serial'), node('/s', 'Serial', undefined, { stop_on_error: false }), node('/s/a', 'Exec', 'a'), node('/s/b', 'Exec', 'b'), node('/t', 'Serial'), node('/t/a', 'Exec', 'a'), node('/t/b', 'Exec', 'b')],
    { '/s/a': 'error' },
  );
  assert.deepEqual(started, ['/s/b']);
  finish('/s/b');
  assert.equal(tree.get('/s').state, 'error');
  assert.deepEqual(started, ['/s/b'], 'the root stops at /s, failed');
  assert.equal(tree.get('/t').state, 'pending');
});

export type { RunNode };

test('Exec nodes with one exclusive key (a reuse context) run one at a time; the rest stay queued, those behind start', () => {
  const { scheduler, started, finish, tree } = harness(
    [node('/', 'Parallel'), node('/c1', 'Exec', 'a'), node('/c2', 'Exec', 'b'), node('/c3', 'Exec', 'c'), node('/other', 'Exec', 'd')],
    { cpu: 2, mem: 100 },
  );
  scheduler.exclusiveKey = (leaf) => (leaf.path.startsWith('/c') ? 'ctx' : null);
  scheduler.setAutorun(true);
  assert.deepEqual(started, ['/c1', '/other']);
  assert.deepEqual(['/c2', '/c3'].map((p) => tree.get(p).state), ['queued', 'queued']);
  assert.equal(scheduler.queuedCount, 2);
  scheduler.release(tree.get('/c2')); // a release of a node not running frees nothing
  scheduler.pump();
  assert.deepEqual(started, ['/c1', '/other']);
  finish('/c1');
  assert.deepEqual(started, ['/c1', '/other', '/c2']);
  // Killing the waiting one takes it out of the queue.
  assert.deepEqual(scheduler.dequeue((leaf) => leaf.path === '/c3').map((l) => l.path), ['/c3']);
  finish('/c2');
  assert.deepEqual(started, ['/c1', '/other', '/c2']);
  assert.equal(scheduler.queuedCount, 0);
});

test('a node sent to another engine holds that engine’s budget, not the run’s; a budget that grows lets queued nodes start', () => {
  const { scheduler, started, finish, tree } = harness(
    [node('/', 'Parallel'), node('/here1', 'Exec', 'h1', { cpu: 2 }), node('/there1', 'Exec', 't1', { cpu: 2 }), node('/there2', 'Exec', 't2', { cpu: 2 }), node('/here2', 'Exec', 'h2', { cpu: 2 })],
    { cpu: 4, mem: 100 },
  );
  // Until its engine answers, the profile offers nothing: one node at a time runs there, alone.
  const elsewhere = new ResourceBudget({ cpu: 0, mem: 0 });
  scheduler.budgetOf = (leaf) => (leaf.path.startsWith('/there') ? elsewhere : undefined);
  scheduler.setAutorun(true);
  assert.deepEqual(started, ['/here1', '/there1'], 'the second remote node waits (FIFO), the local one behind it too');
  assert.equal(tree.get('/there2').state, 'queued');
  elsewhere.resize({ cpu: 8, mem: 100 });
  scheduler.pump();
  assert.deepEqual(started, ['/here1', '/there1', '/there2', '/here2'], 'the remote nodes do not use the 4 local cores');
  finish('/there1');
  finish('/there2');
  assert.deepEqual(elsewhere.inUse, { cpu: 0, mem: 0, nodes: 0 }, 'released to the budget they took from');
});
