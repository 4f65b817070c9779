// The panel's reducer and node index: what host messages and user actions do to the view state.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { PipelineSummary, StateCounts } from '../../protocol/runner';
import { isWebviewToHost, MAX_TAIL_BYTES, type WebviewNode } from '../../protocol/webviewMessages';
import { NodeIndex } from '../../webview/nodeIndex';
import { applyHostMessage, applyUiAction, currentExecution, DEFAULT_TAIL_BYTES, initialState, savedState, syncLogSubscription } from '../../webview/state';

const zero = (): StateCounts => ({ pending: 0, queued: 0, running: 0, done: 0, error: 0, killed: 0 });
const n = (path: string, type: WebviewNode['type'] = 'Exec', extra: Partial<WebviewNode> = {}): WebviewNode => ({ path, type, state: 'pending', skipped: false, counts: zero(), executions: [], ...extra });
const run: PipelineSummary = { id: 'bei-hou', name: 'race', file: '/r.py', createdAt: 0, lastUsedAt: 0, status: 'active', autorun: false, rootState: 'pending', counts: zero() };

const race = (): WebviewNode[] => [
  n('/', 'Parallel'),
  n('/container parallelism', 'Parallel'),
  n('/container parallelism/worker 0', 'Exec', { executions: [{ id: 'e1', startedAt: 10, endedAt: 20, exitCode: 0 }] }),
  n('/container parallelism/worker 1', 'Exec', { skipped: true }),
  n('/process parallelism', 'Exec', { executions: [{ id: 'e2', startedAt: 10, endedAt: 50, exitCode: 0 }, { id: 'e3', startedAt: 100 }] }),
  n('/lazy', 'Serial'),
  n('/lazy/Generate'),
  n('/lazy/Execute', 'Parallel'),
];

test('node index: children in order, rows of the expanded containers only', () => {
  const idx = new NodeIndex();
  idx.reset(race());
  assert.deepEqual(idx.childrenOf('/'), ['/container parallelism', '/process parallelism', '/lazy']);
  assert.deepEqual(
    idx.rows(new Set(['/'])).map((r) => [r.path, r.depth, r.hasChildren]),
    [
      ['/', 0, true],
      ['/container parallelism', 1, true],
      ['/process parallelism', 1, false],
      ['/lazy', 1, true],
    ],
  );
  assert.equal(idx.rows(new Set(idx.containers())).length, 8);
  assert.equal(idx.rows(new Set(idx.containers())).find((r) => r.path === '/lazy/Execute')!.hasChildren, false, 'Execute has no children yet');
  assert.equal(idx.skippedBy('/container parallelism/worker 1'), '/container parallelism/worker 1');
  assert.equal(idx.skippedBy('/container parallelism/worker 0'), null);
  assert.deepEqual(idx.ancestors('/lazy/Execute'), ['/', '/lazy']);
});

test('node index: a Lazy node’s generated children replace the old ones', () => {
  const idx = new NodeIndex();
  idx.reset([...race(), n('/lazy/Execute/old')]);
  const before = idx.structure;
  const { structural } = idx.update([n('/lazy/Execute', 'Parallel', { state: 'running' }), n('/lazy/Execute/a'), n('/lazy/Execute/b', 'Serial'), n('/lazy/Execute/b/c')], ['/lazy/Execute']);
  assert.ok(structural);
  assert.ok(idx.structure > before);
  assert.equal(idx.get('/lazy/Execute/old'), undefined);
  assert.deepEqual(idx.childrenOf('/lazy/Execute'), ['/lazy/Execute/a', '/lazy/Execute/b']);
  assert.deepEqual(idx.childrenOf('/lazy/Execute/b'), ['/lazy/Execute/b/c']);
  // A state change only: no structural change.
  const r = idx.update([n('/lazy/Execute/a', 'Exec', { state: 'done' })]);
  assert.equal(r.structural, false);
  assert.equal(idx.get('/lazy/Execute/a')!.state, 'done');
});

test('node index: 100,000 nodes index and flatten quickly', () => {
  const nodes = [n('/', 'Parallel'), ...Array.from({ length: 100 }, (_, i) => n(`/g${i}`, 'Parallel')), ...Array.from({ length: 100_000 }, (_, i) => n(`/g${i % 100}/n${i}`))];
  nodes.sort((a, b) => (a.path.split('/').length - b.path.split('/').length)); // parents first
  const idx = new NodeIndex();
  const t0 = performance.now();
  idx.reset(nodes);
  const rows = idx.rows(new Set(idx.containers()));
  const ms = performance.now() - t0;
  assert.equal(rows.length, 100_101);
  assert.ok(ms < 1500, `took ${ms.toFixed(0)} ms`);
});

test('init: a small pipeline opens fully, selects the requested node, restores saved state', () => {
  const s = initialState();
  const d = applyHostMessage(s, { type: 'init', run, live: true, nodes: race(), select: '/process parallelism' });
  assert.ok(d.rows && d.header && d.details);
  assert.equal(s.selected, '/process parallelism');
  assert.ok(s.expanded.has('/container parallelism'));
  assert.ok(!s.expanded.has('/lazy/Execute'), 'no children: nothing to open');
  const saved = savedState(s)!;
  assert.equal(saved.runId, 'bei-hou');
  // A reload: the saved state comes back, selection kept, expansion kept as it was.
  const again = initialState({ ...saved, expanded: ['/'] });
  applyHostMessage(again, { type: 'init', run, live: true, nodes: race() });
  assert.equal(again.selected, '/process parallelism');
  assert.deepEqual([...again.expanded], ['/']);
});

test('init: a selection that no longer exists falls back to the root', () => {
  const s = initialState({ runId: 'bei-hou', selected: '/gone' });
  applyHostMessage(s, { type: 'init', run, live: false, nodes: race() });
  assert.equal(s.selected, '/');
});

test('select: tells the host, resets the execution pick, opens ancestors when the sidebar selects', () => {
  const s = initialState({ runId: 'bei-hou', expanded: ['/'] });
  applyHostMessage(s, { type: 'init', run, live: true, nodes: race() });
  const out = applyUiAction(s, { type: 'select', path: '/process parallelism' });
  assert.deepEqual(out.send, [{ type: 'select', path: '/process parallelism' }]);
  assert.equal(applyUiAction(s, { type: 'select', path: '/process parallelism' }).send.length, 0, 'same node: nothing to send');
  const d = applyHostMessage(s, { type: 'select', path: '/container parallelism/worker 0' });
  assert.ok(s.expanded.has('/container parallelism'));
  assert.ok(d.rows && d.reveal);
  assert.equal(s.selected, '/container parallelism/worker 0');
});

test('details for another node than the selected one are dropped', () => {
  const s = initialState();
  applyHostMessage(s, { type: 'init', run, live: true, nodes: race(), select: '/lazy' });
  const details = { path: '/process parallelism', type: 'Exec' as const, state: 'done' as const, skipped: false, skippedByAncestor: null, params: {} as never, set: [], origins: {}, envOrigins: {}, parents: [], source: { file: 'f', line: 1 }, executions: [] };
  assert.deepEqual(applyHostMessage(s, { type: 'details', details }), {});
  assert.equal(s.details, null);
});

test('nodes: a delta updates states without recomputing rows; a removed selection moves up', () => {
  const s = initialState();
  applyHostMessage(s, { type: 'init', run, live: true, nodes: [...race(), n('/lazy/Execute/x')], select: '/lazy/Execute/x' });
  const d = applyHostMessage(s, { type: 'nodes', run: { ...run, autorun: true }, live: true, nodes: [n('/lazy/Generate', 'Exec', { state: 'running' })], replaced: [] });
  assert.ok(!d.rows && d.tree && d.header);
  assert.equal(s.run!.autorun, true);
  applyHostMessage(s, { type: 'nodes', run, live: true, nodes: [n('/lazy/Execute', 'Parallel')], replaced: ['/lazy/Execute'] });
  assert.equal(s.selected, '/lazy/Execute');
});

test('logs: subscribe only while the Logs tab shows, to the latest execution unless one is picked', () => {
  const s = initialState();
  applyHostMessage(s, { type: 'init', run, live: true, nodes: race(), select: '/process parallelism' });
  assert.equal(syncLogSubscription(s), null, 'details tab: no log');
  applyUiAction(s, { type: 'tab', tab: 'logs' });
  assert.deepEqual(syncLogSubscription(s), { type: 'subscribeLog', path: '/process parallelism', execution: 'e3', stream: 'combined', tailBytes: DEFAULT_TAIL_BYTES });
  assert.equal(syncLogSubscription(s), null, 'already subscribed');
  applyUiAction(s, { type: 'execution', id: 'e2' });
  assert.equal(currentExecution(s)!.id, 'e2');
  assert.equal((syncLogSubscription(s) as { execution: string }).execution, 'e2');
  applyUiAction(s, { type: 'loadMore' });
  assert.equal((syncLogSubscription(s) as { tailBytes: number }).tailBytes, DEFAULT_TAIL_BYTES * 4);
  applyUiAction(s, { type: 'loadMore' });
  applyUiAction(s, { type: 'loadMore' });
  assert.equal((syncLogSubscription(s) as { tailBytes: number }).tailBytes, MAX_TAIL_BYTES, 'Load earlier stops at what the host reads');
  assert.ok(isWebviewToHost({ type: 'subscribeLog', path: '/a', execution: 'e2', stream: 'combined', tailBytes: MAX_TAIL_BYTES }));
  applyUiAction(s, { type: 'stream', stream: 'stderr' });
  assert.equal((syncLogSubscription(s) as { stream: string }).stream, 'stderr');
  applyUiAction(s, { type: 'select', path: '/lazy' });
  assert.deepEqual(syncLogSubscription(s), { type: 'subscribeLog', path: '/process parallelism', execution: null, stream: 'stderr', tailBytes: MAX_TAIL_BYTES });
  // A new init (webview reloaded, or the host rebound the run): the host forgot; subscribe again.
  applyUiAction(s, { type: 'select', path: '/process parallelism' });
  syncLogSubscription(s);
  applyHostMessage(s, { type: 'init', run, live: true, nodes: race() });
  assert.equal((syncLogSubscription(s) as { execution: string }).execution, 'e3');
});

test('compare: two picks send one compare; a third replaces the oldest', () => {
  const s = initialState();
  applyHostMessage(s, { type: 'init', run, live: true, nodes: race() });
  assert.deepEqual(applyUiAction(s, { type: 'compareToggle', ref: { path: '/process parallelism', execution: 'e2' } }).send, []);
  const out = applyUiAction(s, { type: 'compareToggle', ref: { path: '/process parallelism', execution: 'e3' } });
  assert.deepEqual(out.send, [{ type: 'compare', a: { path: '/process parallelism', execution: 'e2' }, b: { path: '/process parallelism', execution: 'e3' } }]);
  applyUiAction(s, { type: 'compareToggle', ref: { path: '/container parallelism/worker 0', execution: 'e1' } });
  assert.deepEqual(s.compare.map((r) => r.execution), ['e3', 'e1']);
  applyUiAction(s, { type: 'compareToggle', ref: { path: '/container parallelism/worker 0', execution: 'e1' } });
  assert.deepEqual(s.compare.map((r) => r.execution), ['e3']);
});

test('expand all / collapse all, and a host error shows until dismissed', () => {
  const s = initialState({ runId: 'bei-hou', expanded: ['/'] });
  applyHostMessage(s, { type: 'init', run, live: true, nodes: race() });
  applyUiAction(s, { type: 'expandAll', open: true });
  assert.deepEqual([...s.expanded].sort(), ['/', '/container parallelism', '/lazy']);
  applyUiAction(s, { type: 'expandAll', open: false });
  assert.deepEqual([...s.expanded], ['/']);
  applyHostMessage(s, { type: 'error', message: 'no', op: 'modify' });
  assert.equal(s.error, 'no');
  applyUiAction(s, { type: 'dismissError' });
  assert.equal(s.error, null);
});
