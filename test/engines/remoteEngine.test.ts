// A Docker engine elsewhere (DOCKER_HOST=tcp://…) that shares no files with the runner: an engine
// this suite starts in namespaces of its own (scripts/test-engines.sh), whose /tmp, /home, /root,
// /run and the project's folder are empty. The seed pipelines, shared data, isolation, kill, reset,
// OOM and re-attach after kill -9, with nothing left on the engine.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { LABELS } from '../../runner/localDocker/containerConfig';
import { PipelineRun } from '../../runner/pipelineRun';
import { createRunContext } from '../../runner/runContext';
import { runThenKill9 } from '../helpers/cliChild';
import { BUSYBOX_IMAGE, Harness, lastLog, TEST_IMAGE, until } from '../helpers/runnerHarness';
import { loadImages, startEngines, stopEngines } from '../helpers/testEngines';

const ENGINE = 1;
const examples = path.resolve(__dirname, '..', '..', 'examples');
const h = new Harness();
let host = '';

before(() => {
  host = startEngines([ENGINE])[0]!;
  loadImages(host, [TEST_IMAGE, BUSYBOX_IMAGE]);
});

after(async () => {
  try {
    const ctx = await h.context({ dockerHost: host });
    const ids = h.pipelineIds;
    await h.dispose();
    const label = { label: [LABELS.pipeline] };
    const containers = (await ctx.docker.listContainers({ all: true, filters: label })).filter((c) => ids.includes(c.Labels[LABELS.pipeline] ?? ''));
    const volumes = ((await ctx.docker.listVolumes({ filters: label })).Volumes ?? []).filter((v) => ids.includes(v.Labels?.[LABELS.pipeline] ?? ''));
    const networks = (await ctx.docker.listNetworks()).filter((n) => ids.some((id) => n.Name.includes(id)));
    assert.deepEqual({ containers: containers.map((c) => c.Names[0]), volumes: volumes.map((v) => v.Name), networks: networks.map((n) => n.Name) }, { containers: [], volumes: [], networks: [] }, 'nothing is left on the engine');
  } finally {
    stopEngines([ENGINE]);
  }
});

const remote = () => ({ dockerHost: host });

test('the engine is the remote one, and the seeds run there: build and test, inheritance, callables, Lazy', async () => {
  const ctx = await h.context(remote());
  assert.equal(ctx.backend.description, `Docker engine at ${host}`);
  assert.equal(ctx.engine.name, `pw-engine${ENGINE}`);

  const build = await h.run(path.join(examples, 'build_and_test.py'), remote());
  assert.equal(build.run.tree.root.state, 'done');
  assert.match(lastLog(build.run, '/Test/backend'), /run test for backend/);
  const container = build.run.tree.get('/Test/backend').executions[0]!.containerId!;
  assert.ok(await ctx.docker.getContainer(container).inspect().then(() => true, () => false), 'the node ran on the remote engine');
  assert.equal(build.run.tree.get('/Test/backend').executions[0]!.ranOn, `pw-engine${ENGINE} (${host})`, 'where it ran is recorded with the execution');
  await build.run.close();

  const inheritance = await h.run(path.join(examples, 'inheritance.py'), remote());
  assert.equal(lastLog(inheritance.run, '/Node1').trim(), 'I run with 2 cores, and with LOG_LEVEL=1');
  await inheritance.run.close();

  const leibniz = await h.run(path.join(examples, 'leibniz.py'), { ...remote(), args: ['--n=100000'] });
  assert.equal(leibniz.run.tree.root.state, 'done', leibniz.run.tree.get('/Leibniz1').executions[0]?.message);
  for (const node of ['/Leibniz1', '/Leibniz2']) assert.match(lastLog(leibniz.run, node), /^3\.1415\d+/);
  await leibniz.run.close();

  const lazy = await h.run(
    h.write('lazy.py', `import conducto as co\n\ndef tests(n: int = 1) -> co.Parallel:\n    out = co.Parallel()\n    for i in range(n):\n        out[f"t{i}"] = co.Exec(f"echo test {i}")\n    return out\n\ndef pipe() -> co.Serial:\n    root = co.Serial()\n    root["Test"] = co.Lazy(tests, n=3)\n    return root\n\nif __name__ == "__main__":\n    co.main(default=pipe)\n`),
    remote(),
  );
  assert.equal(lazy.run.tree.root.state, 'done');
  assert.deepEqual(lazy.run.tree.get('/Test/Execute').children.map((c) => c.path), ['/Test/Execute/t0', '/Test/Execute/t1', '/Test/Execute/t2']);
  assert.equal(lastLog(lazy.run, '/Test/Execute/t2'), 'test 2\n');
  await lazy.run.close();
});

test('a ClearML pipeline: artifacts pass between steps on the engine and the runner reads them', async () => {
  const { run } = await h.run(path.join(examples, 'clearml', 'pipeline.py'), remote());
  const states = Object.fromEntries(run.tree.root.children.map((c) => [c.path.slice(1), c.state]));
  const why = run.tree.root.children.map((c) => `${c.path}: ${c.executions.at(-1)?.message ?? ''} ${c.state === 'error' ? lastLog(run, c.path) : ''}`).join('\n');
  assert.deepEqual(states, { data: 'done', train_slow: 'done', train_mid: 'done', train_fast: 'done', pick_best: 'done' }, why);
  assert.match(lastLog(run, '/pick_best'), /best: lr=0\.5/);
  await run.close();
  const result = JSON.parse(readFileSync(path.join(run.space.dataDir, 'clearml', 'pick_best', 'result.json'), 'utf8')) as { artifacts: Record<string, unknown> };
  assert.deepEqual(Object.keys(result.artifacts).sort(), ['best', 'errors'], 'the artifacts came home to the store');
});

test('isolation: the definition is a read-only copy, no host path is there, data is shared between nodes and comes home without links', async () => {
  const defs = path.dirname(h.write('iso.py', ''));
  const file = h.write(
    'iso.py',
    [
      'import conducto as co',
      'root = co.Serial()',
      // The copy of the definition's folder: there, read-only; the host's folder is not.
      `root["src"] = co.Exec("test -f /pipewright/src/iso.py && ! touch /pipewright/src/x 2>/dev/null && test ! -e ${defs} && test ! -e /var/run/docker.sock && echo isolated")`,
      'root["write"] = co.Exec("echo shared > /conducto/data/pipeline/out.txt; ln -s /etc/passwd /pipewright/data/link; mkfifo /pipewright/data/fifo")',
      'root["read"] = co.Exec("cat /pipewright/data/out.txt")',
    ].join('\n') + '\n',
  );
  const { run } = await h.run(file, remote());
  for (const node of ['/src', '/write', '/read']) assert.equal(run.tree.get(node).state, 'done', `${node}: ${lastLog(run, node)}`);
  assert.equal(lastLog(run, '/src'), 'isolated\n');
  assert.equal(lastLog(run, '/read'), 'shared\n');
  assert.equal(existsSync(path.join(defs, 'x')), false);
  await run.close();
  assert.equal(readFileSync(path.join(run.space.dataDir, 'out.txt'), 'utf8'), 'shared\n', 'the shared data is in the store once the pipeline closes');
  assert.equal(existsSync(path.join(run.space.dataDir, 'link')), false, 'a link a node planted is not brought home');
  assert.equal(existsSync(path.join(run.space.dataDir, 'fifo')), false, 'nor a fifo');
});

test("requires_docker gets the remote engine's own socket", async () => {
  const probe = `python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.connect('/var/run/docker.sock'); s.sendall(b'GET /info HTTP/1.0\\\\r\\\\n\\\\r\\\\n'); import json; print(json.loads(b''.join(iter(lambda: s.recv(65536), b'')).split(b'\\\\r\\\\n\\\\r\\\\n', 1)[1])['Name'])"`;
  const file = h.write('docker.py', `import conducto as co\nroot = co.Serial()\nroot["d"] = co.Exec(${JSON.stringify(probe)}, requires_docker=True)\n`);
  const { run } = await h.run(file, remote());
  assert.equal(run.tree.get('/d').state, 'done', lastLog(run, '/d'));
  assert.equal(lastLog(run, '/d'), `pw-engine${ENGINE}\n`);
  await run.close();
});

test('kill, reset and out of memory on the remote engine', async () => {
  const file = h.write('kill.py', `import conducto as co\nroot = co.Parallel()\nroot["long"] = co.Exec("echo begun; sleep 60")\nroot["hog"] = co.Exec("python3 -c 'b = bytearray(400 * 2**20)'", mem=0.125)\n`);
  const { run } = await h.create(file, remote());
  run.setAutorun(true);
  await until('the long node to print', () => logSoFar(run, '/long') === 'begun\n');
  const killedAt = Date.now();
  run.kill('/long');
  await run.settled();
  assert.ok(Date.now() - killedAt < 5000, 'killed at once');
  assert.equal(run.tree.get('/long').state, 'killed');
  const hog = run.tree.get('/hog').executions[0]!;
  assert.equal(hog.reason, 'oom', `the engine's OOM kill is reported as such (${hog.message})`);
  run.modify('/long', { command: 'echo again' });
  run.reset('/long');
  await run.settled();
  assert.equal(run.tree.get('/long').state, 'done');
  assert.equal(lastLog(run, '/long'), 'again\n');
  await run.close();
});

test('a backend profile: the step whose execution_queue names it runs on its engine, the others here; artifacts cross both ways', async () => {
  const file = h.write(
    'profiles.py',
    `from clearml import PipelineController


def make(n: int = 5):
    return list(range(n))


def heavy(numbers):
    return sum(x * x for x in numbers)


def report(total):
    print("total", total)


if __name__ == "__main__":
    pipe = PipelineController(name="profiles", project="demo")
    pipe.add_function_step(name="make", function=make, function_return=["numbers"])
    pipe.add_function_step(name="heavy", function=heavy, function_kwargs=dict(numbers="\${make.numbers}"), function_return=["total"], execution_queue="remote")
    pipe.add_function_step(name="report", function=report, function_kwargs=dict(total="\${heavy.total}"))
    pipe.start_locally(run_pipeline_steps_locally=True)
`,
  );
  const local = await h.context();
  const { run } = await h.run(file, { backendsEnv: JSON.stringify({ remote: { dockerHost: host, cpus: 1 } }) });
  for (const step of ['/make', '/heavy', '/report']) assert.equal(run.tree.get(step).state, 'done', `${step}: ${lastLog(run, step)}`);
  const heavy = run.tree.get('/heavy').executions[0]!;
  assert.equal(heavy.profile, 'remote');
  assert.equal(heavy.ranOn, `pw-engine${ENGINE} (${host})`, 'the heavy step ran on the profile\'s engine');
  assert.equal(run.tree.get('/make').executions[0]!.ranOn, local.engine.name, 'the others on this machine\'s');
  assert.equal(run.tree.get('/report').executions[0]!.profile, undefined);
  assert.match(lastLog(run, '/report'), /total 30/, "the remote step read the local step's artifact, and the next read its own");
  await run.close();
});

test('a Conducto node\'s backend= names a profile: its subtree runs on that engine, the rest here, data crosses; an unknown name fails that node, naming it', async () => {
  const file = h.write(
    'conducto_profiles.py',
    `import conducto as co


def pipe() -> co.Serial:
    with co.Serial(image="${TEST_IMAGE}") as root:
        co.Exec("echo seed > /conducto/data/pipeline/seed.txt", name="local_first")
        with co.Parallel(name="Heavy", backend="remote"):
            co.Exec("cat /conducto/data/pipeline/seed.txt; echo heavy > /conducto/data/pipeline/heavy.txt", name="a")
        co.Exec("cat /conducto/data/pipeline/heavy.txt", name="local_after")
        co.Exec("echo never", name="nowhere", backend="gpu")
    return root


if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const local = await h.context();
  const { run } = await h.run(file, { backendsEnv: JSON.stringify({ remote: { dockerHost: host } }) });
  for (const node of ['/local_first', '/Heavy/a', '/local_after']) assert.equal(run.tree.get(node).state, 'done', `${node}: ${lastLog(run, node)}`);
  const heavy = run.tree.get('/Heavy/a').executions[0]!;
  assert.equal(heavy.profile, 'remote', 'inherited from its Parallel');
  assert.equal(heavy.ranOn, `pw-engine${ENGINE} (${host})`);
  assert.equal(run.tree.get('/local_after').executions[0]!.ranOn, local.engine.name);
  assert.equal(lastLog(run, '/Heavy/a'), 'seed\n', 'the local node\'s data reached the remote engine');
  assert.equal(lastLog(run, '/local_after'), 'heavy\n', "the remote node's data came back before the next local node");
  const nowhere = run.tree.get('/nowhere');
  assert.equal(nowhere.state, 'error');
  assert.match(nowhere.executions[0]!.message ?? '', /backend "gpu" is not a configured backend profile \(configured: remote\)/);
  await run.close();
});

test('a backend profile that is not well formed is refused before anything runs, naming its source and key', async () => {
  await assert.rejects(h.context({ backendsEnv: JSON.stringify({ remote: { dockerhost: host } }) }), /PIPEWRIGHT_BACKENDS, profile "remote": unknown key "dockerhost"/);
  await assert.rejects(h.context({ backendsSetting: { big: { backend: 'swarm', dockerHost: host } } }), /the pipewright.backends setting, profile "big": a swarm needs "registry"/);
});

test('kill -9 of the runner: a new one re-attaches to the job on the remote engine and keeps its output', async () => {
  const file = h.write('crash.py', `import conducto as co\nroot = co.Serial()\nroot["survivor"] = co.Exec("echo before; echo kept > /pipewright/data/kept; sleep 4; echo after")\nroot["next"] = co.Exec("echo next")\n`);
  const { pipeline } = await runThenKill9(h.storeRoot, file, (e) => e.type === 'log' && e.path === '/survivor', [], { DOCKER_HOST: host });
  const ctx = await createRunContext({ storeRoot: h.storeRoot, dockerHost: host, defaultImage: TEST_IMAGE });
  const run = h.track(await PipelineRun.open(pipeline, ctx));
  run.setAutorun(true);
  await run.settled();
  assert.equal(run.tree.get('/survivor').state, 'done');
  assert.equal(run.tree.get('/survivor').executions.length, 1, 're-attached, not run again');
  assert.equal(lastLog(run, '/survivor'), 'before\nafter\n');
  assert.equal(lastLog(run, '/next'), 'next\n');
  await run.close();
  assert.equal(readFileSync(path.join(run.space.dataDir, 'kept'), 'utf8'), 'kept\n', 'what the node wrote in the volume the killed runner left comes home');
});

/** A node's latest log as far as it is written ('' before its file is made). */
function logSoFar(run: PipelineRun, nodePath: string): string {
  try {
    return lastLog(run, nodePath);
  } catch {
    return '';
  }
}
