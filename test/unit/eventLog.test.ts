// A pipeline's event log on a real folder: a runner killed mid-write leaves a torn last line, which
// the next runner repairs so later events stay readable; a log that cannot be trusted (garbage,
// empty, another pipeline's) is refused naming the file, never replayed as "nothing happened".
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { RunnerEvent } from '../../protocol/runner';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { node } from '../helpers/nodes';

const root = mkdtempSync(path.join(tmpdir(), 'pw-eventlog-'));
after(() => rmSync(root, { recursive: true, force: true }));
const store = new PipelineStore(root);

/** A stored pipeline and the path of its (not yet written) event log. */
function pipeline(): { id: string; log: string } {
  const meta = store.create({ pipewright: 1, name: 'p', file: '/x/p.py', nodes: [node('/', 'Serial'), node('/a', 'Exec', 'echo a'), node('/b', 'Exec', 'echo b')] });
  return { id: meta.id, log: path.join(store.dir(meta.id), 'events.jsonl') };
}

const created = (id: string): RunnerEvent => ({ type: 'created', pipeline: id, time: 1, name: 'p', file: '/x/p.py' });
const state = (id: string, p: string, s: 'running' | 'done', time: number): RunnerEvent => ({ type: 'state', pipeline: id, time, path: p, state: s });

async function replayed(id: string): Promise<RunnerEvent[]> {
  const events: RunnerEvent[] = [];
  for await (const event of store.readEvents(id)) events.push(event);
  return events;
}

test('a torn last line (a runner killed mid-write) does not hide the events appended after it', async () => {
  const { id, log } = pipeline();
  const first = store.openEventLog(id);
  first.append([created(id), state(id, '/a', 'running', 2)]);
  first.close();
  // What a runner killed in the middle of a write leaves: part of a line, no newline.
  appendFileSync(log, '{"type":"state","pipeline":"' + id + '","ti');
  assert.deepEqual(await replayed(id), [created(id), state(id, '/a', 'running', 2)], 'replay ignores the torn last line');

  const next = store.openEventLog(id);
  next.append([state(id, '/a', 'done', 3)]);
  next.append([state(id, '/b', 'done', 4)]);
  next.close();
  assert.deepEqual(await replayed(id), [created(id), state(id, '/a', 'running', 2), state(id, '/a', 'done', 3), state(id, '/b', 'done', 4)]);
  assert.ok(readFileSync(log, 'utf8').endsWith('\n'));
});

test('a last line complete but for its newline is kept when the log is opened again', async () => {
  const { id, log } = pipeline();
  writeFileSync(log, `${JSON.stringify(created(id))}\n${JSON.stringify(state(id, '/a', 'done', 2))}`);
  const next = store.openEventLog(id);
  next.append([state(id, '/b', 'done', 3)]);
  next.close();
  assert.deepEqual(await replayed(id), [created(id), state(id, '/a', 'done', 2), state(id, '/b', 'done', 3)]);
});

test('garbage in the middle of a log is refused, naming the file and the line', async () => {
  const { id, log } = pipeline();
  writeFileSync(log, `${JSON.stringify(created(id))}\n{"type":"sta{"type":"state"}\n${JSON.stringify(state(id, '/a', 'done', 3))}\n`);
  await assert.rejects(replayed(id), (err: Error) => {
    assert.ok(err.message.includes(`${log}:2:`), err.message);
    assert.match(err.message, /not JSON/);
    return true;
  });
});

test('an empty log of a pipeline that has a meta.json is refused, naming the file', async () => {
  const { id, log } = pipeline();
  writeFileSync(log, '');
  await assert.rejects(replayed(id), (err: Error) => {
    assert.ok(err.message.includes(log), err.message);
    assert.match(err.message, /no events/);
    return true;
  });
});

test('a log that does not begin with the pipeline being created, or holds another pipeline, is refused', async () => {
  const { id, log } = pipeline();
  writeFileSync(log, `${JSON.stringify(state(id, '/a', 'done', 2))}\n`);
  await assert.rejects(replayed(id), (err: Error) => err.message.startsWith(`${log}:1: `) && /"created"/.test(err.message));

  writeFileSync(log, `${JSON.stringify(created(id))}\n${JSON.stringify(state('other-one', '/a', 'done', 2))}\n`);
  await assert.rejects(replayed(id), (err: Error) => err.message.startsWith(`${log}:2: `) && /other-one/.test(err.message));

  writeFileSync(log, `${JSON.stringify(created(id))}\n[1, 2]\n${JSON.stringify(state(id, '/a', 'done', 2))}\n`);
  await assert.rejects(replayed(id), (err: Error) => err.message.startsWith(`${log}:2: `) && /not an event/.test(err.message));
});
