// The Docker Swarm backend on a real 3-node swarm: three dockerds in namespaces of their own
// (scripts/test-engines.sh 2 3 4, sharing no files with the runner), a registry on their switch
// (scripts/test-registry.sh), swarm init on engine 2 and joins from 3 and 4. Pipelines run through
// a real PipelineRun whose backend is the swarm. Needs root (namespaces) and the base images on the
// host engine (scripts/build-base-images.sh).
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';
import type { RunnerEvent } from '../../protocol/runner';
import type { JobSpec } from '../../runner/backend';
import { PipelineRun } from '../../runner/pipelineRun';
import type { EngineRunContext } from '../../runner/runContext';
import { PipelineSpace } from '../../runner/store/pipelineSpace';
import { localAddressToward } from '../../runner/swarm/dataService';
import { SwarmBackend } from '../../runner/swarm/swarmBackend';
import { SWARM_LABELS } from '../../runner/swarm/serviceSpec';
import { pipewrightToEnd } from '../helpers/cliChild';
import { Harness, lastLog, requireImages, TEST_IMAGE, until } from '../helpers/runnerHarness';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const ENGINES = [2, 3, 4] as const;
const engineAt = (i: number) => new Docker({ host: `10.77.0.${10 + i}`, port: 2375 });
const manager = engineAt(2);
const REGISTRY = '10.77.0.1:5000';

const h = new Harness();
let ctx: EngineRunContext;
let backend: SwarmBackend;

before(async () => {
  const host = new Docker();
  await requireImages(host, [TEST_IMAGE]);
  await run('bash', [path.join(root, 'scripts/test-engines.sh'), 'start', ...ENGINES.map(String)]);
  await run('bash', [path.join(root, 'scripts/test-registry.sh'), 'start']);
  const engines = ENGINES.map(engineAt);
  // A swarm of earlier runs may be left in an engine's data root.
  await Promise.all(engines.map((e) => e.swarmLeave({ force: true }).catch(() => undefined)));
  await manager.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: '10.77.0.12' });
  const token = ((await manager.swarmInspect()) as { JoinTokens: { Worker: string } }).JoinTokens.Worker;
  await Promise.all(engines.slice(1).map((e) => e.swarmJoin({ ListenAddr: '0.0.0.0:2377', RemoteAddrs: ['10.77.0.12:2377'], JoinToken: token })));
  // The nodes pull run images from the registry; with the base's layers already there they pull only the SDK's and the code's.
  const id = ((await host.getImage(TEST_IMAGE).inspect()) as { Id: string }).Id;
  await Promise.all(
    engines.map(async (e) => {
      if (await e.getImage(id).inspect().then(() => true, () => false)) return;
      const loading = (await e.loadImage((await host.getImage(TEST_IMAGE).get()) as NodeJS.ReadableStream)) as NodeJS.ReadableStream;
      await new Promise((resolve, reject) => loading.on('end', resolve).on('error', reject).resume());
    }),
  );
  await until('three ready swarm nodes', async () => ((await manager.listNodes()) as { Status: { State: string } }[]).filter((n) => n.Status.State === 'ready').length === 3, 30_000, 200);
  // The data service listens on the host's leg of the engines' switch, found as the way to the manager.
  assert.equal(await localAddressToward('10.77.0.12', 2375), '10.77.0.1');
  // As `--backend swarm --registry … --docker-host tcp://…` asks for it.
  ctx = await h.context({ backend: 'swarm', backendFrom: '--backend', registry: REGISTRY, dockerHost: 'tcp://10.77.0.12:2375' });
  assert.ok(ctx.backend instanceof SwarmBackend);
  backend = ctx.backend;
});

after(async () => {
  const ids = [...h.pipelineIds, 'reattach-1', 'left-2', 'left-3', 'placed-4'];
  await h.dispose();
  try {
    const left = ((await manager.listServices({ filters: { label: [SWARM_LABELS.pipeline] } } as never)) as unknown as { Spec: { Name: string; Labels: Record<string, string> } }[]).filter((s) =>
      ids.includes(s.Spec.Labels[SWARM_LABELS.pipeline] ?? ''),
    );
    assert.deepEqual(left.map((s) => s.Spec.Name), [], 'every service is removed');
    // The tasks' containers go with their services, on every node.
    await until('no task container left on the nodes', async () => (await Promise.all(ENGINES.map((i) => engineAt(i).listContainers({ all: true, filters: { label: [SWARM_LABELS.pipeline] } })))).every((l) => !l.length), 20_000, 250);
  } finally {
    const all = await (manager.listServices({ filters: { label: [SWARM_LABELS.pipeline] } } as never) as unknown as Promise<{ ID: string }[]>).catch(() => []);
    await Promise.all(all.map((s) => manager.getService(s.ID).remove().catch(() => undefined)));
    await Promise.all(ENGINES.map((i) => engineAt(i).swarmLeave({ force: true }).catch(() => undefined)));
    await run('bash', [path.join(root, 'scripts/test-registry.sh'), 'stop']);
    await run('bash', [path.join(root, 'scripts/test-engines.sh'), 'stop', ...ENGINES.map(String)]);
  }
});

async function create(file: string, args?: string[]): Promise<{ run: PipelineRun; events: RunnerEvent[] }> {
  const doc = await evaluateDefinition(file, { args });
  const pipeline = h.track(PipelineRun.create(doc, ctx));
  const events: RunnerEvent[] = [];
  pipeline.on('event', (e) => events.push(e));
  return { run: pipeline, events };
}

async function runToEnd(file: string, args?: string[]) {
  const created = await create(file, args);
  created.run.setAutorun(true);
  await created.run.settled();
  return created;
}

/** The node's latest log so far ('' before it exists). */
function readLog(pipeline: PipelineRun, nodePath: string): string {
  try {
    return lastLog(pipeline, nodePath);
  } catch {
    return '';
  }
}

function lastExecution(pipeline: PipelineRun, nodePath: string) {
  const node = pipeline.tree.get(nodePath);
  return node.executions[node.executions.length - 1]!;
}

test('build and test (Serial of Parallels): every node ends done with its log, bytes as printed', async () => {
  const file = h.write(
    'build_test.py',
    `import conducto as co

def pipe() -> co.Serial:
    with co.Serial(image="${TEST_IMAGE}") as root:
        with co.Parallel(name="Build"):
            co.Exec("echo building app", name="app")
            co.Exec("echo building lib >&2", name="lib")
        with co.Parallel(name="Test"):
            co.Exec("printf 'a\\\\000b'; printf 'no newline'; printf 'err\\\\n' >&2; printf tail", name="bytes")
            co.Exec("echo run test for backend", name="backend")
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const { run: pipeline } = await runToEnd(file);
  assert.equal(pipeline.tree.root.state, 'done');
  assert.deepEqual(pipeline.tree.root.leafCounts, { pending: 0, queued: 0, running: 0, done: 4, error: 0, killed: 0 });
  assert.equal(lastLog(pipeline, '/Build/app'), 'building app\n');
  assert.equal(lastLog(pipeline, '/Build/lib'), 'building lib\n');
  assert.equal(pipeline.space.log(lastExecution(pipeline, '/Build/lib').id, 'stderr').bytes().toString('utf8'), 'building lib\n');
  const bytes = lastExecution(pipeline, '/Test/bytes');
  assert.deepEqual([...pipeline.space.log(bytes.id).bytes()].sort(), [...Buffer.from('a\0bno newlineerr\ntail')].sort(), 'every byte, none added');
  assert.equal(pipeline.space.log(bytes.id, 'stderr').bytes().toString('utf8'), 'err\n');
  assert.equal(bytes.exitCode, 0);
  await pipeline.close();
});

test('a Parallel of 6 nodes of cpu=1 spreads over several swarm nodes; a failing node keeps its exit code', async () => {
  const file = h.write(
    'spread.py',
    `import conducto as co

def pipe() -> co.Serial:
    with co.Serial(image="${TEST_IMAGE}") as root:
        with co.Parallel(name="Wide"):
            for i in range(6):
                co.Exec("sleep 2; echo on $PIPEWRIGHT_SWARM_NODE", name=f"n{i}", cpu=1, mem=0.5)
        co.Exec("echo failing; exit 3", name="fails")
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const { run: pipeline, events } = await runToEnd(file);
  const places = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const log = lastLog(pipeline, `/Wide/n${i}`);
    const place = /^on (pw-engine\d)\n$/.exec(log)?.[1];
    assert.ok(place, `/Wide/n${i} says where it ran: ${JSON.stringify(log)}`);
    places.add(place);
    // The execution records the same swarm node (shown in the sidebar and the panel).
    assert.equal(lastExecution(pipeline, `/Wide/n${i}`).ranOn, `swarm node ${place} (manager tcp://10.77.0.12:2375)`);
  }
  assert.ok(places.size > 1, `spread over ${[...places].join(', ')}`);
  const running = new Set<string>();
  let most = 0;
  for (const e of events) {
    if (e.type !== 'state' || !e.path.startsWith('/Wide/n')) continue;
    if (e.state === 'running') running.add(e.path);
    else running.delete(e.path);
    most = Math.max(most, running.size);
  }
  assert.ok(most > 2, `more nodes at once than one machine's 2 cpus hold (${most})`);
  assert.equal(pipeline.tree.get('/fails').state, 'error');
  const failed = lastExecution(pipeline, '/fails');
  assert.equal(failed.exitCode, 3);
  assert.equal(lastLog(pipeline, '/fails'), 'failing\n');
  await pipeline.close();
});

test('kill of a long node ends it in under 5 s and removes its service; a reset runs it again', async () => {
  const file = h.write(
    'slow.py',
    `import conducto as co

def pipe() -> co.Serial:
    with co.Serial(image="${TEST_IMAGE}") as root:
        co.Exec("echo started; sleep 300", name="slow")
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const { run: pipeline } = await create(file);
  pipeline.setAutorun(true);
  await until('/slow to print', () => pipeline.tree.get('/slow').state === 'running' && readLog(pipeline, '/slow') === 'started\n', 60_000, 50);
  const serviceId = lastExecution(pipeline, '/slow').containerId!;
  const t0 = Date.now();
  pipeline.kill('/slow');
  await until('/slow to be killed', () => pipeline.tree.get('/slow').state === 'killed', 5000, 20);
  await until('its task container to be gone', async () => (await Promise.all(ENGINES.map((i) => engineAt(i).listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${serviceId}`] } })))).every((l) => !l.length), 5000 - (Date.now() - t0), 100);
  const took = Date.now() - t0;
  assert.ok(took < 5000, `killed in ${took} ms`);
  assert.equal(lastExecution(pipeline, '/slow').reason, 'killed');
  assert.equal(await manager.getService(serviceId).inspect().then(() => 'still there', () => 'gone'), 'gone');
  // Modified and reset, it runs again on the swarm; its first execution stays in the history.
  pipeline.modify('/slow', { command: 'echo again' });
  pipeline.reset('/slow');
  await pipeline.settled();
  assert.equal(pipeline.tree.get('/slow').state, 'done');
  assert.equal(pipeline.tree.get('/slow').executions.length, 2);
  assert.equal(lastLog(pipeline, '/slow'), 'again\n');
  await pipeline.close();
});

test('a callable node and a Lazy node run with the SDK and the definition from the image', async () => {
  const file = h.write(
    'callables.py',
    `import conducto as co

def square(n: int) -> int:
    print(f"square of {n} is {n * n}")
    return n * n

def tests(count: int = 1) -> co.Parallel:
    out = co.Parallel()
    for i in range(count):
        out[f"t{i}"] = co.Exec(f"echo lazy test {i}")
    return out

def pipe() -> co.Serial:
    with co.Serial(image="${TEST_IMAGE}") as root:
        root["Square"] = co.Exec(square, n=7)
        root["Tests"] = co.Lazy(tests, count=3)
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const { run: pipeline } = await runToEnd(file);
  assert.equal(pipeline.tree.root.state, 'done', `${pipeline.tree.get('/Tests').state}: ${lastLog(pipeline, '/Tests/Generate')}`);
  assert.match(lastLog(pipeline, '/Square'), /square of 7 is 49/);
  const execute = pipeline.tree.get('/Tests/Execute');
  assert.deepEqual(execute.children.map((c) => c.path), ['/Tests/Execute/t0', '/Tests/Execute/t1', '/Tests/Execute/t2']);
  assert.equal(lastLog(pipeline, '/Tests/Execute/t2'), 'lazy test 2\n');
  await pipeline.close();
});

test('a node over its memory limit ends as out of memory; one killed by a SIGKILL of its own does not', async () => {
  const file = h.write(
    'oom.py',
    `import conducto as co

def pipe() -> co.Serial:
    with co.Parallel(image="${TEST_IMAGE}") as root:
        co.Exec("python3 -c 'x = bytearray(400 * 2**20); print(len(x))'", name="hog", mem=0.1)
        co.Exec("sh -c 'kill -9 $$'", name="selfkill", mem=0.1)
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const { run: pipeline } = await runToEnd(file);
  const execution = lastExecution(pipeline, '/hog');
  assert.equal(pipeline.tree.get('/hog').state, 'error');
  assert.equal(execution.reason, 'oom', `${execution.exitCode} ${execution.message}`);
  assert.ok(execution.peakMemoryBytes && execution.peakMemoryBytes > 50 * 2 ** 20, `peak ${execution.peakMemoryBytes}`);
  const selfkill = lastExecution(pipeline, '/selfkill');
  assert.equal(selfkill.exitCode, 137);
  assert.notEqual(selfkill.reason, 'oom');
  assert.equal(execution.exitCode, 137);
  await pipeline.close();
});

test('kill -9 of the runner while a job runs: a new runner re-attaches, gets all its output, its end and its output file', async () => {
  const dir = path.join(h.storeRoot, 'pipelines', 'reattach-1');
  const job: JobSpec = {
    pipelineId: 'reattach-1',
    execId: 'e1',
    path: '/left',
    command: `echo before; sleep 4; printf '{"made": "while away"}' > "$PIPEWRIGHT_NODE_OUTPUT"; echo after >&2; exit 0`,
    env: {},
    image: TEST_IMAGE,
    imagePath: null,
    workdir: null,
    definitionDir: null,
    cpu: 0.5,
    mem: 0.25,
    gpu: 0,
    requiresDocker: false,
    reuseContext: null,
    maxTimeSec: 120,
    outputs: [{ env: 'PIPEWRIGHT_NODE_OUTPUT', name: 'node.json' }],
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'swarmRunnerChild.ts'), '10.77.0.12', REGISTRY, dir, job.pipelineId, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = await new Promise<{ containerId: string; token: string; startedAt: number }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
    });
    child.once('exit', (code) => reject(new Error(`the runner exited (${code}) before the job started`)));
  });
  const space = new PipelineSpace(dir);
  await until('the job to print', () => readFileSafe(space.log('e1').path) === 'before\n', 60_000, 50);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const pipeline = backend.open(job.pipelineId, space);
  try {
    const outcome = await pipeline.reattach({ execId: 'e1', containerId: started.containerId, token: started.token, startedAt: started.startedAt, maxTimeSec: 120, outputs: job.outputs }, {}, new AbortController().signal);
    assert.equal(outcome.exitCode, 0, outcome.message);
    assert.equal(readFileSafe(space.log('e1').path), 'before\nafter\n');
    assert.equal(readFileSafe(space.log('e1', 'stderr').path), 'after\n');
    assert.equal(readFileSafe(space.resultFile('e1', 'node.json')), '{"made": "while away"}');
    // Gone: a re-attach says the runner stopped.
    const gone = await pipeline.reattach({ execId: 'e2', containerId: started.containerId, token: 'x', startedAt: Date.now(), maxTimeSec: 120 }, {}, new AbortController().signal);
    assert.equal(gone.reason, 'runner stopped');
  } finally {
    await pipeline.shutdown();
  }
});

test('removeLeft removes the services a stopped runner left that nobody re-attaches to, and only this pipeline\'s', async () => {
  const dir = path.join(h.storeRoot, 'pipelines', 'left-2');
  const space = new PipelineSpace(dir);
  space.ensure();
  const pipeline = backend.open('left-2', space);
  const otherSpace = new PipelineSpace(path.join(h.storeRoot, 'pipelines', 'left-3'));
  otherSpace.ensure();
  const other = backend.open('left-3', otherSpace);
  const base = { path: '/n', env: {}, image: TEST_IMAGE, imagePath: null, workdir: null, definitionDir: null, cpu: 0.1, mem: 0.1, gpu: 0, requiresDocker: false, reuseContext: null, maxTimeSec: 120 };
  const ids: Record<string, string> = {};
  const runs = [
    ['keep', pipeline, 'left-2'],
    ['drop', pipeline, 'left-2'],
    ['other', other, 'left-3'],
  ].map(([name, p, id]) => {
    const stop = new AbortController();
    (p as typeof pipeline).run({ ...base, pipelineId: id as string, execId: name as string, command: 'sleep 300' }, { onStart: (s) => (ids[name as string] = s.containerId) }, stop.signal);
    return stop;
  });
  await until('three services', () => Object.keys(ids).length === 3, 30_000, 50);
  await pipeline.removeLeft(new Set([ids.keep!]));
  const exists = (id: string) => manager.getService(id).inspect().then(() => true, () => false);
  assert.deepEqual([await exists(ids.keep!), await exists(ids.drop!), await exists(ids.other!)], [true, false, true]);
  for (const stop of runs) stop.abort('killed');
  await pipeline.shutdown();
  await other.shutdown();
  assert.deepEqual([await exists(ids.keep!), await exists(ids.other!)], [false, false]);
});

test('kill -9 of a runner running a pipeline on the swarm; the pipeline opened again re-attaches and ends', async () => {
  const file = h.write(
    'restart.py',
    `import conducto as co

def pipe() -> co.Serial:
    with co.Serial(image="${TEST_IMAGE}") as root:
        co.Exec("echo before; sleep 4; echo after; echo made-while-away > /conducto/data/pipeline/away.txt", name="long")
        co.Exec("echo next; cat /conducto/data/pipeline/away.txt", name="next")
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  // The runner killed and the next one serve the pipeline's data on one port (this process's own
  // data service holds the default one): the task sends its data back to whichever is there.
  const port = '7390';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'swarmPipelineChild.ts'), '10.77.0.12', REGISTRY, h.storeRoot, TEST_IMAGE, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PIPEWRIGHT_DATA_PORT: port },
  });
  const id = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    child.once('exit', (code) => reject(new Error(`the runner exited (${code}) before the pipeline ran`)));
  });
  const execDir = path.join(h.storeRoot, 'pipelines', id, 'exec');
  await until('/long to print', () => readdirSafe(execDir).some((f) => f.endsWith('.log') && readFileSafe(path.join(execDir, f)) === 'before\n'), 60_000, 50);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  process.env.PIPEWRIGHT_DATA_PORT = port;
  let next: EngineRunContext;
  try {
    next = await h.context({ backend: 'swarm', registry: REGISTRY, dockerHost: 'tcp://10.77.0.12:2375' });
  } finally {
    delete process.env.PIPEWRIGHT_DATA_PORT;
  }
  const reopened = h.track(await PipelineRun.open(id, next));
  reopened.setAutorun(true);
  await reopened.settled();
  assert.equal(reopened.tree.root.state, 'done');
  assert.equal(reopened.tree.get('/long').executions.length, 1, 're-attached, not run again');
  assert.equal(lastLog(reopened, '/long'), 'before\nafter\n');
  // What the node wrote to the pipeline's data reached the new runner, and the next node.
  assert.equal(lastLog(reopened, '/next'), 'next\nmade-while-away\n');
  assert.equal(readFileSync(path.join(reopened.space.dataDir, 'away.txt'), 'utf8'), 'made-while-away\n');
  await reopened.close();
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

test('shared data: nodes on different machines see each other\'s co.data.pipeline and co.data.user files through the runner', async () => {
  const stamp = Date.now();
  const file = h.write(
    'data.py',
    `import conducto as co

def pipe() -> co.Serial:
    with co.Serial(image="${TEST_IMAGE}", cpu=2) as root:
        with co.Parallel(name="Write"):
            co.Exec("echo from $PIPEWRIGHT_SWARM_NODE > /conducto/data/pipeline/one.txt; echo mine > /conducto/data/user/u-${stamp}.txt", name="one")
            co.Exec("python3 -c 'import conducto as co; co.data.pipeline.puts(\\"sub/two.txt\\", b\\"two\\")'; echo put on $PIPEWRIGHT_SWARM_NODE", name="two")
        co.Exec("cat /conducto/data/pipeline/one.txt $PIPEWRIGHT_DATA/sub/two.txt /conducto/data/user/u-${stamp}.txt", name="read")
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const { run: pipeline } = await runToEnd(file);
  assert.equal(pipeline.tree.root.state, 'done', lastLog(pipeline, '/Write/two'));
  const one = /^from (pw-engine\d)\n$/.exec(readFileSafe(path.join(pipeline.space.dataDir, 'one.txt')))?.[1];
  const two = /^put on (pw-engine\d)\n$/.exec(lastLog(pipeline, '/Write/two'))?.[1];
  assert.ok(one && two && one !== two, `the writers ran on different machines (${one}, ${two}): each takes a whole one`);
  assert.equal(readFileSafe(path.join(pipeline.space.dataDir, 'sub', 'two.txt')), 'two');
  assert.equal(lastLog(pipeline, '/read'), `from ${one}\ntwomine\n`);
  assert.equal(readFileSafe(path.join(pipeline.space.userDataDir, `u-${stamp}.txt`)), 'mine\n');
  await pipeline.close();
});

test('max_time ends a node that runs longer', async () => {
  const file = h.write(
    'max_time.py',
    `import conducto as co

def pipe() -> co.Serial:
    with co.Serial(image="${TEST_IMAGE}") as root:
        co.Exec("echo begins; sleep 60", name="long", max_time=2)
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const { run: pipeline } = await runToEnd(file);
  const execution = lastExecution(pipeline, '/long');
  assert.equal(execution.reason, 'time limit');
  assert.equal(lastLog(pipeline, '/long'), 'begins\n');
  await pipeline.close();
});

test('seeds: inheritance; Leibniz callables in a copy_dir image only the runner\'s engine has (sent to the manager); the ClearML DAG with artifacts between steps', async () => {
  const inheritance = await runToEnd(path.join(root, 'examples', 'inheritance.py'));
  assert.equal(lastLog(inheritance.run, '/Node1').trim(), 'I run with 2 cores, and with LOG_LEVEL=1');
  await inheritance.run.close();
  const leibniz = await runToEnd(path.join(root, 'examples', 'leibniz.py'), ['--n=100000']);
  assert.equal(leibniz.run.tree.root.state, 'done');
  for (const node of ['/Leibniz1', '/Leibniz2']) assert.match(lastLog(leibniz.run, node), /^3\.1415\d+/);
  await leibniz.run.close();
  const clearml = await runToEnd(path.join(root, 'examples', 'clearml', 'pipeline.py'));
  const states = Object.fromEntries(clearml.run.tree.root.children.map((c) => [c.path.slice(1), c.state]));
  assert.deepEqual(states, { data: 'done', train_slow: 'done', train_mid: 'done', train_fast: 'done', pick_best: 'done' }, `${lastLog(clearml.run, '/pick_best')}\n${JSON.stringify(clearml.run.tree.get('/pick_best').executions.at(-1))}`);
  assert.match(lastLog(clearml.run, '/pick_best'), /best: lr=0\.5/);
  const result = JSON.parse(readFileSync(path.join(clearml.run.space.dataDir, 'clearml', 'pick_best', 'result.json'), 'utf8')) as { artifacts: Record<string, unknown> };
  assert.deepEqual(Object.keys(result.artifacts).sort(), ['best', 'errors']);
  await clearml.run.close();
});

test('placement: a node asking more cpus than a machine has runs clamped, more memory than any has fails clearly; constraints place a job, unsatisfiable ones fail at once', async () => {
  const file = h.write(
    'sizes.py',
    `import conducto as co

def pipe() -> co.Parallel:
    with co.Parallel(image="${TEST_IMAGE}") as root:
        co.Exec("echo big", name="big", cpu=4)
        co.Exec("echo huge", name="huge", mem=500)
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const { run: pipeline } = await runToEnd(file);
  assert.equal(pipeline.tree.get('/big').state, 'done');
  assert.equal(lastExecution(pipeline, '/big').cpuClamped, 2);
  const huge = lastExecution(pipeline, '/huge');
  assert.equal(pipeline.tree.get('/huge').state, 'error');
  assert.match(huge.message ?? '', /asks for 500 GB of memory; the largest swarm node has \d+/);
  await pipeline.close();

  const dir = path.join(h.storeRoot, 'pipelines', 'placed-4');
  const space = new PipelineSpace(dir);
  space.ensure();
  const placed = backend.open('placed-4', space);
  const base = { pipelineId: 'placed-4', path: '/n', env: {}, image: TEST_IMAGE, imagePath: null, workdir: null, definitionDir: null, cpu: 0.1, mem: 0.1, gpu: 0, requiresDocker: false, reuseContext: null, maxTimeSec: 60 };
  try {
    for (const [execId, host] of [['p1', 'pw-engine3'], ['p2', 'pw-engine4']] as const) {
      const outcome = await placed.run({ ...base, execId, command: 'echo $PIPEWRIGHT_SWARM_NODE', constraints: [`node.hostname==${host}`] }, {}, new AbortController().signal);
      assert.equal(outcome.exitCode, 0, outcome.message);
      assert.equal(readFileSafe(space.log(execId).path), `${host}\n`);
    }
    const t0 = Date.now();
    const never = await placed.run({ ...base, execId: 'p3', command: 'true', constraints: ['node.labels.nosuch==1'] }, {}, new AbortController().signal);
    assert.equal(never.reason, 'error');
    assert.match(never.message ?? '', /could not run the node \(pending: no suitable node \(scheduling constraints not satisfied/);
    assert.ok(Date.now() - t0 < 10_000);
  } finally {
    await placed.shutdown();
  }
});

test('the CLI: `pipewright run --backend swarm --registry` on the manager DOCKER_HOST names; an engine that is no swarm manager is refused, saying what to change', async () => {
  const file = h.write('cli.py', `import conducto as co\n\ndef pipe() -> co.Serial:\n    with co.Serial(image="${TEST_IMAGE}") as root:\n        co.Exec("echo from the swarm on $PIPEWRIGHT_SWARM_NODE", name="hello")\n    return root\n\nif __name__ == "__main__":\n    co.main(default=pipe)\n`);
  const ok = await pipewrightToEnd(['run', file, '--backend', 'swarm', '--registry', REGISTRY], h.storeRoot, { DOCKER_HOST: 'tcp://10.77.0.12:2375', PIPEWRIGHT_SERVICE: 'off' });
  assert.equal(ok.code, 0, ok.stderr);
  const id = /^pipeline (\S+)/.exec(ok.stdout)?.[1] ?? '';
  const logs = await pipewrightToEnd(['logs', id, '/hello'], h.storeRoot, { PIPEWRIGHT_SERVICE: 'off' });
  assert.match(logs.stdout, /^from the swarm on pw-engine\d\n$/, logs.stderr);
  // This machine's engine is in no swarm.
  const refused = await pipewrightToEnd(['run', file, '--backend', 'swarm', '--registry', REGISTRY], h.storeRoot, { DOCKER_HOST: 'unix:///var/run/docker.sock', PIPEWRIGHT_SERVICE: 'off' });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /unix:\/\/\/var\/run\/docker\.sock is not a Docker Swarm manager \(in no swarm\)\. The swarm backend runs nodes through a swarm manager: point DOCKER_HOST .* at one/);
});

test('a backend profile that is a swarm: the heavy subtree runs there (backend=), the rest on this machine, their data crossing both ways', async () => {
  const file = h.write(
    'mixed.py',
    `import conducto as co

def pipe() -> co.Serial:
    with co.Serial(image="${TEST_IMAGE}") as root:
        co.Exec("echo here > /conducto/data/pipeline/local.txt", name="prepare")
        with co.Parallel(name="Heavy", backend="cluster"):
            for i in range(3):
                co.Exec(f"cat /conducto/data/pipeline/local.txt; echo {i} > /conducto/data/pipeline/part{i}.txt", name=f"p{i}")
        co.Exec("cat /conducto/data/pipeline/part0.txt /conducto/data/pipeline/part1.txt /conducto/data/pipeline/part2.txt", name="gather")
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const local = await h.context();
  const mixed = await h.context({ backendsEnv: JSON.stringify({ cluster: { backend: 'swarm', dockerHost: 'tcp://10.77.0.12:2375', registry: REGISTRY } }) });
  const doc = await evaluateDefinition(file, {});
  const pipeline = h.track(PipelineRun.create(doc, mixed));
  pipeline.setAutorun(true);
  await pipeline.settled();
  for (const node of ['/prepare', '/Heavy/p0', '/Heavy/p1', '/Heavy/p2', '/gather']) assert.equal(pipeline.tree.get(node).state, 'done', `${node}: ${lastLog(pipeline, node)}`);
  for (let i = 0; i < 3; i++) {
    const execution = lastExecution(pipeline, `/Heavy/p${i}`);
    assert.equal(execution.profile, 'cluster');
    assert.match(execution.ranOn ?? '', /^swarm node pw-engine\d \(manager tcp:\/\/10\.77\.0\.12:2375\)$/);
    assert.equal(lastLog(pipeline, `/Heavy/p${i}`), 'here\n', "this machine's data reached the swarm");
  }
  assert.equal(lastExecution(pipeline, '/gather').ranOn, local.engine.name);
  assert.equal(lastLog(pipeline, '/gather'), '0\n1\n2\n', "the swarm's data came back before the next node here");
  await pipeline.close();
});

test("requires_docker gets the socket of the swarm node the task runs on; a node without it has none", async () => {
  const probe = `python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.connect('/var/run/docker.sock'); s.sendall(b'GET /info HTTP/1.0\\\\r\\\\n\\\\r\\\\n'); import json; print(json.loads(b''.join(iter(lambda: s.recv(65536), b'')).split(b'\\\\r\\\\n\\\\r\\\\n', 1)[1])['Name'])"`;
  const file = h.write('docker.py', `import conducto as co\nroot = co.Serial(image="${TEST_IMAGE}")\nroot["d"] = co.Exec(${JSON.stringify(probe)}, requires_docker=True)\nroot["none"] = co.Exec("test -e /var/run/docker.sock && echo has-socket || echo no-socket")\n`);
  const { run: pipeline } = await runToEnd(file);
  assert.equal(pipeline.tree.get('/d').state, 'done', lastLog(pipeline, '/d'));
  const ran = /^swarm node (pw-engine\d) /.exec(lastExecution(pipeline, '/d').ranOn ?? '')?.[1];
  assert.equal(lastLog(pipeline, '/d'), `${ran}\n`, "the engine of the swarm node it ran on");
  assert.equal(lastLog(pipeline, '/none'), 'no-socket\n');
  await pipeline.close();
});

test('a Conducto node\'s placement= constrains where the swarm puts it (inherited by its subtree)', async () => {
  const file = h.write(
    'placed.py',
    `import conducto as co\n\ndef pipe() -> co.Parallel:\n    with co.Parallel(image="${TEST_IMAGE}", placement="node.hostname==pw-engine3") as root:\n        for i in range(3):\n            co.Exec("echo on $PIPEWRIGHT_SWARM_NODE", name=f"n{i}", cpu=0.25, mem=0.25)\n    return root\n\nif __name__ == "__main__":\n    co.main(default=pipe)\n`,
  );
  const { run: pipeline } = await runToEnd(file);
  for (let i = 0; i < 3; i++) assert.equal(lastLog(pipeline, `/n${i}`), 'on pw-engine3\n');
  await pipeline.close();
});
