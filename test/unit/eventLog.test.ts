// A pipeline's event log on a real folder: a runner killed mid-write leaves a torn last line, which
// the next runner repairs so later events stay readable; a log that cannot be trusted (garbage,
// empty, another pipeline's) is refused naming the file, never replayed as "nothing happened".
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { ExecutionRecord, RunnerEvent } from '../../protocol/runner';
import { RunTree } from '../../runner/model/runTree';
import { replay } from '../../runner/run/replay';
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

test("an execution's end is stored as what changed since its start, and replays whole (the observer sees it whole)", async () => {
  const { id, log } = pipeline();
  const nodes = [node('/', 'Serial'), node('/a', 'Exec', 'echo a', { cpu: 0.5, env: { A: '1' } }), node('/b', 'Exec', 'echo b')];
  const execution = (p: string, n: number) => ({ id: `e${n}`, path: p, command: `echo ${p}`, params: nodes.find((x) => x.path === p)!.params, image: 'img:1', startedAt: 10, containerId: 'c1', token: 't' });
  const start = (p: string, n: number): RunnerEvent => ({ type: 'execution-start', pipeline: id, time: 10, path: p, execution: execution(p, n) });
  const end = (p: string, n: number): RunnerEvent => ({ type: 'execution-end', pipeline: id, time: 20, path: p, state: 'done', execution: { ...execution(p, n), endedAt: 20, exitCode: 0, peakMemoryBytes: 123 } });
  const writer = store.openEventLog(id);
  // The live record's objects change after the start is written (a step's metrics are added to it).
  const live = start('/a', 1) as RunnerEvent & { type: 'execution-start' };
  const step = { id: 's', queue: 'q', parameters: {} } as NonNullable<ExecutionRecord['step']>;
  live.execution.step = step;
  writer.append([created(id), live]);
  step.metrics = { scalars: { loss: { train: [[0, 1]] } }, single: {}, texts: [], tables: [], dropped: 0 };
  const ended = end('/a', 1) as RunnerEvent & { type: 'execution-end' };
  ended.execution.step = step;
  writer.append([ended]);
  writer.close();
  // Another runner (a restart) saw no start of e2: its end is stored whole.
  const next = store.openEventLog(id);
  next.append([end('/b', 2)]);
  next.close();
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const stored = JSON.parse(lines[2]!) as { delta?: boolean; execution: Record<string, unknown> };
  assert.equal(stored.delta, true);
  // Neither the command, params nor image again (most of a large run's log).
  assert.deepEqual(stored.execution, { id: 'e1', endedAt: 20, exitCode: 0, peakMemoryBytes: 123, step }, 'what changed, the step changed in place too');
  assert.equal((JSON.parse(lines[3]!) as { delta?: boolean }).delta, undefined);

  const tree = new RunTree(nodes);
  const seen: RunnerEvent[] = [];
  await replay(store.readEventBatches(id), tree, (event) => seen.push(event));
  assert.deepEqual(tree.get('/a').executions, [{ ...execution('/a', 1), token: undefined, step, endedAt: 20, exitCode: 0, peakMemoryBytes: 123 }]);
  assert.deepEqual(tree.get('/b').executions, [{ ...execution('/b', 2), endedAt: 20, exitCode: 0, peakMemoryBytes: 123 }]);
  const observed = seen.find((e) => e.type === 'execution-end' && e.path === '/a') as RunnerEvent & { type: 'execution-end' };
  assert.equal(observed.delta, undefined);
  assert.deepEqual(observed.execution.params, nodes[1]!.params, 'an observer of the replay sees the whole record');
});

test("an execution's start is stored as what differs from the start before it, and replays whole", async () => {
  const { id, log } = pipeline();
  const nodes = [node('/', 'Parallel'), node('/a', 'Exec', 'true'), node('/b', 'Exec', 'true'), node('/c', 'Exec', 'echo c', { cpu: 2 })];
  const params = (p: string) => nodes.find((x) => x.path === p)!.params;
  const execution = (p: string, n: number, more: Partial<ExecutionRecord> = {}): ExecutionRecord => ({ id: `e${n}`, path: p, command: nodes.find((x) => x.path === p)!.command!, params: params(p), image: 'img:1', startedAt: 10 + n, containerId: 'c1', token: `t${n}`, ...more });
  const start = (e: ExecutionRecord): RunnerEvent => ({ type: 'execution-start', pipeline: id, time: e.startedAt, path: e.path, execution: e });
  const end = (e: ExecutionRecord): RunnerEvent => ({ type: 'execution-end', pipeline: id, time: 30, path: e.path, state: 'done', execution: { ...e, endedAt: 30, exitCode: 0 } });
  const first = execution('/a', 1, { cpuClamped: 1, ranOn: 'host' });
  const second = execution('/b', 2, { ranOn: 'host' });
  // Another command, params, profile; and cpuClamped, which the one before had, is gone.
  const third = execution('/c', 3, { ranOn: 'host', profile: 'gpu' });
  const writer = store.openEventLog(id);
  writer.append([created(id), start(first), end(first), start(second), start(third), end(third), end(second)]);
  writer.close();
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { delta?: boolean; unset?: string[]; execution: Record<string, unknown> });
  assert.deepEqual(lines[1]!.execution, { id: 'e1', command: 'true', params: params('/a'), image: 'img:1', startedAt: 11, containerId: 'c1', token: 't1', cpuClamped: 1, ranOn: 'host' }, 'the first: whole but its path');
  assert.deepEqual(lines[3]!.execution, { id: 'e2', startedAt: 12, token: 't2' }, 'a sibling: only what differs');
  assert.deepEqual(lines[3]!.unset, ['cpuClamped']);
  assert.deepEqual(lines[4]!.execution, { id: 'e3', command: 'echo c', params: params('/c'), startedAt: 13, token: 't3', profile: 'gpu' });
  assert.equal(lines[4]!.unset, undefined);

  const tree = new RunTree(nodes);
  const seen: RunnerEvent[] = [];
  await replay(store.readEventBatches(id), tree, (event) => seen.push(event));
  assert.deepEqual(tree.get('/a').executions, [{ ...first, token: undefined, endedAt: 30, exitCode: 0 }], 'an ended job needs no handle');
  assert.deepEqual(tree.get('/b').executions, [{ ...second, token: undefined, endedAt: 30, exitCode: 0 }], 'nothing of the first start or of its end leaks into the second');
  assert.deepEqual(tree.get('/c').executions, [{ ...third, token: undefined, endedAt: 30, exitCode: 0 }]);
  const observed = seen.filter((e) => e.type === 'execution-start') as (RunnerEvent & { type: 'execution-start' })[];
  assert.deepEqual(observed.map((e) => [e.delta, e.unset, e.execution.command]), [[undefined, undefined, 'true'], [undefined, undefined, 'true'], [undefined, undefined, 'echo c']], 'an observer sees each start whole');
});
