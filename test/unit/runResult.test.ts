// Which notification a run's end gets by the pipewright.notifications setting, and the status bar's line.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { NodeState, StateCounts } from '../../protocol/runner';
import { finishNotice, notificationSetting, resultText, type RunResult } from '../../extension/statusBar/runResult';

const counts = (c: Partial<StateCounts>): StateCounts => ({ pending: 0, queued: 0, running: 0, done: 0, error: 0, killed: 0, ...c });
const result = (rootState: NodeState, c: Partial<StateCounts>, failed: string[] = []): RunResult => ({ id: 'bei-hou', name: 'pipeline', rootState, counts: counts(c), durationMs: 65_000, failed });

const done = result('done', { done: 3 });
const failed = result('error', { done: 1, error: 2 }, ['/build', '/test']);
const killed = result('killed', { done: 1, killed: 1 }, ['/slow']);

test('"all" notifies every end: done with Show, a failure with Show and Show Logs of the first failed node', () => {
  assert.deepEqual(finishNotice(done, 'all'), { severity: 'info', message: 'Pipeline bei-hou (pipeline) done in 1m05s.', buttons: ['Show'] });
  assert.deepEqual(finishNotice(failed, 'all'), { severity: 'error', message: 'Pipeline bei-hou (pipeline) failed (2 errors) after 1m05s: /build and 1 more.', buttons: ['Show', 'Show Logs'], logsOf: '/build' });
  assert.deepEqual(finishNotice(killed, 'all')?.message, 'Pipeline bei-hou (pipeline) failed (1 killed) after 1m05s: /slow.');
});

test('"failures" notifies failed and killed runs only; "off" none', () => {
  assert.equal(finishNotice(done, 'failures'), null);
  assert.equal(finishNotice(failed, 'failures')?.severity, 'error');
  assert.equal(finishNotice(killed, 'failures')?.logsOf, '/slow');
  for (const r of [done, failed, killed]) assert.equal(finishNotice(r, 'off'), null);
});

test('a run that stopped with nodes pending (run toggle off) has not ended: no notification', () => {
  assert.equal(finishNotice(result('pending', { done: 1, pending: 2 }), 'all'), null);
  assert.equal(finishNotice(result('running', { running: 1 }), 'all'), null);
});

test('a failure with no failed Exec node to show has no Show Logs', () => {
  assert.deepEqual(finishNotice(result('error', { error: 0 }), 'all')?.buttons, ['Show']);
});

test('the setting: its three values; anything else is the default, "all"', () => {
  for (const v of ['all', 'failures', 'off'] as const) assert.equal(notificationSetting(v), v);
  for (const v of [undefined, 'none', 3, null]) assert.equal(notificationSetting(v), 'all');
});

test('the status bar line: "✓ NAME done 1m05s" / "✗ NAME: 2 errors"', () => {
  assert.equal(resultText(done), '✓ pipeline done 1m05s');
  assert.equal(resultText(failed), '✗ pipeline: 2 errors');
  assert.equal(resultText(result('error', { error: 1, killed: 1 })), '✗ pipeline: 1 error, 1 killed');
});
