// `pipewright shell ID PATH` (inside the running node's container) and `pipewright debug ID PATH` (a
// fresh container like the node's), with `-- CMD` as scripts and tests use them, against a real engine.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import Dockerode from 'dockerode';
import type { RunnerEvent } from '../../protocol/runner';
import { cli, cliJs, ensureBuilt } from '../helpers/cli';
import { TEST_IMAGE } from '../helpers/runnerHarness';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'pipewright-debug-'));
const store = path.join(scratch, 'store');
const env = { PIPEWRIGHT_HOME: store, PIPEWRIGHT_DEFAULT_IMAGE: TEST_IMAGE };
const docker = new Dockerode();
before(ensureBuilt);
after(() => rmSync(scratch, { recursive: true, force: true }));

function define(name: string, source: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, source);
  return file;
}

/** `pipewright run FILE --json` in a child; resolves once a log line of `nodePath` has `text`. */
async function runUntilLogged(file: string, nodePath: string, text: string) {
  const child = spawn(process.execPath, [cliJs, 'run', file, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const lines = createInterface({ input: child.stdout });
  const id = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const event = JSON.parse(line) as RunnerEvent;
      if (event.type === 'log' && event.path === nodePath && event.text.includes(text)) resolve(event.pipeline);
    });
    void exited.then((code) => reject(new Error(`pipewright run exited ${code} before ${nodePath} printed ${text}`)));
  });
  return { child, exited, id };
}

async function debugContainersOf(id: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`pipewright.debug=${id}`] } });
  return list.map((c) => c.Id);
}

test('shell -- CMD runs inside the running node\'s container: it sees the files the node wrote, its env and working directory; errors name the node', { timeout: 120_000 }, async () => {
  const file = define('live.py', [
    'import conducto as co',
    'root = co.Parallel()',
    'root["slow"] = co.Exec("pwd > /tmp/node-cwd.txt && echo from-the-node > /tmp/node-wrote.txt && echo ready && sleep 67", env={"GREETING": "hello node"})',
    'root["later"] = co.Exec("echo later", parents=["slow"])',
    '',
  ].join('\n'));
  const { child, exited, id } = await runUntilLogged(file, '/slow', 'ready');
  try {
    const inside = await cli(['shell', id, '/slow', '--', 'sh', '-c', 'cat /tmp/node-wrote.txt; echo "$GREETING"; echo "$PIPEWRIGHT_NODE_PATH"; [ "$(pwd)" = "$(cat /tmp/node-cwd.txt)" ] && echo same-cwd; ps -o args | grep -cx "sleep 67"'], env);
    assert.equal(inside.code, 0, inside.stderr);
    assert.equal(inside.stdout, 'from-the-node\nhello node\n/slow\nsame-cwd\n1\n', 'the node\'s file, env and its running process');
    const status = await cli(['shell', id, '/slow', '--', 'sh', '-c', 'echo to-stderr >&2; exit 7'], env);
    assert.equal(status.code, 7, 'the command\'s exit status');
    assert.equal(status.stderr, 'to-stderr\n');

    const pending = await cli(['shell', id, '/later', '--', 'true'], env);
    assert.equal(pending.code, 1);
    assert.match(pending.stderr, new RegExp(`^pipewright shell: /later is not running \\(it is pending\\).*pipewright debug ${id} /later`));
    const parallel = await cli(['shell', id, '/', '--', 'true'], env);
    assert.match(parallel.stderr, /^pipewright shell: \/ is a Parallel: a shell or a debug container is for one of its Exec nodes/);
    const noNode = await cli(['shell', id, '/nope', '--', 'true'], env);
    assert.match(noNode.stderr, new RegExp(`^pipewright shell: pipeline ${id} has no node /nope`));
    const noPipeline = await cli(['shell', 'no-such-pipeline', '/slow', '--', 'true'], env);
    assert.equal(noPipeline.code, 1);
    assert.match(noPipeline.stderr, /^pipewright shell: no pipeline "no-such-pipeline" in /);
    const usage = await cli(['shell', id], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /pipewright shell ID PATH \[-- CMD \.\.\.\]/);
  } finally {
    await cli(['kill', id, '/slow'], env);
    await exited;
    child.kill();
  }
  const after = await cli(['shell', id, '/slow', '--', 'true'], env);
  assert.match(after.stderr, new RegExp(`/slow is not running \\(it is killed\\).*pipewright debug ${id} /slow`));
});

test('debug -- CMD runs in a fresh container with the node\'s image, env, working directory, mounts and isolation; the command is in /tmp/pipewright-debug.sh', { timeout: 120_000 }, async () => {
  const file = define('made.py', [
    'import conducto as co',
    'root = co.Serial()',
    'root["make"] = co.Exec("echo \\"made $GREETING\\" | tee /pipewright/data/made.txt", env={"GREETING": "with env"}, mem=0.5)',
    'root["never"] = co.Exec("echo never", skip=True)',
    '',
  ].join('\n'));
  const ran = await cli(['run', file, '--json'], env);
  assert.equal(ran.code, 0, ran.stderr);
  const id = (JSON.parse(ran.stdout.split('\n')[0]!) as RunnerEvent).pipeline;

  const look = await cli(['debug', id, '/make', '--', 'sh', '-c', 'echo "$GREETING|$PIPEWRIGHT_NODE_PATH|$PIPEWRIGHT_DEBUG|$CONDUCTO_PIPELINE_ID"; cat /pipewright/data/made.txt; tail -n 1 /tmp/pipewright-debug.sh; test -e /tmp/node-wrote.txt || echo fresh'], env);
  assert.equal(look.code, 0, look.stderr);
  assert.equal(look.stdout, `with env|/make|1|${id}\nmade with env\necho "made $GREETING" | tee /pipewright/data/made.txt\nfresh\n`);

  // The node's command, run as is: it writes the shared data as the node did.
  const rerun = await cli(['debug', id, '/make', '--', 'sh', '-c', 'rm /pipewright/data/made.txt; bash /tmp/pipewright-debug.sh >/dev/null; cat /pipewright/data/made.txt'], env);
  assert.equal(rerun.stdout, 'made with env\n', rerun.stderr);

  // The node's isolation: no Docker socket (it does not require docker), the definition read-only, its memory limit, its network.
  const isolation = await cli(['debug', id, '/make', '--', 'sh', '-c', 'test -e /var/run/docker.sock && echo socket; touch /pipewright/src/x 2>/dev/null && echo wrote-src; cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo "$CONDUCTO_NETWORK"'], env);
  assert.equal(isolation.stdout, `${0.5 * 2 ** 30}\nconducto_network_${id}\n`, isolation.stderr);

  assert.deepEqual(await debugContainersOf(id), [], 'debug containers are removed when their process ends');
  const networks = await docker.listNetworks({ filters: { name: [`conducto_network_${id}`] } });
  assert.deepEqual(networks.map((n) => n.Name), [], 'with no runner holding the pipeline, its network goes too');

  const never = await cli(['debug', id, '/never', '--', 'true'], env);
  assert.equal(never.code, 1);
  assert.match(never.stderr, new RegExp(`^pipewright debug: /never has no execution yet: .*run it first \\(pipewright reset ${id} /never\\)`));
  const status = await cli(['debug', id, '/make', '--', 'sh', '-c', 'exit 5'], env);
  assert.equal(status.code, 5);
});

test('debug of a requires_docker node gets the Docker socket, as the node did', { timeout: 120_000 }, async () => {
  const file = define('docker_node.py', 'import conducto as co\nroot = co.Serial()\nroot["d"] = co.Exec("true", requires_docker=True)\n');
  const ran = await cli(['run', file, '--json'], env);
  assert.equal(ran.code, 0, ran.stderr);
  const id = (JSON.parse(ran.stdout.split('\n')[0]!) as RunnerEvent).pipeline;
  const socket = await cli(['debug', id, '/d', '--', 'sh', '-c', 'test -S /var/run/docker.sock && echo socket'], env);
  assert.equal(socket.stdout, 'socket\n', socket.stderr);
});

test('debug of a copy_dir node works in the image\'s copy of the code (not the host folder); shell too', { timeout: 300_000 }, async () => {
  const dir = path.join(scratch, 'copied');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'data.txt'), 'in the copy\n');
  const file = path.join(dir, 'copied.py');
  writeFileSync(file, [
    'import conducto as co',
    `img = co.Image(image="${TEST_IMAGE}", copy_dir=".")`,
    'root = co.Serial(image=img)',
    'root["slow"] = co.Exec("cat data.txt && echo ready && sleep 60")',
    '',
  ].join('\n'));
  const { child, exited, id } = await runUntilLogged(file, '/slow', 'ready');
  try {
    const shell = await cli(['shell', id, '/slow', '--', 'sh', '-c', 'pwd; cat data.txt'], env);
    assert.equal(shell.stdout, '/pipewright/src\nin the copy\n', shell.stderr);
    const debug = await cli(['debug', id, '/slow', '--', 'sh', '-c', 'pwd; cat data.txt; echo changed > data.txt && cat data.txt'], env);
    assert.equal(debug.stdout, '/pipewright/src\nin the copy\nchanged\n', debug.stderr);
    assert.equal(readFileSync(path.join(dir, 'data.txt'), 'utf8'), 'in the copy\n', 'the host folder is untouched');
  } finally {
    await cli(['kill', id, '/slow'], env);
    await exited;
    child.kill();
  }
  // The runner still holds its network while it ran; the debug container left it in place.
  assert.deepEqual(await debugContainersOf(id), []);
});
