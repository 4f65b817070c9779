// JobWaits: what a job waits on (the run's cancel, its worker's end) leaves no listener behind once
// the job is over. A worker's signal outlives thousands of jobs: a listener left per job would grow
// without end in a large run.
import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { JobWaits } from '../../runner/backend';

test('a wait resolves when its signal aborts; at once when it already has', async () => {
  const cancel = new AbortController();
  const waits = new JobWaits();
  const order: string[] = [];
  const waiting = waits.until(cancel.signal).then(() => order.push('cancelled'));
  await Promise.resolve();
  assert.deepEqual(order, []);
  cancel.abort();
  await waiting;
  assert.deepEqual(order, ['cancelled']);
  await waits.until(cancel.signal); // already aborted: does not hang
  waits.end();
});

test('ending the job removes every listener it added, on every signal', () => {
  const run = new AbortController();
  const worker = new AbortController();
  for (let job = 0; job < 1000; job++) {
    const waits = new JobWaits();
    void waits.until(run.signal);
    void waits.until(worker.signal);
    waits.end();
  }
  assert.equal(getEventListeners(run.signal, 'abort').length, 0);
  assert.equal(getEventListeners(worker.signal, 'abort').length, 0);
});
