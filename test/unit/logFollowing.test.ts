// The panel's Logs tab follows the selected node's latest execution: an older one picked in the
// Timeline gives way when the node runs again, unless the user pinned it; the heading says which.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { PipelineSummary, StateCounts } from '../../protocol/runner';
import type { ExecutionBrief, WebviewNode } from '../../protocol/webviewMessages';
import { applyHostMessage, applyUiAction, currentExecution, initialState, logHeading, savedState, syncLogSubscription } from '../../webview/state';

const zero = (): StateCounts => ({ pending: 0, queued: 0, running: 0, done: 0, error: 0, killed: 0 });
const run: PipelineSummary = { id: 'bei-hou', name: 'build', file: '/b.py', createdAt: 0, lastUsedAt: 0, status: 'active', autorun: true, rootState: 'running', counts: zero() };
const e = (id: string, startedAt: number, endedAt?: number, exitCode?: number): ExecutionBrief => ({ id, startedAt, ...(endedAt !== undefined ? { endedAt, exitCode } : {}) });
const test_ = (executions: ExecutionBrief[]): WebviewNode => ({ path: '/build/test', type: 'Exec', state: executions.at(-1)?.endedAt === undefined ? 'running' : 'done', skipped: false, counts: zero(), executions });
const tree = (executions: ExecutionBrief[]): WebviewNode[] => [
  { path: '/', type: 'Serial', state: 'running', skipped: false, counts: zero(), executions: [] },
  { path: '/build', type: 'Serial', state: 'running', skipped: false, counts: zero(), executions: [] },
  test_(executions),
];

/** A panel on /build/test with two ended executions, the Logs tab open. */
function panel() {
  const s = initialState();
  applyHostMessage(s, { type: 'init', run, live: true, nodes: tree([e('e1', 1, 2, 0), e('e2', 3, 4, 1)]), select: '/build/test' });
  applyUiAction(s, { type: 'tab', tab: 'logs' });
  syncLogSubscription(s);
  return s;
}
/** The runner started the node again: e3, running. */
const rerun = (s: ReturnType<typeof initialState>) => applyHostMessage(s, { type: 'nodes', run, live: true, nodes: [test_([e('e1', 1, 2, 0), e('e2', 3, 4, 1), e('e3', 5)])], replaced: [] });

test('an older execution picked in the Timeline gives way to a new one as it starts', () => {
  const s = panel();
  applyUiAction(s, { type: 'execution', id: 'e1' });
  assert.equal(currentExecution(s)?.id, 'e1');
  assert.deepEqual(logHeading(s), { text: '/build/test · execution e1 · exit 0 · 1 of 2 · latest: e2 · exit 1', older: true, pinned: false });
  syncLogSubscription(s);
  const dirty = rerun(s);
  assert.equal(currentExecution(s)?.id, 'e3', 'the new execution shows');
  assert.ok(dirty.logs, 'the Logs tab redraws');
  assert.deepEqual(syncLogSubscription(s), { type: 'subscribeLog', path: '/build/test', execution: 'e3', stream: 'combined', tailBytes: 2 * 1024 * 1024 });
  assert.deepEqual(logHeading(s), { text: '/build/test · execution e3 · running · 3 of 3', older: false, pinned: false });
});

test('a pinned execution stays shown when the node runs again; unpinned, the latest shows', () => {
  const s = panel();
  applyUiAction(s, { type: 'execution', id: 'e1' });
  applyUiAction(s, { type: 'pin', on: true });
  rerun(s);
  assert.equal(currentExecution(s)?.id, 'e1');
  assert.match(logHeading(s)!.text, /^\/build\/test · execution e1 · exit 0 · 1 of 3 · pinned · latest: e3 · running$/);
  assert.deepEqual(savedState(s)?.pinned, true, 'the pin survives a reload');
  assert.equal(initialState(savedState(s)).pinned, true);
  applyUiAction(s, { type: 'pin', on: false });
  assert.equal(currentExecution(s)?.id, 'e3', 'unpinning shows the latest');
  assert.equal(savedState(s)?.pinned, undefined);
});

test('pinning the latest keeps it when the next one starts; another node unpins', () => {
  const s = panel();
  applyUiAction(s, { type: 'pin', on: true });
  assert.equal(s.execution, 'e2', 'the latest is pinned by id');
  rerun(s);
  assert.equal(currentExecution(s)?.id, 'e2');
  // Picking the latest while pinned pins it too.
  applyUiAction(s, { type: 'execution', id: null });
  assert.equal(s.execution, 'e3');
  applyUiAction(s, { type: 'select', path: '/build' });
  assert.equal(s.pinned, false);
  assert.equal(logHeading(s), null, 'a container has no log');
});

test('a state change of the same execution does not move the Logs tab', () => {
  const s = panel();
  applyUiAction(s, { type: 'execution', id: 'e1' });
  applyHostMessage(s, { type: 'nodes', run, live: true, nodes: [test_([e('e1', 1, 2, 0), e('e2', 3, 4, 1)])], replaced: [] });
  assert.equal(currentExecution(s)?.id, 'e1');
});
