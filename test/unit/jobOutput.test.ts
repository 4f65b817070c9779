// A job's output up to the agent's end marker, from where it begins: a swarm task's start marker,
// at once (a live worker), or after the earlier jobs' end markers in the engine's log (a
// re-attach). Every byte kept whatever the chunking, the status read from the end marker, nothing
// of another nonce's markers taken for this job's.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { endMarker, startMarker } from '../../runner/localDocker/agent';
import { JobOutput, type OutputStart, type StreamName } from '../../runner/localDocker/jobOutput';

const NONCE = 'ab'.repeat(16);
const end = (status: number, nonce = NONCE) => Buffer.concat([endMarker(nonce), Buffer.from(`${status} 1764500000\n`)]);

function collect(endWithoutStart = false, start: OutputStart = { kind: 'marker' }) {
  const got: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  let begun = 0;
  const output = new JobOutput(NONCE, { begin: () => void begun++, write: (s, b) => void got[s].push(Buffer.from(b)) }, undefined, { start, endWithoutStart });
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

/** Feeds both streams cut into pieces of `cut` bytes, stdout's and stderr's pieces taking turns. */
function feedCut(output: JobOutput, streams: Record<StreamName, Buffer>, cut: number): void {
  for (let at = 0; at < Math.max(streams.stdout.length, streams.stderr.length); at += cut) {
    for (const name of ['stdout', 'stderr'] as const) if (at < streams[name].length) output.feed(name, streams[name].subarray(at, at + cut));
  }
}

test("a live worker's job: every byte from the first is the job's, up to its end marker", async () => {
  const body = Buffer.concat([Buffer.from('\0x\n'), end(0, 'cd'.repeat(16)), endMarker(NONCE).subarray(0, 12), Buffer.from('done\n')]);
  for (let cut = 1; cut < body.length + 50; cut += 5) {
    const { output, got, begun } = collect(false, { kind: 'now' });
    assert.equal(output.heardFrom, false);
    feedCut(output, { stdout: Buffer.concat([body, end(4)]), stderr: Buffer.concat([Buffer.from('err\n'), end(4)]) }, cut);
    assert.equal(await output.done, 4, `cut ${cut}`);
    assert.deepEqual(Buffer.concat(got.stdout), body, `cut ${cut}`);
    assert.equal(Buffer.concat(got.stderr).toString(), 'err\n');
    assert.equal(begun(), 1);
    assert.equal(output.heardFrom, true);
  }
});

test("a re-attach: the job's output begins after the earlier ends counted in the engine's log; a hostile earlier job's lookalike ends and bytes after them stay out", async () => {
  const previous = 'ef'.repeat(16);
  // The job before it on this worker prints an end marker of its own nonce (it can read it), then
  // more, before its real end; this job prints a lookalike of another nonce (kept: only the
  // previous job's ends count), then ends; a probe's end follows.
  const mine = Buffer.concat([Buffer.from('mine 1\n'), end(0, '12'.repeat(16)), Buffer.from('mine 2\n')]);
  const stdout = Buffer.concat([Buffer.from('older\n'), end(0, '34'.repeat(16)), Buffer.from('prev\n'), end(0, previous), Buffer.from('INJECTED\n'), end(0, previous), mine, end(5), Buffer.from('probe\n'), end(0, '56'.repeat(16))]);
  const stderr = Buffer.concat([end(0, '34'.repeat(16)), Buffer.from('INJECTED ERR\n'), end(0, previous), Buffer.from('my err\n'), end(5), end(0, '56'.repeat(16))]);
  for (let cut = 1; cut < stdout.length; cut += 3) {
    // First the engine's log so far (here all of it): the ends before this job's own.
    const counter = collect(true, { kind: 'after-ends', previous: previous.slice(0, 12), ends: { stdout: Infinity, stderr: Infinity } });
    feedCut(counter.output, { stdout, stderr }, cut);
    assert.equal(await counter.output.done, 5);
    assert.deepEqual(counter.output.endsPassed, { stdout: 2, stderr: 1 }, `cut ${cut}: the previous job's ends only, up to this job's`);
    assert.deepEqual(counter.got, { stdout: [], stderr: [] });
    // Then the same log again, past that many ends.
    const { output, got, begun } = collect(true, { kind: 'after-ends', previous: previous.slice(0, 12), ends: counter.output.endsPassed });
    feedCut(output, { stdout, stderr }, cut);
    assert.equal(await output.done, 5, `cut ${cut}`);
    assert.equal(Buffer.concat(got.stdout).toString('latin1'), mine.toString('latin1'), `cut ${cut}`);
    assert.equal(Buffer.concat(got.stderr).toString(), 'my err\n', `cut ${cut}`);
    assert.equal(output.started, true);
    assert.equal(begun(), 1);
  }
});

test('a re-attach with no earlier end in the log: output from its first byte; with fewer ends than counted (the log moved on), the status still', async () => {
  const fresh = collect(true, { kind: 'after-ends', previous: '', ends: { stdout: 0, stderr: 0 } });
  assert.equal(fresh.begun(), 1, 'begun at once');
  feedCut(fresh.output, { stdout: Buffer.concat([Buffer.from('first\n'), end(0)]), stderr: end(0) }, 4);
  assert.equal(await fresh.output.done, 0);
  assert.equal(Buffer.concat(fresh.got.stdout).toString(), 'first\n');

  const moved = collect(true, { kind: 'after-ends', previous: 'ef'.repeat(6), ends: { stdout: 2, stderr: 2 } });
  feedCut(moved.output, { stdout: Buffer.concat([Buffer.from('…the tail\n'), end(9)]), stderr: end(9) }, 6);
  assert.equal(await moved.output.done, 9);
  assert.equal(moved.output.started, false, 'its beginning was not seen');
  assert.deepEqual(moved.got, { stdout: [], stderr: [] });
});
