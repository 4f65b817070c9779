// The run's lifecycle on the real engine: an execution can be stopped from the moment it is
// scheduled (while its image builds, while a ClearML pre_execute_callback runs), a sleeping
// pipeline starts nothing, and a failure while recording a node's end never leaves it running.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunnerEvent } from '../../protocol/runner';
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';
import { PipelineRun } from '../../runner/pipelineRun';
import type { RunContext } from '../../runner/runContext';
import { EventLog, PipelineStore } from '../../runner/store/pipelineStore';
import { runThenKill9 } from '../helpers/cliChild';
import { LABELS } from '../../runner/localDocker/containerConfig';
import { ownerKeyOf, ownerOf } from '../../runner/localDocker/pipelineNetwork';
import type { LocalDockerPipeline } from '../../runner/localDocker/localDockerBackend';
import { BUSYBOX_IMAGE, dockerSuite, leftoverContainers, TEST_IMAGE, until } from '../helpers/runnerHarness';

const h = dockerSuite();



/** Settles within `ms`, or fails saying what did not. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000}s`)), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A definition whose node waits `seconds` for its image: a Dockerfile with a slow RUN. */
function slowImage(name: string, seconds: number): { file: string; marker: string } {
  const marker = randomUUID();
  h.write(`${name}.Dockerfile`, `FROM ${BUSYBOX_IMAGE}\nRUN echo ${marker} && sleep ${seconds}\n`);
  const file = h.write(`${name}.py`, `import conducto as co\nroot = co.Serial()\nroot["slow"] = co.Exec("echo built", image=co.Image(dockerfile="${name}.Dockerfile"))\n`);
  return { file, marker };
}

/** Containers on the engine running our build step (the classic builder shows them). */
async function buildSteps(marker: string): Promise<string[]> {
  const ctx = await h.context();
  const list = await ctx.docker.listContainers({ all: false });
  return list.filter((c) => c.Command.includes(marker)).map((c) => c.Id);
}

test('kill while the image builds: the node is killed at once, never starts, and the build stops', async () => {
  const { file, marker } = slowImage('kill_build', 60);
  const { run, events } = await h.create(file);
  run.setAutorun(true);
  await until('the build to start', () => events.some((e) => e.type === 'image' && e.path === '/slow'));
  await until('the build step to run', async () => (await buildSteps(marker)).length === 1, 60_000, 100);
  const asked = Date.now();
  run.kill('/slow');
  await within(5000, 'the kill', until('/slow to be killed', () => run.tree.get('/slow').state === 'killed'));
  assert.ok(Date.now() - asked < 5000);
  await within(5000, 'settling', run.settled());
  assert.ok(!events.some((e) => e.type === 'execution-start' && e.path === '/slow'), 'no container ran the node');
  const [execution] = run.tree.get('/slow').executions;
  assert.equal(execution?.reason, 'killed');
  await until('nobody waits for the image any more: its build stops', async () => (await buildSteps(marker)).length === 0, 10_000, 100);
  await run.close();
});

test('reset while the image builds: the node goes back to pending and runs once its image is there', async () => {
  const { file } = slowImage('reset_build', 3);
  const { run, events } = await h.create(file);
  run.setAutorun(true);
  await until('the build to start', () => events.some((e) => e.type === 'image' && e.path === '/slow'));
  run.reset('/slow');
  await within(60_000, 'the rerun', run.settled());
  const node = run.tree.get('/slow');
  assert.equal(node.state, 'done');
  assert.deepEqual(
    node.executions.map((e) => e.reason ?? e.exitCode),
    ['killed', 0],
    'the first execution was stopped by the reset, the second ran',
  );
  assert.equal(events.filter((e) => e.type === 'execution-start' && e.path === '/slow').length, 1, 'only the second started a container');
  await run.close();
});

test('sleep and close while the image builds return at once; wake runs the node', async () => {
  const { file } = slowImage('sleep_build', 60);
  const { run, events } = await h.create(file);
  run.setAutorun(true);
  await until('the build to start', () => events.some((e) => e.type === 'image' && e.path === '/slow'));
  await within(5000, 'sleep', run.sleep());
  assert.equal(run.tree.get('/slow').state, 'pending');
  assert.equal(run.status, 'sleeping');
  await run.close();

  const again = await h.create(slowImage('close_build', 60).file);
  again.run.setAutorun(true);
  await until('the build to start', () => again.events.some((e) => e.type === 'image' && e.path === '/slow'));
  await within(5000, 'close', again.run.close());
  assert.equal(again.run.tree.get('/slow').state, 'killed');
  assert.equal(again.run.tree.get('/slow').executions[0]?.reason, 'runner stopped');
});

test('kill while a pre_execute_callback runs: the step is killed at once and never starts', async () => {
  const file = h.write(
    'slow_callback.py',
    `import time
from pipewright import PipelineController, Task
Task.create(project_name="p", task_name="echo", command="echo ran")

def slow(pipeline, node, parameters):
    time.sleep(60)
    return True

pipe = PipelineController("slow", "p", "1")
pipe.add_step("waits", base_task_project="p", base_task_name="echo", pre_execute_callback=slow)
`,
  );
  const { run, events } = await h.create(file);
  run.setAutorun(true);
  await until('the step to be scheduled', () => run.tree.get('/waits').state === 'running');
  await new Promise((r) => setTimeout(r, 1000)); // the callback is running now
  const asked = Date.now();
  run.kill('/waits');
  await within(5000, 'settling', run.settled());
  assert.ok(Date.now() - asked < 5000);
  assert.equal(run.tree.get('/waits').state, 'killed');
  assert.ok(!events.some((e) => e.type === 'execution-start'), 'the step never started');
  await within(15_000, 'close', run.close());
});

test("a namesake's containers (a pipeline of the same id in another store) are not counted as this pipeline's leftovers", async () => {
  // CI once failed here: another suite's killed runner had left 8 idle workers of a pipeline whose
  // id the sleeping pipeline below drew too.
  const file = h.write('namesake.py', `import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("true")\n`);
  const { run } = await h.create(file);
  const ctx = await h.context();
  const make = (owner: string) => ctx.docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Labels: { [LABELS.pipeline]: run.id, [LABELS.owner]: owner } });
  const namesake = await make('0123456789abcdef');
  const ours = await make(ownerOf(ownerKeyOf(ctx.store.space(run.id).dir)));
  try {
    const left = await leftoverContainers(ctx, [run.id]);
    assert.equal(left.length, 1, left.join(', '));
    assert.equal(left[0], `/${(await ours.inspect()).Name.replace(/^\//, '')} (${run.id})`);
  } finally {
    await Promise.all([namesake.remove({ force: true }), ours.remove({ force: true })]);
    await run.close();
  }
});

test('a sleeping pipeline starts nothing when nodes are reset, unskipped or refreshed; wake runs them', async () => {
  const file = h.write('sleeping.py', `import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("echo a")\nroot["b"] = co.Exec("echo b", skip=True)\n`);
  const { run, events } = await h.create(file);
  run.setAutorun(true);
  await run.settled();
  assert.equal(run.tree.get('/a').state, 'done');
  await run.sleep();
  const startsBefore = events.filter((e) => e.type === 'execution-start').length;
  run.reset('/');
  run.skip('/b', false);
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(events.filter((e) => e.type === 'execution-start').length, startsBefore, 'nothing started while asleep');
  assert.deepEqual([run.tree.get('/a').state, run.tree.get('/b').state], ['pending', 'pending']);
  assert.deepEqual(await leftoverContainers(await h.context(), [run.id]), []);
  run.wake();
  await within(30_000, 'the run after waking', run.settled());
  assert.deepEqual([run.tree.get('/a').state, run.tree.get('/b').state], ['done', 'done']);
  await run.close();
});

/** A store whose event log fails as a full disk would, for the events `fails` picks. */
class FailingStore extends PipelineStore {
  constructor(
    root: string,
    private readonly fails: (event: RunnerEvent) => boolean,
  ) {
    super(root);
  }
  override openEventLog(id: string): EventLog {
    const log = super.openEventLog(id);
    const append = log.append.bind(log);
    log.append = (events) => {
      if (events.some(this.fails)) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      append(events);
    };
    return log;
  }
}

test('the store cannot record how a node ended: it still ends (in error, saying why) and the run settles', async () => {
  const file = h.write('full_disk.py', `import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("echo a")\nroot["b"] = co.Exec("echo b")\n`);
  const ctx = await h.context();
  const store = new FailingStore(h.storeRoot, (e) => e.type === 'execution-end' && e.path === '/a');
  const { run: made } = await h.create(file);
  await made.close();
  const run = h.track(await PipelineRun.open(made.id, { ...ctx, store } satisfies RunContext));
  const notices: string[] = [];
  run.on('event', (e) => e.type === 'notice' && notices.push(e.message));
  run.setAutorun(true);
  await within(30_000, 'settling', run.settled());
  const a = run.tree.get('/a');
  assert.equal(a.state, 'error');
  assert.match(a.executions[0]?.message ?? '', /could not record how this node ended: ENOSPC/);
  assert.ok(notices.some((n) => /ENOSPC/.test(n)));
  assert.equal(run.tree.get('/b').state, 'pending', 'a Serial stops at the error, as after any failure');
  await run.close();
});

test('the store cannot record the end of a node re-attached after a crash: it still ends and the run settles', async () => {
  const file = h.write('full_disk_recover.py', `import conducto as co\nroot = co.Serial()\nroot["slow"] = co.Exec("sleep 3; echo done")\n`);
  const { pipeline } = await runThenKill9(h.storeRoot, file, (event) => event.type === 'execution-start' && event.path === '/slow');
  const ctx = await h.context();
  const store = new FailingStore(h.storeRoot, (e) => e.type === 'execution-end');
  const run = h.track(await PipelineRun.open(pipeline, { ...ctx, store } satisfies RunContext));
  await within(30_000, 'settling', run.settled());
  assert.equal(run.tree.get('/slow').state, 'error');
  assert.match(run.tree.get('/slow').executions[0]?.message ?? '', /ENOSPC/);
  await run.close();
  assert.deepEqual(await leftoverContainers(ctx, [pipeline]), []);
});

test('the store becomes unwritable mid-run (its disk is full): the node ends saying why, no container is left, the run settles', async () => {
  const storeRoot = path.join(h.dir, 'ro-store');
  mkdirSync(storeRoot, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', storeRoot]);
  try {
    const file = h.write('ro_store.py', `import conducto as co\nroot = co.Serial()\nroot["writes"] = co.Exec("echo start; sleep 2; head -c 20000 /dev/zero | tr '\\\\0' x; sleep 1; echo end")\n`);
    const ctx = await h.context({ storeRoot });
    const run = h.track(PipelineRun.create(await evaluateDefinition(file), ctx));
    run.setAutorun(true);
    await until('the node to print', () => run.space.log('e1').size() > 0);
    fillDisk(path.join(storeRoot, 'filler'));
    await within(20_000, 'settling', run.settled());
    const node = run.tree.get('/writes');
    assert.equal(node.state, 'error');
    assert.match(node.executions[0]?.message ?? '', /could not be written to the store: .*ENOSPC|could not record how this node ended: .*ENOSPC/);
    assert.match(run.space.log('e1').bytes().toString('utf8'), /^start\n/, 'what was written before stays');
    await run.close();
    assert.deepEqual(await leftoverContainers(ctx, [run.id]), []);
  } finally {
    execFileSync('umount', ['-l', storeRoot]);
  }
});

/** Writes until the disk is full. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

test('a worker pool shut down while a worker starts (a run closing as a killed node\'s worker comes up) waits for it and removes it', async () => {
  const { run } = await h.create(h.write('abandoned.py', `import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("true")\n`));
  const ctx = await h.context();
  const backend = ctx.backend.open(run.id, run.space) as LocalDockerPipeline;
  const job = { pipelineId: run.id, execId: 'e-abandoned', path: '/a', command: 'true', env: {}, image: TEST_IMAGE, imagePath: null, workdir: null, definitionDir: null, cpu: 0.25, mem: 0.25, gpu: 0, requiresDocker: false, reuseContext: null, maxTimeSec: 60 };
  const request = await backend['request'](job);
  const acquiring = backend.pool.acquire(request);
  await backend.pool.shutdown();
  await assert.rejects(acquiring, /shut down while a worker started/, 'the worker is not handed out');
  assert.deepEqual(await leftoverContainers(ctx, [run.id]), [], 'the worker that was starting is gone when shutdown returns');
  const closedAt = BigInt(Date.now()) * 1_000_000n;
  await sleep(2000);
  assert.deepEqual(await containersMadeSince(ctx, closedAt, run.id), [], 'and none is made after');
  await backend.shutdown();
  await run.close();
});

/** Containers of a pipeline the engine made after `sinceNs` (Docker's event times). */
async function containersMadeSince(ctx: Awaited<ReturnType<typeof h.context>>, sinceNs: bigint, pipelineId: string): Promise<string[]> {
  const since = Number(sinceNs / 1_000_000_000n) - 1;
  const stream = (await ctx.docker.getEvents({ since, until: Math.ceil(Date.now() / 1000) + 1, filters: { type: ['container'], event: ['create'], label: [`${LABELS.pipeline}=${pipelineId}`] } })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { timeNano: number; Actor: { Attributes?: Record<string, string> } })
    .filter((e) => BigInt(e.timeNano) > sinceNs)
    .map((e) => e.Actor.Attributes?.name ?? '?');
}
