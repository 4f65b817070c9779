// A job's output between the agent's markers: every byte kept whatever the chunking, the status
// read from the end marker, nothing of another nonce's markers taken for this job's.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { endMarker, startMarker } from '../../runner/localDocker/agent';
import { JobOutput, type StreamName } from '../../runner/localDocker/jobOutput';

const NONCE = 'ab'.repeat(16);
const end = (status: number, nonce = NONCE) => Buffer.concat([endMarker(nonce), Buffer.from(`${status} 1764500000\n`)]);

function collect(endWithoutStart = false) {
  const got: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  let begun = 0;
  const output = new JobOutput(NONCE, { begin: () => void begun++, write: (s, b) => void got[s].push(Buffer.from(b)) }, undefined, endWithoutStart);
  return { output, got, begun: () => begun };
}

test('every byte between the markers, however the stream is cut; the status and end time from the marker', async () => {
  // Output that looks like markers: a NUL, a marker of another nonce, a prefix of ours.
  const body = Buffer.concat([Buffer.from('a\0b\xff\n', 'latin1'), end(0, 'cd'.repeat(16)), endMarker(NONCE).subarray(0, 10), Buffer.from('tail\0')]);
  const stdout = Buffer.concat([Buffer.from('previous job\n'), startMarker(NONCE), body, end(3)]);
  const stderr = Buffer.concat([startMarker(NONCE), Buffer.from('oops\n'), end(3)]);
  for (let cut = 1; cut < stdout.length; cut += 7) {
    const { output, got, begun } = collect();
    for (let at = 0; at < stdout.length; at += cut) output.feed('stdout', stdout.subarray(at, at + cut));
    for (let at = 0; at < stderr.length; at += cut) output.feed('stderr', stderr.subarray(at, at + cut));
    assert.equal(await output.done, 3, `cut ${cut}`);
    assert.equal(output.endedAt, 1764500000 * 1000);
    assert.deepEqual(Buffer.concat(got.stdout), body, `cut ${cut}`);
    assert.equal(Buffer.concat(got.stderr).toString(), 'oops\n');
    assert.equal(begun(), 1);
  }
});

test('it ends only when both streams carried the end marker', async () => {
  const { output } = collect();
  let ended = false;
  void output.done.then(() => (ended = true));
  output.feed('stdout', Buffer.concat([startMarker(NONCE), Buffer.from('x'), end(0)]));
  await new Promise((r) => setImmediate(r));
  assert.equal(ended, false, 'stderr may still have bytes to come');
  output.feed('stderr', Buffer.concat([startMarker(NONCE), end(0)]));
  assert.equal(await output.done, 0);
});

test('a stream that closes without a marker: what was held back is output, the status unknown', async () => {
  const { output, got } = collect();
  output.feed('stdout', Buffer.concat([startMarker(NONCE), Buffer.from('line\n\0PWE')]));
  output.close();
  assert.equal(await output.done, null);
  assert.equal(Buffer.concat(got.stdout).toString('latin1'), 'line\n\0PWE');
});

test('a re-attach whose start the engine no longer has still takes the end and its status', async () => {
  const { output, got, begun } = collect(true);
  output.feed('stdout', Buffer.concat([Buffer.from('…the middle of the output\n'), end(7)]));
  output.feed('stderr', end(7));
  assert.equal(await output.done, 7);
  assert.equal(output.started, false);
  assert.equal(begun(), 0, 'the logs are not started over');
  assert.deepEqual(got.stdout, []);
});

test('the peak memory the agent read at the end is taken from the marker; an empty one is none', async () => {
  const marker = (tail: string) => Buffer.concat([endMarker(NONCE), Buffer.from(tail)]);
  for (const [tail, peak] of [['0 1764500000 52428800\n', 52428800], ['0 1764500000 \n', undefined], ['0 1764500000\n', undefined]] as const) {
    const { output } = collect();
    for (const s of ['stdout', 'stderr'] as const) output.feed(s, Buffer.concat([startMarker(NONCE), marker(tail)]));
    assert.equal(await output.done, 0);
    assert.equal(output.endedAt, 1764500000 * 1000);
    assert.equal(output.peakBytes, peak, JSON.stringify(tail));
  }
});
