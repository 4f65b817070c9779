// `pipewright run` lets go of its pipeline whatever fails, so the process ends: a run whose
// summary could not be written (a 3,000-deep tree overflowed the stack there) used to keep its
// workers, and the command hung after printing the error.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runToEnd } from '../../cli/runToEnd';
import { RunTree } from '../../runner/model/runTree';
import type { RunHandle } from '../../runner/runHandle';
import { node } from '../helpers/nodes';

function fakeRun() {
  const tree = new RunTree([node('/', 'Serial'), node('/a', 'Exec', 'echo a')]);
  tree.setLeafState(tree.get('/a'), 'done');
  const run = { id: 'bei-hou', tree, status: 'active', asleep: false, closed: 0, whyPending: () => [], settled: async () => {}, ended: async () => {}, on: () => run, off: () => run, close: async () => void run.closed++ };
  return run;
}

test('run to the end: the pipeline is closed once when the summary fails to print', async () => {
  const run = fakeRun();
  const io = {
    out: (text: string) => {
      if (text.startsWith('/')) throw new Error('the summary failed');
    },
    err: () => {},
  };
  await assert.rejects(runToEnd(run as unknown as RunHandle, false, io, () => {}), /the summary failed/);
  assert.equal(run.closed, 1);
});

test('run to the end: the pipeline is closed once when starting it is refused, and once when all goes well', async () => {
  const refused = fakeRun();
  const quiet = { out: () => {}, err: () => {} };
  await assert.rejects(
    runToEnd(refused as unknown as RunHandle, true, quiet, () => {
      throw new Error('no node /b in this pipeline');
    }),
    /no node \/b/,
  );
  assert.equal(refused.closed, 1);
  const fine = fakeRun();
  assert.equal(await runToEnd(fine as unknown as RunHandle, true, quiet, () => {}), 0);
  assert.equal(fine.closed, 1);
});

test('run to the end: notices (a callback that is not configured) are printed on stderr with their node', async () => {
  const listeners: ((event: unknown) => void)[] = [];
  const run = { ...fakeRun(), on: (_: string, listener: (event: unknown) => void) => (listeners.push(listener), run) };
  const err: string[] = [];
  const io = { out: () => {}, err: (text: string) => void err.push(text) };
  await runToEnd(run as unknown as RunHandle, false, io, () => {
    for (const listener of listeners) listener({ type: 'notice', pipeline: 'bei-hou', time: 0, path: '/a', message: 'co.callback.email (on_done): email is not configured' });
  });
  assert.deepEqual(err, ['/a: co.callback.email (on_done): email is not configured\n']);
});
