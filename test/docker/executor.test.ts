// How Exec nodes end, for real: limits, kills, output, bad input.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerUnavailableError } from '../../runner/docker/errors';
import { createRunContext } from '../../runner/runContext';
import { dockerSuite, lastLog, BUSYBOX_IMAGE } from '../helpers/runnerHarness';

const h = dockerSuite();

test('max_time: a node over its time limit is killed with the reason "time limit"', async () => {
  const file = h.write('timeout.py', `import conducto as co\nroot = co.Serial()\nroot["slow"] = co.Exec("echo started; sleep 60", max_time=2)\n`);
  const started = Date.now();
  const { run } = await h.run(file);
  const execution = run.tree.get('/slow').executions[0]!;
  assert.equal(run.tree.get('/slow').state, 'error');
  assert.equal(execution.reason, 'time limit');
  assert.match(execution.message ?? '', /max_time of 2s/);
  assert.ok(Date.now() - started < 20_000, 'killed near its limit, not after the sleep');
  assert.equal(lastLog(run, '/slow'), 'started\n');
  await run.close();
});

test('max_time beyond 24.8 days (Node timers stop there) does not kill the node at once', async () => {
  const file = h.write('long_limit.py', `import conducto as co\nroot = co.Serial()\nroot["patient"] = co.Exec("sleep 1; echo ok", max_time="30d")\n`);
  const { run } = await h.run(file);
  assert.equal(run.tree.get('/patient').state, 'done', run.tree.get('/patient').executions[0]?.message);
  assert.equal(lastLog(run, '/patient'), 'ok\n');
  await run.close();
});

test("a node may run longer than an idle worker waits for its next job (the agent's idle timer stops while a job runs)", async () => {
  // workerIdleMs 1000: an idle agent stops itself after 10 s; this job takes 12.
  const file = h.write('outlasts_idle.py', `import conducto as co\nroot = co.Serial()\nroot["long"] = co.Exec("sleep 12; echo ok")\n`);
  const { run } = await h.run(file, { workerIdleMs: 1000 });
  assert.equal(run.tree.get('/long').state, 'done', run.tree.get('/long').executions[0]?.message);
  assert.equal(lastLog(run, '/long'), 'ok\n');
  await run.close();
});

test('out of memory: a node over its mem limit is reported as OOM', async () => {
  const file = h.write('oom.py', `import conducto as co\nroot = co.Serial()\nroot["hog"] = co.Exec("python3 -c 'b = bytearray(400 * 2**20); print(len(b))'", mem=0.125)\nroot["fine"] = co.Exec("echo fine", mem=0.125)\n`);
  const { run } = await h.run(file);
  const execution = run.tree.get('/hog').executions[0]!;
  assert.equal(run.tree.get('/hog').state, 'error');
  assert.equal(execution.reason, 'oom');
  assert.match(execution.message ?? '', /out of memory \(limit 0.125 GB\)/);
  assert.ok((execution.peakMemoryBytes ?? 0) > 100 * 2 ** 20, `peak memory recorded near the limit (${execution.peakMemoryBytes})`);
  await run.close();
});

test("OOM kills are counted per job: a child killed for memory in one node does not make the next node's SIGKILL an OOM", async () => {
  // The agent reads the cgroup's count once per job, each job from where the last one ended. The
  // first node survives its child's OOM kill, so the worker stays for the second, which kills itself.
  const hog = `python3 -c 'b = bytearray(400 * 2**20)' || echo child killed`;
  const file = h.write('oom_per_job.py', `import conducto as co\nroot = co.Serial()\nroot["survives"] = co.Exec(${JSON.stringify(hog)}, mem=0.125)\nroot["self kill"] = co.Exec("kill -9 $$", mem=0.125)\n`);
  const { run } = await h.run(file);
  const survived = run.tree.get('/survives').executions[0]!;
  assert.equal(run.tree.get('/survives').state, 'done', survived.message);
  // (bash's "Killed" line goes to stderr: before or after ours in the combined log)
  assert.match(lastLog(run, '/survives'), /^child killed$/m);
  const killed = run.tree.get('/self kill').executions[0]!;
  assert.equal(killed.containerId, survived.containerId, 'the same worker ran both');
  assert.equal(killed.exitCode, 137);
  assert.notEqual(killed.reason, 'oom', `reason ${killed.reason}: ${killed.message}`);
  await run.close();
});

test('kill: a running node is stopped on request and marked killed', async () => {
  const file = h.write('kill.py', `import conducto as co\nroot = co.Parallel()\nroot["long"] = co.Exec("sleep 60")\nroot["short"] = co.Exec("echo short")\n`);
  const { run } = await h.create(file);
  run.setAutorun(true);
  while (run.tree.get('/long').executions.length === 0 || !run.tree.get('/long').executions[0]!.containerId) await sleep(50);
  run.kill('/long');
  await run.settled();
  assert.equal(run.tree.get('/long').state, 'killed');
  assert.equal(run.tree.get('/long').executions[0]!.reason, 'killed');
  assert.equal(run.tree.get('/short').state, 'done');
  assert.equal(run.tree.root.state, 'killed');
  await run.close();
});

test('output: non-UTF-8 bytes are kept exactly; stderr is kept apart too', async () => {
  const file = h.write('bytes.py', `import conducto as co\nroot = co.Serial()\nroot["raw"] = co.Exec("printf 'a\\\\377\\\\376b\\\\n'; printf 'oops\\\\n' >&2")\n`);
  const { run } = await h.run(file);
  const execution = run.tree.get('/raw').executions[0]!;
  const bytes = run.space.log(execution.id).bytes();
  assert.ok(bytes.includes(Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a])), `raw bytes kept: ${bytes.toString('hex')}`);
  assert.equal(run.space.log(execution.id, 'stderr').bytes().toString('utf8'), 'oops\n');
  await run.close();
});

test('output: 1 GB of output goes to the log file without growing the runner', async () => {
  const file = h.write('big.py', `import conducto as co\nroot = co.Serial(image="${BUSYBOX_IMAGE}")\nroot["flood"] = co.Exec("head -c 1073741824 /dev/zero | tr '\\\\0' x")\n`);
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  let live = 0;
  const { run } = await h.create(file);
  run.on('event', (e) => {
    if (e.type === 'log') live += e.text.length;
  });
  run.setAutorun(true);
  await run.settled();
  clearInterval(sampler);
  const execution = run.tree.get('/flood').executions[0]!;
  assert.equal(run.tree.get('/flood').state, 'done');
  assert.equal(run.space.log(execution.id).size(), 2 ** 30);
  assert.ok(peak - before < 150 * 2 ** 20, `runner memory grew by ${((peak - before) / 2 ** 20).toFixed(0)} MB`);
  assert.ok(live < 2 ** 30, 'the live view skipped ahead rather than carrying everything');
  await run.close();
});

test('a command that does not exist fails with 127 and the shell says so', async () => {
  const file = h.write('notfound.py', `import conducto as co\nroot = co.Serial()\nroot["typo"] = co.Exec("definitely-not-a-command --flag")\n`);
  const { run } = await h.run(file);
  assert.equal(run.tree.get('/typo').executions[0]!.exitCode, 127);
  assert.match(lastLog(run, '/typo'), /definitely-not-a-command: (command )?not found/);
  await run.close();
});

test('an image that is missing and cannot be pulled fails the node with a clear message', async () => {
  const file = h.write('noimage.py', `import conducto as co\nroot = co.Serial()\nroot["x"] = co.Exec("true", image="pipewright-test/does-not-exist:1")\n`);
  const { run } = await h.run(file);
  const execution = run.tree.get('/x').executions[0]!;
  assert.equal(run.tree.get('/x').state, 'error');
  assert.equal(execution.reason, 'error');
  assert.match(execution.message ?? '', /pipewright-test\/does-not-exist:1/);
  assert.match(execution.message ?? '', /pull/i);
  await run.close();
});

test('Docker not running: a clear error saying how to start it', async () => {
  await assert.rejects(createRunContext({ dockerHost: 'unix:///tmp/pipewright-no-such-docker.sock', storeRoot: h.storeRoot }), (err: Error) => {
    assert.ok(err instanceof DockerUnavailableError);
    assert.match(err.message, /pipewright-no-such-docker\.sock/);
    assert.match(err.message, /start/i);
    return true;
  });
});

test('shared data: co.data.pipeline written by one node is read by the next', async () => {
  const file = h.write(
    'data.py',
    `import conducto as co

def produce():
    co.data.pipeline.puts("numbers/first", "42")

def consume():
    print("got", co.data.pipeline.gets("numbers/first").decode())

root = co.Serial()
root["produce"] = co.Exec(produce)
root["shell"] = co.Exec("cat $PIPEWRIGHT_DATA/numbers/first; echo")
root["consume"] = co.Exec(consume)
`,
  );
  const { run } = await h.run(file);
  assert.equal(run.tree.root.state, 'done');
  assert.equal(lastLog(run, '/shell'), '42\n');
  assert.equal(lastLog(run, '/consume'), 'got 42\n');
  await run.close();
});
