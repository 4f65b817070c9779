// A Docker engine reached over SSH (DOCKER_HOST=ssh://root@HOST), as the docker CLI reaches one: the
// system's ssh runs `docker system dial-stdio` there. The engine (scripts/test-engines.sh) shares no
// files with the runner; sshd runs beside it in its namespaces (scripts/test-engine-ssh.sh), with a
// host key the client pins. Pipelines run there, the worker channel and re-attach over ssh, and a
// host whose key is not the known one is refused.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { LABELS } from '../../runner/localDocker/containerConfig';
import { PipelineRun } from '../../runner/pipelineRun';
import { runThenKill9 } from '../helpers/cliChild';
import { Harness, lastLog, TEST_IMAGE } from '../helpers/runnerHarness';
import { loadImages, startEngines, stopEngines } from '../helpers/testEngines';

const ENGINE = 5;
const sshScript = path.resolve(__dirname, '..', '..', 'scripts', 'test-engine-ssh.sh');
const examples = path.resolve(__dirname, '..', '..', 'examples');
const SSH_HOST = `ssh://root@10.77.0.${10 + ENGINE}`;
const h = new Harness();
let config = '';

before(() => {
  const tcp = startEngines([ENGINE])[0]!;
  loadImages(tcp, [TEST_IMAGE]);
  config = execFileSync('bash', [sshScript, 'start', String(ENGINE)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  // The runner's ssh reads this config (the test's key and pinned host key), not root's ~/.ssh.
  process.env.PIPEWRIGHT_SSH_CONFIG = config;
});

after(async () => {
  try {
    const ctx = await h.context({ dockerHost: SSH_HOST });
    const ids = h.pipelineIds;
    await h.dispose();
    const label = { label: [LABELS.pipeline] };
    const containers = (await ctx.docker.listContainers({ all: true, filters: label })).filter((c) => ids.includes(c.Labels[LABELS.pipeline] ?? ''));
    const volumes = ((await ctx.docker.listVolumes({ filters: label })).Volumes ?? []).filter((v) => ids.includes(v.Labels?.[LABELS.pipeline] ?? ''));
    assert.deepEqual({ containers: containers.map((c) => c.Names[0]), volumes: volumes.map((v) => v.Name) }, { containers: [], volumes: [] }, 'nothing is left on the engine');
  } finally {
    execFileSync('bash', [sshScript, 'stop', String(ENGINE)], { stdio: 'inherit' });
    stopEngines([ENGINE]);
  }
});

test('over ssh: the engine is the one there; build and test, and a ClearML DAG with artifacts, run on it', async () => {
  const ctx = await h.context({ dockerHost: SSH_HOST });
  assert.equal(ctx.engine.name, `pw-engine${ENGINE}`);
  assert.equal(ctx.backend.description, `Docker engine at ${SSH_HOST}`);
  const build = await h.run(path.join(examples, 'build_and_test.py'), { dockerHost: SSH_HOST });
  assert.equal(build.run.tree.root.state, 'done');
  assert.match(lastLog(build.run, '/Test/backend'), /run test for backend/);
  assert.equal(build.run.tree.get('/Test/backend').executions[0]!.ranOn, `pw-engine${ENGINE} (${SSH_HOST})`);
  await build.run.close();
  const clearml = await h.run(path.join(examples, 'clearml', 'pipeline.py'), { dockerHost: SSH_HOST });
  assert.equal(clearml.run.tree.root.state, 'done', lastLog(clearml.run, '/pick_best'));
  assert.match(lastLog(clearml.run, '/pick_best'), /best: lr=0\.5/);
  await clearml.run.close();
});

test('over ssh: kill -9 of the runner, then a new one re-attaches to the job and keeps its output', async () => {
  const file = h.write('reattach.py', `import conducto as co\n\ndef pipe() -> co.Serial:\n    with co.Serial(image="${TEST_IMAGE}") as root:\n        co.Exec("echo before; sleep 3; echo after", name="long")\n    return root\n\nif __name__ == "__main__":\n    co.main(default=pipe)\n`);
  const { pipeline } = await runThenKill9(h.storeRoot, file, (e) => e.type === 'log' && e.text.includes('before'), [], { DOCKER_HOST: SSH_HOST, PIPEWRIGHT_SSH_CONFIG: config });
  const reopened = h.track(await PipelineRun.open(pipeline, await h.context({ dockerHost: SSH_HOST })));
  reopened.setAutorun(true);
  await reopened.settled();
  assert.equal(reopened.tree.get('/long').state, 'done');
  assert.equal(reopened.tree.get('/long').executions.length, 1, 're-attached, not run again');
  assert.equal(lastLog(reopened, '/long'), 'before\nafter\n');
  await reopened.close();
});

test('over ssh: a host whose key is not the known one is refused, saying ssh failed and why', async () => {
  const wrong = path.join(h.dir, 'wrong_known_hosts');
  // Another machine's key where this host's should be: a man in the middle, as ssh sees it.
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(h.dir, 'impostor')]);
  const impostor = readFileSync(path.join(h.dir, 'impostor.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(wrong, `10.77.0.${10 + ENGINE} ${impostor}\n`);
  const other = path.join(h.dir, 'wrong_config');
  writeFileSync(other, `Host *\n  User root\n  IdentityFile ${path.dirname(config)}/client_key\n  UserKnownHostsFile ${wrong}\n  StrictHostKeyChecking yes\n`);
  process.env.PIPEWRIGHT_SSH_CONFIG = other;
  try {
    await assert.rejects(h.context({ dockerHost: SSH_HOST }), /Cannot reach Docker at ssh:\/\/root@10\.77\.0\.15: ssh to 10\.77\.0\.15 failed \(exit 255\): WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! … .* … Host key verification failed\. Check that `ssh HOST docker version` works/);
  } finally {
    process.env.PIPEWRIGHT_SSH_CONFIG = config;
  }
});
