// Why nodes are still pending once nothing runs: what `pipewright run` and `start` say at the end.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { NodeState } from '../../protocol/runner';
import type { PipelineNode } from '../../protocol/pipeline';
import { RunTree } from '../../runner/model/runTree';
import { ResourceBudget } from '../../runner/scheduler/resourceBudget';
import { NO_REASON } from '../../runner/scheduler/pendingReasons';
import { Scheduler } from '../../runner/scheduler/scheduler';
import { pendingReport } from '../../cli/pendingReport';
import { node } from '../helpers/nodes';

/** Runs a tree to its end, each Exec node ending as `ends` says (done by default). */
function runToEnd(nodes: PipelineNode[], ends: Record<string, NodeState> = {}) {
  const tree = new RunTree(nodes);
  const running: string[] = [];
  const scheduler = new Scheduler(tree, new ResourceBudget({ cpu: 100, mem: 100 }), (leaf) => running.push(leaf.path));
  scheduler.setAutorun(true);
  while (running.length) {
    const leaf = tree.get(running.shift()!);
    scheduler.release(leaf);
    tree.setLeafState(leaf, ends[leaf.path] ?? 'done');
    scheduler.pump();
  }
  return { tree, scheduler };
}

test('a Serial stopped at a failure: the nodes after it, by subtree, and which failure', () => {
  const { scheduler } = runToEnd(
    [node('/', 'Serial'), node('/a', 'Exec', 'a'), node('/b', 'Exec', 'b'), node('/s', 'Serial'), node('/s/c', 'Exec', 'c'), node('/s/d', 'Exec', 'd'), node('/k', 'Exec', 'k', { skip: true })],
    { '/a': 'error' },
  );
  const reason = 'stopped at the failure of /a (stop_on_error)';
  assert.deepEqual(scheduler.whyPending(), [
    { path: '/b', pending: 1, reason },
    { path: '/s', pending: 2, reason },
  ]);
  assert.equal(pendingReport('bei-hou', scheduler.whyPending()), `pipeline bei-hou ends with 3 nodes pending:\n  /b, /s (2 nodes): ${reason}\n`);
});

test('a Parallel child whose DAG parent failed or was killed; a Serial without stop_on_error leaves none', () => {
  const { scheduler } = runToEnd(
    [
      node('/', 'Parallel'),
      node('/a', 'Exec', 'a'),
      node('/b', 'Exec', 'b', {}, ['/a']),
      node('/k', 'Exec', 'k'),
      node('/l', 'Exec', 'l', {}, ['/k']),
      node('/s', 'Serial', undefined, { stop_on_error: false }),
      node('/s/x', 'Exec', 'x'),
      node('/s/y', 'Exec', 'y'),
    ],
    { '/a': 'error', '/k': 'killed', '/s/x': 'error' },
  );
  assert.deepEqual(scheduler.whyPending(), [
    { path: '/b', pending: 1, reason: 'its parent /a failed' },
    { path: '/l', pending: 1, reason: 'its parent /k was killed' },
  ]);
});

test('the Run toggle off; a node the scheduler never started is reported, not passed over', () => {
  const nodes = [node('/', 'Serial'), node('/a', 'Exec', 'a'), node('/b', 'Exec', 'b')];
  const off = new Scheduler(new RunTree(nodes), new ResourceBudget({ cpu: 1, mem: 1 }), () => undefined);
  assert.deepEqual(off.whyPending(), [{ path: '/', pending: 2, reason: 'the Run toggle is off' }]);
  assert.match(pendingReport('bei-hou', off.whyPending()), /the Run toggle is off \(turn it on: pipewright start bei-hou\)/);
  // The toggle set without resuming: nothing active, nothing started, nothing to blame.
  const stuck = new Scheduler(new RunTree(nodes), new ResourceBudget({ cpu: 1, mem: 1 }), () => undefined);
  stuck.autorun = true;
  assert.deepEqual(stuck.whyPending(), [
    { path: '/a', pending: 1, reason: NO_REASON },
    { path: '/b', pending: 1, reason: 'waits for /a' },
  ]);
  assert.equal(runToEnd(nodes).scheduler.whyPending().length, 0, 'a finished run has nothing to explain');
});
