// History, control and crash safety: reset, modify, sleep/wake, and a runner killed with -9.
import { strict as assert } from 'node:assert';
import { appendFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { pipewrightToEnd, runThenKill9 } from '../helpers/cliChild';
import * as path from 'node:path';
import { test } from 'node:test';
import type { JobSpec } from '../../runner/backend';
import { newNonce } from '../../runner/localDocker/agent';
import type { LocalDockerPipeline } from '../../runner/localDocker/localDockerBackend';
import { PipelineRun } from '../../runner/pipelineRun';
import { BUSYBOX_IMAGE, dockerSuite, lastLog, leftoverContainers, TEST_IMAGE, until } from '../helpers/runnerHarness';

const h = dockerSuite();

test('reset runs a node again and keeps its earlier executions', async () => {
  const file = h.write('reset.py', `import conducto as co\nroot = co.Serial()\nroot["count"] = co.Exec("date +%s%N")\nroot["after"] = co.Exec("echo after")\n`);
  const { run } = await h.run(file);
  const first = lastLog(run, '/count');
  run.reset('/count');
  await run.settled();
  const node = run.tree.get('/count');
  assert.equal(node.executions.length, 2);
  assert.equal(node.state, 'done');
  assert.notEqual(lastLog(run, '/count'), first);
  assert.equal(run.tree.get('/after').executions.length, 1, 'a reset reruns the subtree, not its siblings');
  await run.close();
});

test('reset of the root runs the whole pipeline again', async () => {
  const file = h.write('resetroot.py', `import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("echo a")\nroot["p"] = co.Parallel()\nroot["p/b"] = co.Exec("echo b")\n`);
  const { run } = await h.run(file);
  run.reset('/');
  await run.settled();
  assert.equal(run.tree.root.state, 'done');
  for (const p of ['/a', '/p/b']) assert.equal(run.tree.get(p).executions.length, 2, p);
  await run.close();
});

test('modify then reset: the node reruns with its new command and cpu; history keeps the old ones', async () => {
  const file = h.write('modify.py', `import conducto as co\nroot = co.Serial(cpu=1)\nroot["work"] = co.Exec("echo before")\n`);
  const { run } = await h.run(file);
  run.modify('/work', { command: 'echo after; nproc', cpu: 2 });
  run.reset('/work');
  await run.settled();
  const [one, two] = run.tree.get('/work').executions;
  assert.equal(one!.command, 'echo before');
  assert.equal(one!.params.cpu, 1);
  assert.equal(two!.command, 'echo after; nproc');
  assert.equal(two!.params.cpu, 2);
  assert.match(lastLog(run, '/work'), /^after\n/);
  assert.throws(() => run.modify('/work', { cpu: -1 }), /\/work: cpu must be a number >= 0/);
  await run.close();
});

test('the store replays a closed pipeline exactly; sleep stops containers and wake continues', async () => {
  const file = h.write('sleepwake.py', `import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("echo a")\nroot["b"] = co.Exec("sleep 30")\nroot["c"] = co.Exec("echo c")\n`);
  const { run } = await h.create(file);
  run.setAutorun(true);
  while (run.tree.get('/b').state !== 'running' || !run.tree.get('/b').executions[0]?.containerId) await new Promise((r) => setTimeout(r, 50));
  await run.sleep();
  assert.equal(run.status, 'sleeping');
  assert.equal(run.tree.get('/b').state, 'pending', 'a node stopped by sleep runs again on wake');
  assert.deepEqual(await leftoverContainers(await h.context(), [run.id]), []);
  await run.close();

  const ctx = await h.context();
  const reopened = h.track(await PipelineRun.open(run.id, ctx));
  assert.equal(reopened.status, 'sleeping');
  assert.equal(reopened.tree.get('/a').state, 'done');
  assert.equal(reopened.tree.get('/a').executions.length, 1);
  reopened.modify('/b', { command: 'echo b' });
  reopened.wake();
  await reopened.settled();
  assert.equal(reopened.tree.root.state, 'done');
  assert.equal(reopened.tree.get('/b').executions.length, 2);
  assert.equal(reopened.tree.get('/b').executions[0]!.reason, 'sleep');
  await reopened.close();
});

test('crash safety: after kill -9 of the runner, the next start re-attaches to live containers and loses nothing', async () => {
  const file = h.write(
    'crash.py',
    // cpu=0.25: all four run at once on two cores (the survivor waits for the test, after the kill).
    `import conducto as co
root = co.Parallel(cpu=0.25)
root["quick"] = co.Exec("echo quick")
root["survivor"] = co.Exec("echo waiting; until test -e /pipewright/data/go; do sleep 0.2; done; echo finished after the crash; touch /pipewright/data/survived")
root["orphan"] = co.Exec("sleep 60")
root["idle"] = co.Exec("echo idle", container_reuse_context="idle")
`,
  );
  const started = new Map<string, string>();
  const ended = new Set<string>();
  let waiting = false;
  const { pipeline } = await runThenKill9(
    h.storeRoot,
    file,
    (event) => {
      if (event.type === 'execution-start') started.set(event.path, event.execution.containerId!);
      if (event.type === 'execution-end') ended.add(event.path);
      // The survivor has printed: its job surely reached its container (a kill right after its
      // start event could land before the job was handed over, and it would never run).
      if (event.type === 'log' && event.path === '/survivor') waiting = true;
      return waiting && started.has('/orphan') && ended.has('/quick') && ended.has('/idle');
    },
    [],
    { PIPEWRIGHT_WORKER_IDLE_MS: '1000' },
  );
  const ctx = await h.context();
  // The survivor ends only now, while no runner watches it (on a loaded machine it could otherwise
  // end before the kill and never be re-attached).
  const dataDir = ctx.store.space(pipeline).dataDir;
  writeFileSync(path.join(dataDir, 'go'), '');
  await until('the survivor to finish', () => existsSync(path.join(dataDir, 'survived')), 30_000, 100);
  // One container disappears while no runner watches it.
  await ctx.docker.getContainer(started.get('/orphan')!).remove({ force: true });
  // A worker left idle by the dead runner stops by itself (here after 10 s), not only at the next start.
  const idleWorker = ctx.docker.getContainer(started.get('/idle')!);
  await until('the idle worker to stop', async () => !(await idleWorker.inspect()).State.Running, 30_000, 500);
  // So does the survivor's, its job over: its end, time and peak memory are read back all the same.
  const survivorWorker = ctx.docker.getContainer(started.get('/survivor')!);
  await until("the survivor's worker to stop", async () => !(await survivorWorker.inspect()).State.Running, 30_000, 500);

  const reopenedAt = Date.now();
  const run = h.track(await PipelineRun.open(pipeline, ctx));
  await run.settled();
  assert.equal(run.tree.get('/quick').state, 'done', 'a result finished before the crash is kept');
  assert.equal(run.tree.get('/quick').executions.length, 1);
  assert.equal(run.tree.get('/survivor').state, 'done', 'its container was re-attached');
  assert.equal(run.tree.get('/survivor').executions.length, 1);
  assert.equal(lastLog(run, '/survivor'), 'waiting\nfinished after the crash\n');
  const survivor = run.tree.get('/survivor').executions[0]!;
  assert.ok(survivor.endedAt! < reopenedAt - 1000, `its end is its own (${reopenedAt - survivor.endedAt!} ms before the restart), not the time of the restart`);
  assert.ok((survivor.peakMemoryBytes ?? 0) > 0, `a re-attached execution records its peak memory too (${survivor.peakMemoryBytes})`);
  const orphan = run.tree.get('/orphan').executions[0]!;
  assert.equal(run.tree.get('/orphan').state, 'killed');
  assert.equal(orphan.reason, 'runner stopped');
  await run.close();
  assert.deepEqual(await leftoverContainers(ctx, [pipeline]), [], 'the worker left idle by the crash is removed too');
});

/** `pipewright run FILE`, killed with SIGKILL once `paths` all run in their containers; the pipeline's id. */
/** Kills the runner once each of these nodes has printed: its job surely reached its container (started alone, it may not have). */
async function runUntilRunning(file: string, paths: string[]): Promise<string> {
  const printed = new Set<string>();
  const { pipeline } = await runThenKill9(h.storeRoot, file, (event) => {
    if (event.type === 'log' && typeof event.path === 'string') printed.add(event.path);
    return paths.every((p) => printed.has(p));
  });
  return pipeline;
}

test('after kill -9, a re-attached child that fails lets its Serial(stop_on_error=False) and Parallel(max_concurrent=1) go on; start says what stays pending', async () => {
  const file = h.write(
    'reattach_fail.py',
    `import conducto as co
root = co.Parallel()
root["s"] = co.Serial(stop_on_error=False)
root["s/a"] = co.Exec("echo started; sleep 5; exit 1")
root["s/b"] = co.Exec("echo b")
root["s/c"] = co.Exec("echo c")
root["p"] = co.Parallel(max_concurrent=1)
root["p/a"] = co.Exec("echo started; sleep 5; exit 1")
root["p/b"] = co.Exec("echo b")
root["p/c"] = co.Exec("echo c")
root["t"] = co.Serial()
root["t/a"] = co.Exec("echo started; sleep 5; exit 1")
root["t/b"] = co.Exec("echo never")
`,
  );
  const id = await runUntilRunning(file, ['/s/a', '/p/a', '/t/a']);
  const started = await pipewrightToEnd(['start', id], h.storeRoot);
  assert.equal(started.code, 1, 'the root failed');
  const ctx = await h.context();
  const run = await PipelineRun.inspect(id, ctx);
  for (const p of ['/s/a', '/p/a', '/t/a']) {
    const node = run.tree.get(p);
    assert.equal(node.state, 'error', p);
    assert.equal(node.executions.length, 1, `${p} was re-attached, not run again`);
    assert.equal(node.executions[0]!.exitCode, 1, p);
  }
  for (const p of ['/s/b', '/s/c', '/p/b', '/p/c']) assert.equal(run.tree.get(p).state, 'done', `${p} ran after the re-attached failure`);
  assert.equal(run.tree.get('/t/b').state, 'pending', 'a Serial with stop_on_error stops');
  assert.equal(run.tree.root.leafCounts.pending, 1);
  assert.ok(started.stderr.includes(`pipeline ${id} ends with 1 node pending:\n  /t/b: stopped at the failure of /t/a (stop_on_error)\n`), started.stderr);
  assert.deepEqual(await leftoverContainers(ctx, [id]), []);
});

test('a job recorded as started but never handed over (the runner died in between) runs again after the restart, once', async () => {
  const file = h.write('unsent.py', `import conducto as co\nroot = co.Serial()\nroot["once"] = co.Exec("echo ran >> /pipewright/data/count; echo hello")\n`);
  const { run: made } = await h.create(file);
  await made.close();
  const ctx = await h.context();
  // The state a crash leaves: the execution recorded with its worker, the job never written to it.
  const space = ctx.store.space(made.id);
  const backend = ctx.backend.open(made.id, space) as LocalDockerPipeline;
  const { worker } = await backend.pool.acquire({ ...request(made.id), mounts: await backend.files.mounts(request(made.id)), network: await backend.network.ensure(), owner: backend.network.owner });
  const node = made.tree.get('/once');
  const execution = { id: 'e1', path: '/once', command: node.spec.command!, params: node.params, image: TEST_IMAGE, startedAt: Date.now(), containerId: worker.id, token: newNonce() };
  appendFileSync(path.join(h.storeRoot, 'pipelines', made.id, 'events.jsonl'), `${JSON.stringify({ type: 'execution-start', pipeline: made.id, time: Date.now(), path: '/once', execution })}\n`);

  const run = h.track(await PipelineRun.open(made.id, ctx));
  run.setAutorun(true);
  await run.settled();
  assert.equal(run.tree.get('/once').state, 'done');
  const executions = run.tree.get('/once').executions;
  assert.deepEqual(executions.map((e) => e.reason ?? e.exitCode), ['runner stopped', 0], 'the lost hand-over is recorded, then the node runs');
  assert.match(executions[0]!.message ?? '', /before handing the job to its container/);
  assert.equal(lastLog(run, '/once'), 'hello\n');
  assert.equal(readFileSync(path.join(space.dataDir, 'count'), 'utf8'), 'ran\n', 'it ran once');
  await run.close();
  assert.deepEqual(await leftoverContainers(ctx, [made.id]), []);
});

function request(pipelineId: string): JobSpec {
  return { pipelineId, execId: 'e0', path: '/once', command: 'true', env: {}, image: TEST_IMAGE, imagePath: null, workdir: null, definitionDir: null, cpu: 1, mem: 2, gpu: 0, requiresDocker: false, reuseContext: null, maxTimeSec: 60 };
}

test("start after a crash runs the rest in the image the run began with (--image), not the default", async () => {
  const file = h.write('image_kept.py', `import conducto as co\nroot = co.Serial()\nroot["first"] = co.Exec("sleep 3")\nroot["second"] = co.Exec("command -v python3 || echo no python here")\n`);
  const { pipeline } = await runThenKill9(h.storeRoot, file, (event) => event.type === 'execution-start' && event.path === '/first', ['--image', BUSYBOX_IMAGE]);
  const ctx = await h.context(); // its default image is TEST_IMAGE (python)
  const run = h.track(await PipelineRun.open(pipeline, ctx));
  await run.settled();
  assert.equal(run.tree.get('/first').state, 'done', 'the first node was re-attached');
  assert.equal(lastLog(run, '/second'), 'no python here\n');
  assert.equal(run.tree.get('/second').executions[0]!.image, BUSYBOX_IMAGE);
  await run.close();
});

test("a re-attached job's container outlives its result until the run lets go: a runner stopped before recording the end finds it again", async () => {
  const file = h.write('reread.py', `import conducto as co\nroot = co.Serial()\nroot["job"] = co.Exec("echo started; sleep 1; echo finished")\n`);
  let token = '';
  let containerId = '';
  // Killed once the job has surely reached its container (it printed).
  const { pipeline } = await runThenKill9(h.storeRoot, file, (event) => {
    if (event.type === 'execution-start' && event.execution.token) ({ token, containerId } = { token: event.execution.token, containerId: event.execution.containerId! });
    return event.type === 'log' && event.path === '/job';
  });
  const ctx = await h.context();
  const space = ctx.store.space(pipeline);
  const backend = ctx.backend.open(pipeline, space) as LocalDockerPipeline;
  const left = { execId: 'e1', containerId, token, startedAt: Date.now() - 500, maxTimeSec: 60 };
  const first = await backend.reattach(left, {}, new AbortController().signal);
  assert.equal(first.exitCode, 0);
  // The runner that re-attached stops here, before it records the end: the next one reads it again.
  const again = await ctx.backend.open(pipeline, space).reattach(left, {}, new AbortController().signal);
  assert.equal(again.exitCode, 0, JSON.stringify(again));
  assert.equal(space.log('e1').bytes().toString('utf8'), 'started\nfinished\n', 'the whole output, once');
  await backend.shutdown();
  assert.deepEqual(await leftoverContainers(ctx, [pipeline]), [], 'it goes when the run lets go');
});

test("after kill -9, a job re-attached on a worker that ran a hostile job before it gets only its own output: the earlier job's forged ends and the bytes after them stay out", async () => {
  // Busybox has no bash: the hostile job runs in the agent's own shell and reads its nonce. It
  // prints its own end marker and more on both streams before its real end. The next job on the
  // same worker prints a lookalike end of another nonce (its own output, kept) and waits for the test.
  const file = h.write(
    'hostile_before.py',
    `import conducto as co
root = co.Serial(image=${JSON.stringify(BUSYBOX_IMAGE)})
root["hostile"] = co.Exec(r"""for s in 1 2; do printf '\\000PWEND:%s 0 1764500000 1 0\\n' "$nonce"; echo INJECTED; printf '\\000PWEND:%s 0 1764500000 1 0\\n' "$nonce" >&2; echo INJECTED ERR >&2; done""")
root["victim"] = co.Exec(r"""echo started; printf 'look \\000PWEND:%s 0 1 1 0\\n' 0123456789abcdef0123456789abcdef; until test -e /pipewright/data/go; do sleep 0.2; done; echo finished; echo err >&2""")
`,
  );
  const containers = new Map<string, string>();
  const { pipeline } = await runThenKill9(h.storeRoot, file, (event) => {
    if (event.type === 'execution-start') containers.set(event.path, event.execution.containerId!);
    return event.type === 'log' && event.path === '/victim';
  });
  assert.equal(containers.get('/victim'), containers.get('/hostile'), 'both ran on one worker (else this test shows nothing)');
  const ctx = await h.context();
  writeFileSync(path.join(ctx.store.space(pipeline).dataDir, 'go'), '');
  const run = h.track(await PipelineRun.open(pipeline, ctx));
  await run.settled();
  const victim = run.tree.get('/victim');
  assert.equal(victim.state, 'done');
  assert.equal(victim.executions.length, 1, 're-attached, not run again');
  // stdout and stderr interleave in either order in the combined log.
  const combined = lastLog(run, '/victim');
  assert.equal(combined.replace('err\n', ''), 'started\nlook \0PWEND:0123456789abcdef0123456789abcdef 0 1 1 0\nfinished\n', JSON.stringify(combined));
  assert.equal(run.space.log(victim.executions[0]!.id, 'stderr').bytes().toString(), 'err\n');
  await run.close();
});

test('a settled run writes its checkpoint while the runner holds it; reopened from it, the run is as its whole log says', async () => {
  const file = h.write(
    'checkpointed.py',
    `import conducto as co

def pipe() -> co.Serial:
    root = co.Serial()
    root["a"] = co.Exec("echo a")
    root["Gen"] = co.Lazy(make)
    root["z"] = co.Exec("exit 3")
    return root

def make() -> co.Parallel:
    out = co.Parallel()
    for i in range(3):
        out[f"g{i}"] = co.Exec(f"echo g{i}")
    return out
`,
  );
  const { run } = await h.run(file, { func: 'pipe' });
  const ctx = await h.context();
  const checkpoint = ctx.store.checkpointFile(run.id);
  await until('the settled run checkpointed', () => existsSync(checkpoint), 10_000);
  const logSize = () => statSync(ctx.store.eventLogFile(run.id)).size;
  assert.equal(JSON.parse(readFileSync(checkpoint, 'utf8').split('\n')[0]!).events, logSize(), 'it stands for the whole log');

  // What is logged after it (a modify, a skip, a rerun) is replayed after it.
  run.modify('/a', { command: 'echo A' });
  run.reset('/a');
  await run.settled();
  run.skip('/z', true);
  const reader = await PipelineRun.inspect(run.id, ctx);
  assert.deepEqual(picture(reader), picture(run), 'a reader while the runner holds the run');
  await run.close();
  assert.equal(JSON.parse(readFileSync(checkpoint, 'utf8').split('\n')[0]!).events, logSize(), 'closing wrote it again');

  const fromCheckpoint = picture(await PipelineRun.inspect(run.id, ctx));
  rmSync(checkpoint);
  const fromLog = picture(await PipelineRun.inspect(run.id, ctx));
  assert.deepEqual(fromCheckpoint, fromLog);
  const nodes = (fromLog as { nodes: { path: string; state: string; executions: { command: string }[] }[] }).nodes;
  assert.deepEqual(
    nodes.filter((n) => n.path.startsWith('/Gen/Execute/')).map((n) => [n.path, n.state]),
    [0, 1, 2].map((i) => [`/Gen/Execute/g${i}`, 'done']),
  );
  assert.deepEqual(nodes.find((n) => n.path === '/a')!.executions.map((e) => e.command), ['echo a', 'echo A']);
});

/** Everything a reader sees of a run, as JSON (a field set to undefined is no field). */
function picture(run: PipelineRun): unknown {
  const nodes = [...run.tree.byPath.values()].map((n) => ({ path: n.path, state: n.state, skipped: n.skipped, spec: n.spec, counts: n.leafCounts, executions: n.executions }));
  return JSON.parse(JSON.stringify({ status: run.status, autorun: run.scheduler.autorun, nodes }));
}
