// A run's checkpoint (store/checkpointFile.ts) on a real store: reopening from it and the events
// logged after it gives the same tree as replaying the whole log, without reading the log's
// beginning; one that does not fit (cut short, another version, another tree, another log) is
// ignored and the whole log replayed.
import { strict as assert } from 'node:assert';
import { openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { PipelineNode } from '../../protocol/pipeline';
import type { ExecutionRecord, RunnerEvent } from '../../protocol/runner';
import { RunTree, type RunNode } from '../../runner/model/runTree';
import { restore } from '../../runner/run/restore';
import { saveCheckpoint } from '../../runner/run/saveCheckpoint';
import { writeCheckpoint, type CheckpointHeader } from '../../runner/store/checkpointFile';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { node } from '../helpers/nodes';

const root = mkdtempSync(path.join(tmpdir(), 'pw-checkpoint-'));
after(() => rmSync(root, { recursive: true, force: true }));
const store = new PipelineStore(root);

const nodes: PipelineNode[] = [
  node('/', 'Serial'),
  node('/a', 'Exec', 'echo a'),
  node('/lazy', 'Parallel'),
  node('/b', 'Exec', 'echo b', { env: { TOKEN: 'secret' } }),
  node('/c', 'Exec', 'echo c'),
];

/** A stored run: its definition, then a Lazy's children added, a modify, a skip, executions (one retried, one left running). */
function storedRun(): { id: string; events: RunnerEvent[] } {
  const { id } = store.create({ pipewright: 1, name: 'p', file: '/x/p.py', nodes });
  let n = 0;
  const execution = (p: string, more: Partial<ExecutionRecord> = {}): ExecutionRecord => ({ id: `e${++n}`, path: p, command: `echo ${p}`, params: node(p, 'Exec').params, image: 'img:1', startedAt: 100 + n, containerId: `c${n % 2}`, token: `t${n}`, ranOn: 'host', ...more });
  const start = (e: ExecutionRecord): RunnerEvent => ({ type: 'execution-start', pipeline: id, time: e.startedAt, path: e.path, execution: e });
  const end = (e: ExecutionRecord, state: 'done' | 'error', more: Partial<ExecutionRecord> = {}): RunnerEvent => ({ type: 'execution-end', pipeline: id, time: 200, path: e.path, state, execution: { ...e, endedAt: 200 + n, exitCode: state === 'done' ? 0 : 1, ...more } });
  const a1 = execution('/a', { cpuClamped: 1 });
  const a2 = execution('/a');
  const g1 = execution('/lazy/g1', { imageFrom: { mapped: [{ from: 'x', to: 'y' }] } });
  const b1 = execution('/b');
  const events: RunnerEvent[] = [
    { type: 'created', pipeline: id, time: 1, name: 'p', file: '/x/p.py' },
    { type: 'autorun', pipeline: id, time: 2, autorun: true },
    start(a1),
    end(a1, 'error', { reason: 'oom', peakMemoryBytes: 5 }),
    { type: 'reset', pipeline: id, time: 3, path: '/a' },
    start(a2),
    end(a2, 'done'),
    { type: 'nodes-added', pipeline: id, time: 4, under: '/lazy', nodes: [node('/lazy', 'Parallel'), node('/lazy/g1', 'Exec', 'echo g1'), node('/lazy/g2', 'Exec', 'echo g2')] },
    { type: 'modify', pipeline: id, time: 5, path: '/c', changes: { command: 'echo C' } },
    { type: 'skip', pipeline: id, time: 6, path: '/c', skipped: true },
    start(g1),
    end(g1, 'done'),
    start(b1),
  ];
  const log = store.openEventLog(id);
  log.append(events);
  log.close();
  return { id, events };
}

/** Everything a reader of the tree sees, as JSON (a field set to undefined is no field). */
function picture(tree: RunTree, state: unknown): unknown {
  const describe = (n: RunNode): unknown => ({ path: n.path, state: n.state, skipped: n.skipped, spec: n.spec, counts: n.leafCounts, executions: n.executions, children: n.children.map(describe) });
  return JSON.parse(JSON.stringify({ root: describe(tree.root), state }));
}

/** The run read back (from its checkpoint if it fits); `picture` reads every node's executions. */
async function reopened(id: string, end?: number): Promise<{ tree: RunTree; readonly picture: unknown; replayer: Awaited<ReturnType<typeof restore>> }> {
  const tree = new RunTree((await store.readDocument(id)).nodes);
  const replayer = await restore(store, id, tree, { nodes: (await store.readDocument(id)).nodes, useCheckpoint: true, ...(end !== undefined ? { end } : {}) });
  return {
    tree,
    replayer,
    get picture() {
      return picture(tree, replayer.state);
    },
  };
}

async function checkpointed(id: string): Promise<unknown> {
  const whole = await reopened(id);
  saveCheckpoint(store, id, { tree: whole.tree, state: whole.replayer.state, structural: whole.replayer.structural, lastStart: whole.replayer.lastStart });
  return whole.picture;
}

/** Overwrites the log's first event after `created` with spaces and a bad byte: read, it would be refused. */
function spoilLogBeginning(id: string): void {
  const file = store.eventLogFile(id);
  const text = readFileSync(file, 'utf8');
  const second = text.indexOf('\n') + 1;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from(`{${' '.repeat(text.indexOf('\n', second) - second - 1)}`), 0, undefined, second);
  closeSync(fd);
}

test('reopening from a checkpoint and the events after it is the whole replay, without reading the log before it', async () => {
  const { id, events } = storedRun();
  const before = await checkpointed(id);
  const file = store.checkpointFile(id);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'it holds env values: only the user may read it');
  const executionLines = readFileSync(file, 'utf8').split('\n').slice(1 + 3 + 1);
  assert.equal(executionLines.filter((line) => line.includes('"id"')).length, 3, 'a line per Exec node that ran');
  assert.ok(!executionLines.some((line) => line.includes('"path"')), "an execution's path is not written when it is its node's");

  // Later: the running execution ends, the run goes on (as a new owner's log writes it).
  const b1 = (events.at(-1) as RunnerEvent & { type: 'execution-start' }).execution;
  const log = store.openEventLog(id);
  log.append([
    { type: 'execution-end', pipeline: id, time: 300, path: '/b', state: 'done', execution: { ...b1, endedAt: 300, exitCode: 0 } },
    { type: 'nodes-added', pipeline: id, time: 301, under: '/', nodes: [node('/d', 'Exec', 'echo d')], append: true },
    { type: 'execution-start', pipeline: id, time: 302, path: '/d', execution: { id: 'e5', path: '/d', command: 'echo d', params: node('/d', 'Exec').params, image: 'img:2', startedAt: 302 } },
    { type: 'sleep', pipeline: id, time: 303 },
  ]);
  log.close();
  const whole = await reopened(id);
  assert.notDeepEqual(whole.picture, before);
  assert.deepEqual(whole.tree.get('/b').executions.map((e) => e.endedAt), [300], 'the end logged after the checkpoint completes the execution it left open');

  spoilLogBeginning(id);
  const fromCheckpoint = await reopened(id);
  assert.deepEqual(fromCheckpoint.picture, whole.picture);
  assert.equal(fromCheckpoint.replayer.state.execSeq, 5);
  assert.deepEqual(fromCheckpoint.replayer.structural.map((e) => e.type), ['nodes-added', 'modify', 'skip', 'nodes-added'], 'what shaped the tree is kept for the next checkpoint');
  // A client that began to watch when the log ended at the checkpoint reads nothing after it.
  const atCheckpoint = await reopened(id, JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!).events);
  assert.deepEqual(atCheckpoint.picture, before);
});

test('a checkpoint that does not fit is ignored: the whole log is replayed', async (t) => {
  const { id } = storedRun();
  const file = store.checkpointFile(id);
  const whole = await checkpointed(id);
  const text = readFileSync(file, 'utf8');
  const header = JSON.parse(text.split('\n')[0]!) as Record<string, unknown>;
  const rest = text.slice(text.indexOf('\n') + 1);
  const cases: Record<string, string> = {
    'cut short': text.slice(0, text.length - 3),
    'another version': `${JSON.stringify({ ...header, checkpoint: 99 })}\n${rest}`,
    'shaped by an event for a node the tree does not have': `${JSON.stringify(header)}\n${rest.replace('"path":"/c","changes"', '"path":"/q","changes"')}`,
    'standing for more log than there is': `${JSON.stringify({ ...header, events: (header.events as number) + 10 })}\n${rest}`,
    'not ending where a line of the log ends': `${JSON.stringify({ ...header, events: (header.events as number) - 1 })}\n${rest}`,
    'not JSON': 'garbage\n',
  };
  // Written whole by the writer, for another tree: a node appended that this log never added, and five
  // Exec nodes where the tree then has four. What it changed is undone.
  const { checkpoint: _version, leaves: _leaves, structural: _structural, ...fields } = header as unknown as CheckpointHeader;
  const fiveLeaves = ['/a', '/x1', '/x2', '/b', '/c'].map((p) => ({ path: p, executions: [] }));
  writeCheckpoint(file, fields, [{ type: 'nodes-added', pipeline: id, time: 9, under: '/', nodes: [node('/z', 'Exec', 'echo z')], append: true }], fiveLeaves, fiveLeaves.map(() => 'done'));
  cases['written for another tree'] = readFileSync(file, 'utf8');
  for (const [name, content] of Object.entries(cases)) {
    await t.test(name, async () => {
      assert.notEqual(content, text);
      writeFileSync(file, content);
      assert.deepEqual((await reopened(id)).picture, whole);
    });
  }
});

test('a run with a checkpoint and a log cut back below it (restored from a backup) replays the log', async () => {
  const { id } = storedRun();
  await checkpointed(id);
  const events = store.eventLogFile(id);
  const lines = readFileSync(events, 'utf8').split('\n');
  truncateSync(events, lines.slice(0, 4).join('\n').length + 1);
  const { tree } = await reopened(id);
  assert.deepEqual(tree.get('/a').executions.length, 1);
  assert.equal(tree.get('/a').state, 'error');
  assert.equal(tree.byPath.has('/lazy/g1'), false);
});

test("a reopened run's executions stay in the checkpoint until a node's are asked for, a block of nodes at a time", async () => {
  const leaves = 2500;
  const many: PipelineNode[] = [node('/', 'Parallel'), ...Array.from({ length: leaves }, (_, i) => node(`/n${i}`, 'Exec', 'true'))];
  const { id } = store.create({ pipewright: 1, name: 'many', file: '/x/many.py', nodes: many });
  const log = store.openEventLog(id);
  log.append([{ type: 'created', pipeline: id, time: 1, name: 'many', file: '/x/many.py' }]);
  many.slice(1).forEach((n, i) => {
    const execution: ExecutionRecord = { id: `e${i + 1}`, path: n.path, command: 'true', params: n.params, image: 'img', startedAt: i, containerId: `c${i % 3}` };
    log.append([
      { type: 'execution-start', pipeline: id, time: i, path: n.path, execution },
      { type: 'execution-end', pipeline: id, time: i + 1, path: n.path, state: i % 7 ? 'done' : 'error', execution: { ...execution, endedAt: i + 1, exitCode: i % 7 ? 0 : 1 } },
    ]);
  });
  log.close();
  const whole = await checkpointed(id);
  const reopenedRun = await reopened(id);
  assert.deepEqual(reopenedRun.picture, whole, 'three blocks, each read on its own');

  const again = await reopened(id);
  // Cut in place (the reader holds the file open): the last block is gone, the first still there.
  const file = store.checkpointFile(id);
  truncateSync(file, statSync(file).size - 2000);
  assert.deepEqual(again.tree.get('/n5').executions.map((e) => [e.id, e.path, e.containerId]), [['e6', '/n5', 'c2']]);
  assert.throws(() => again.tree.get(`/n${leaves - 1}`).executions, new RegExp(`${file.replace(/[/.]/g, '\\$&')}: it ends before its last block`));
});
