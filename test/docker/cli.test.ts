// The `pipewright` CLI driving the runner headless, as CI users do.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import type { RunnerEvent } from '../../protocol/runner';
import { createRunContext } from '../../runner/runContext';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { cli, cliJs, ensureBuilt, repo } from '../helpers/cli';
import { leftoverContainers, TEST_IMAGE } from '../helpers/runnerHarness';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'pipewright-cli-run-'));
const store = path.join(scratch, 'store');
const env = { PIPEWRIGHT_HOME: store, PIPEWRIGHT_DEFAULT_IMAGE: TEST_IMAGE, PIPEWRIGHT_CLI: cliJs };
before(ensureBuilt);
after(() => rmSync(scratch, { recursive: true, force: true }));

function define(name: string, source: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, source);
  return file;
}

const twoStep = define('two_step.py', 'import conducto as co\n\ndef run() -> co.Serial:\n    root = co.Serial()\n    root["hello"] = co.Exec("echo hello from $PIPEWRIGHT_NODE_PATH")\n    root["world"] = co.Exec("echo world")\n    return root\n\nif __name__ == "__main__":\n    co.main(default=run)\n');

test('run --json: JSON lines naming the pipeline and each node by path and state; exit 0 when done', async () => {
  const result = await cli(['run', twoStep, '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as RunnerEvent & { state?: string });
  const id = events[0]!.pipeline;
  assert.match(id, /^[a-z]+(-[a-z]+)+$/, 'a short readable name');
  assert.ok(events.every((e) => e.pipeline === id));
  const states = events.filter((e) => e.type === 'state').map((e) => `${(e as { path: string }).path}:${e.state}`);
  for (const expected of ['/hello:running', '/hello:done', '/world:done', '/:done']) assert.ok(states.includes(expected), `${expected} in ${states.join(' ')}`);
  assert.deepEqual(events[events.length - 1]!.type, 'finished');

  const list = await cli(['list'], env);
  assert.match(list.stdout, new RegExp(`^${id} .* done .*two_step\\.py`, 'm'));
  const show = await cli(['show', id], env);
  assert.match(show.stdout, /├─0 hello {2}✔ done/);
  const logs = await cli(['logs', id, '/hello'], env);
  assert.equal(logs.stdout, 'hello from /hello\n');

  const modify = await cli(['modify', id, '/world', '--command', 'echo modified world', '--cpu', '0.5', '--reset'], env);
  assert.equal(modify.code, 0, modify.stderr);
  assert.equal((await cli(['logs', id, '/world'], env)).stdout, 'modified world\n');
  const refused = await cli(['modify', id, '/world', '--mem', '-2'], env);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /\/world: mem must be a number of GB > 0/);

  const reset = await cli(['reset', id, '/world'], env);
  assert.equal(reset.code, 0, reset.stderr);
  const shown = JSON.parse((await cli(['show', id, '--json'], env)).stdout) as { nodes: { path: string; executions: unknown[] }[] };
  const world = shown.nodes.find((n) => n.path === '/world')! as unknown as { executions: { command: string; params: { cpu: number } }[] };
  assert.deepEqual(world.executions.map((e) => [e.command, e.params.cpu]), [['echo world', 1], ['echo modified world', 0.5], ['echo modified world', 0.5]], 'history keeps every execution as run');
  assert.equal(shown.nodes.find((n) => n.path === '/hello')!.executions.length, 1);
});

test('run exits 1 when the root fails, and prints why', async () => {
  const file = define('fails.py', 'import conducto as co\nroot = co.Serial()\nroot["bad"] = co.Exec("exit 4")\n');
  const result = await cli(['run', file], env);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /error {3}\/bad \(exit 4\)/);
});

test('an invalid image name fails its node as an invalid name, naming the node and the image', async () => {
  const file = define('bad_image.py', 'import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("echo hi", image=co.Image(image="UPPER/Case:bad tag"))\n');
  const result = await cli(['run', file], env);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^error {3}\/a \(error: Invalid image name "UPPER\/Case:bad tag" in the node's Image\(image=\.\.\.\): it contains whitespace\)/m);
  assert.doesNotMatch(result.stdout + result.stderr, /Docker is not running|Cannot talk to Docker/);
});

test('a pipeline 3,000 levels deep runs to the end and prints its status (it used to hang)', { timeout: 120_000 }, async () => {
  const file = define('deep.py', 'import conducto as co\nroot = node = co.Serial()\nfor i in range(3000):\n    node["s%d" % i] = co.Serial()\n    node = node["s%d" % i]\nnode["leaf"] = co.Exec("echo deep")\n');
  const result = await cli(['run', file], env);
  assert.equal(result.code, 0, result.stderr);
  // Over 150 nodes: the summary, not 3,002 rows.
  assert.match(result.stdout, /\n3002 nodes\npipeline \S+ {2}done {2}P0 Q0 R0 D1 E0 K0\n$/);
});

test('nodes that print a little leave no file each: their logs are packed, and read back byte for byte; a big output keeps its file', { timeout: 120_000 }, async () => {
  const file = define('chatty.py', 'import conducto as co\nroot = co.Parallel(cpu=0.25, mem=0.25)\nfor i in range(200):\n    root["n%03d" % i] = co.Exec("echo out %d; printf \'err %d\\\\000\\\\n\' >&2; echo done" % (i, i))\nroot["big"] = co.Exec("head -c 100000 /dev/zero | tr \'\\\\0\' x")\n');
  const result = await cli(['run', file], env);
  assert.equal(result.code, 0, result.stderr);
  const id = /^pipeline (\S+)/.exec(result.stdout)![1]!;
  const store = new PipelineStore(path.join(scratch, 'store'));
  const files = readdirSync(store.space(id).execDir).filter((f) => /\.(log|err)$|^logs\./.test(f));
  const big = (await cli(['logs', id, '/big'], env)).stdout;
  assert.equal(big, 'x'.repeat(100_000), 'every byte of the big output');
  assert.deepEqual(files.filter((f) => !f.startsWith('logs.')).length, 1, `one file of its own, the big node's: ${files.join(' ')}`);
  assert.ok(files.includes('logs.pack') && files.includes('logs.index'));
  // Stdout and stderr are two pipes: their lines may interleave either way, but none is lost or changed.
  const lines = (text: string) => text.split('\n').sort();
  const one = await cli(['logs', id, '/n007'], env);
  assert.deepEqual(lines(one.stdout), lines('out 7\nerr 7\u0000\ndone\n'));
  const last = await cli(['logs', id, '/n199'], env);
  assert.deepEqual(lines(last.stdout), lines('out 199\nerr 199\u0000\ndone\n'));
});

test('a large run is summarised: failures as they happen and at the end (with why), never a row per node; show too, unless --all', { timeout: 120_000 }, async () => {
  const file = define('wide.py', 'import conducto as co\nroot = co.Parallel(cpu=0.25, mem=0.25)\nfor i in range(300):\n    root["n%03d" % i] = co.Exec("exit 3" if i in (7, 250) else "true")\n');
  const result = await cli(['run', file], env);
  assert.equal(result.code, 1, result.stderr);
  const id = /^pipeline (\S+)/.exec(result.stdout)![1]!;
  assert.doesNotMatch(result.stdout, /n000|n299/, 'no row for a node that ended done');
  assert.match(result.stdout, /^error {3}\/n007 \(exit 3\)/m, 'a failure when it happens');
  assert.match(result.stdout, /\n301 nodes\nfailed \(2\):\n {2}✖ \/n007 \(exit 3\)\n {2}✖ \/n250 \(exit 3\)\npipeline \S+ {2}error {2}P0 Q0 R0 D298 E2 K0\n$/);
  const show = await cli(['show', id], env);
  assert.match(show.stdout, /301 nodes\nfailed \(2\):\n {2}✖ \/n007 \(exit 3\)\n {2}✖ \/n250 \(exit 3\)\n\(every node: pipewright show \S+ --all\)\nP0 Q0 R0 D298 E2 K0\n/);
  assert.equal(show.stdout.split('\n').length < 20, true);
  const all = await cli(['show', id, '--all'], env);
  assert.match(all.stdout, /n000 {2}✔ done/);
  assert.match(all.stdout, /n299 {2}✔ done/);
});

test('a definition error stops before anything runs: FILE:LINE: message, exit 3', async () => {
  const file = define('bad_param.py', 'import conducto as co\nroot = co.Serial()\nroot["x"] = co.Exec("true", cpu=-1)\n');
  const result = await cli(['run', file], env);
  assert.equal(result.code, 3);
  assert.match(result.stderr, /bad_param\.py:3: .*cpu/);
});

test('python pipeline.py --local makes a pending pipeline; pipewright start runs it', async () => {
  const local = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const sdk = path.join(repo, 'sdk');
    const child = spawn('python3', [twoStep, '--local'], { env: { ...process.env, ...env, PYTHONPATH: sdk }, cwd: repo });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
  assert.equal(local.code, 0, local.out);
  const id = /pipeline (\S+) created, pending/.exec(local.out)?.[1];
  assert.ok(id, local.out);
  assert.match((await cli(['show', id], env)).stdout, /run off[\s\S]*hello {2}· pending/);
  const start = await cli(['start', id], env);
  assert.equal(start.code, 0, start.stderr);
  assert.match((await cli(['show', id], env)).stdout, /world {2}✔ done/);
});

test('kill and skip reach the process that is running the pipeline', async () => {
  const file = define('slow.py', 'import conducto as co\nroot = co.Parallel()\nroot["slow"] = co.Exec("sleep 60")\nroot["later"] = co.Exec("echo later", parents=["slow"])\n');
  const child = spawn(process.execPath, [cliJs, 'run', file, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let id = '';
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const event = JSON.parse(line) as RunnerEvent;
    id = event.pipeline;
    if (event.type === 'execution-start' && event.path === '/slow') break;
  }
  const skip = await cli(['skip', id, '/later'], env);
  assert.equal(skip.code, 0, skip.stderr);
  assert.match(skip.stdout, /sent to the process running/);
  const kill = await cli(['kill', id, '/slow'], env);
  assert.equal(kill.code, 0, kill.stderr);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 1, 'the root ends killed, not done');
  const shown = JSON.parse((await cli(['show', id, '--json'], env)).stdout) as { nodes: { path: string; state: string; skipped: boolean }[] };
  assert.equal(shown.nodes.find((n) => n.path === '/slow')!.state, 'killed');
  assert.equal(shown.nodes.find((n) => n.path === '/later')!.skipped, true);
});

/** Starts `pipewright run FILE --json` in a child process; resolves with it once `nodePath` has started. */
async function runUntilStarted(file: string, nodePath: string) {
  const child = spawn(process.execPath, [cliJs, 'run', file, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const events: RunnerEvent[] = [];
  const lines = createInterface({ input: child.stdout });
  const started = new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const event = JSON.parse(line) as RunnerEvent;
      events.push(event);
      if (event.type === 'execution-start' && event.path === nodePath) resolve(event.pipeline);
    });
    void exited.then((code) => reject(new Error(`pipewright run exited ${code} before ${nodePath} started`)));
  });
  return { child, exited, events, id: await started };
}

/** Containers of the pipeline on the engine, running or not (label pipewright.pipeline). */
async function containersOf(id: string): Promise<string[]> {
  return leftoverContainers(await createRunContext({ storeRoot: store }), [id]);
}

type Shown = { pipeline: { status: string }; nodes: { path: string; state: string; executions: { reason?: string; exitCode?: number | null }[] }[] };
async function showJson(id: string): Promise<Shown> {
  const shown = await cli(['show', id, '--json'], env);
  assert.equal(shown.code, 0, shown.stderr);
  return JSON.parse(shown.stdout) as Shown;
}

// Slow the first time only: once woken it ends at once (the data folder outlives the containers).
const sleepy = define('sleepy.py', 'import conducto as co\nroot = co.Serial()\nroot["slow"] = co.Exec("test -e /pipewright/data/slept || { touch /pipewright/data/slept; sleep 30; }; echo woke")\n');

test('sleep from another process stops every container of a running pipeline and keeps it; wake runs it on in that process', async () => {
  const { id, exited, events } = await runUntilStarted(sleepy, '/slow');
  assert.equal((await containersOf(id)).length, 1, 'the node runs in a worker container');

  const sleep = await cli(['sleep', id], env);
  assert.equal(sleep.code, 0, sleep.stderr);
  assert.match(sleep.stdout, new RegExp(`pipeline ${id} is asleep`));
  assert.deepEqual(await containersOf(id), [], 'no container of the pipeline is left');
  const show = await cli(['show', id], env);
  assert.match(show.stdout, new RegExp(`^pipeline ${id} \\(.*\\) sleeping, run on$`, 'm'));
  assert.match(show.stdout, /slow {2}z sleeping/);
  const again = await cli(['sleep', id], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`pipeline ${id} is already asleep`));
  assert.ok(events.some((e) => e.type === 'sleep'), 'the running process heard the sleep');
  assert.equal(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 500))]), 'still running', 'the process waits for its wake');

  const wake = await cli(['wake', id], env);
  assert.equal(wake.code, 0, wake.stderr);
  assert.match(wake.stdout, /is awake: the process running it \(pid \d+\) goes on/);
  assert.equal(await exited, 0, 'woken, the pipeline runs to done in the process that ran it');
  const shown = await showJson(id);
  assert.equal(shown.pipeline.status, 'active');
  const slow = shown.nodes.find((n) => n.path === '/slow')!;
  assert.equal(slow.state, 'done');
  assert.deepEqual(slow.executions.map((e) => e.reason ?? e.exitCode), ['sleep', 0], 'stopped by the sleep, then run again');
  assert.equal((await cli(['logs', id, '/slow'], env)).stdout, 'woke\n');
  const awake = await cli(['wake', id], env);
  assert.equal(awake.code, 0, awake.stderr);
  assert.equal(awake.stdout, `pipeline ${id} is not asleep\n`);
});

test('with no process running it, sleep and wake open the pipeline from the store; wake runs it to the end', async () => {
  const { id, child, exited } = await runUntilStarted(sleepy, '/slow');
  assert.equal((await cli(['sleep', id], env)).code, 0);
  // The runner goes away while the pipeline sleeps: it stays asleep in the store.
  child.kill('SIGTERM');
  assert.equal(await exited, 130);
  assert.equal((await showJson(id)).pipeline.status, 'sleeping');

  const wake = await cli(['wake', id], env);
  assert.equal(wake.code, 0, wake.stderr);
  assert.match(wake.stdout, /done {4}\/slow/);
  assert.equal((await cli(['logs', id, '/slow'], env)).stdout, 'woke\n');
  assert.deepEqual(await containersOf(id), []);

  const sleep = await cli(['sleep', id], env);
  assert.equal(sleep.code, 0, sleep.stderr);
  assert.match(sleep.stdout, new RegExp(`pipeline ${id} is asleep`));
  const shown = await showJson(id);
  assert.equal(shown.pipeline.status, 'sleeping');
  assert.equal(shown.nodes.find((n) => n.path === '/slow')!.state, 'done', 'sleep keeps the state');
});

test("run keeps the pipeline function's arguments with the instance (meta.json args), as the editor shows them", async () => {
  const square = define('square.py', 'import conducto as co\n\ndef square(n: int, label="sq") -> co.Serial:\n    root = co.Serial()\n    root["it"] = co.Exec(f"echo {label} {n * n}")\n    return root\n');
  const made = await cli(['run', square, 'square', '--n=4', '--label=four', '--pending'], env);
  assert.equal(made.code, 0, made.stderr);
  const id = /pipeline (\S+) created, pending/.exec(made.stdout)?.[1];
  assert.ok(id, made.stdout);
  assert.deepEqual(new PipelineStore(store).meta(id).args, ['--n=4', '--label=four']);
  const start = await cli(['start', id], env);
  assert.equal(start.code, 0, start.stderr);
  assert.equal((await cli(['logs', id, '/it'], env)).stdout, 'four 16\n');
});
