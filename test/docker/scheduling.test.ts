// Scheduling semantics against the real engine: order, failures, skip, resources, scale.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { dockerSuite, lastLog, maxConcurrentRunning } from '../helpers/runnerHarness';

const h = dockerSuite();

test('Serial stops at the first error; the rest stay pending', async () => {
  const file = h.write(
    'serial_stop.py',
    `import conducto as co
root = co.Serial()
root["one"] = co.Exec("echo one")
root["two"] = co.Exec("echo two >&2; exit 3")
root["three"] = co.Exec("echo three")
`,
  );
  const { run } = await h.run(file);
  assert.equal(run.tree.get('/one').state, 'done');
  assert.equal(run.tree.get('/two').state, 'error');
  assert.equal(run.tree.get('/two').executions[0]!.exitCode, 3);
  assert.equal(run.tree.get('/three').state, 'pending');
  assert.equal(run.tree.get('/three').executions.length, 0);
  assert.equal(run.tree.root.state, 'error');
  assert.equal(lastLog(run, '/two'), 'two\n');
  await run.close();
});

test('Serial with stop_on_error=False runs on after a failure', async () => {
  const file = h.write(
    'serial_go_on.py',
    `import conducto as co
root = co.Serial(stop_on_error=False)
root["fail"] = co.Exec("exit 1")
root["after"] = co.Exec("echo after")
`,
  );
  const { run } = await h.run(file);
  assert.equal(run.tree.get('/after').state, 'done');
  assert.equal(run.tree.root.state, 'error');
  await run.close();
});

test('Parallel runs every child despite failures; a skipped node never runs; suppress_errors hides one failure', async () => {
  const file = h.write(
    'parallel_failures.py',
    `import conducto as co
root = co.Parallel()
root["ok"] = co.Exec("echo ok")
root["bad"] = co.Exec("exit 2")
root["skipped"] = co.Exec("echo should not run", skip=True)
root["tolerated"] = co.Exec("exit 5", suppress_errors=True)
root["after_ok"] = co.Exec("echo after ok", parents=["ok"])
root["after_bad"] = co.Exec("echo after bad", parents=["bad"])
`,
  );
  const { run } = await h.run(file);
  assert.equal(run.tree.get('/ok').state, 'done');
  assert.equal(run.tree.get('/bad').state, 'error');
  assert.equal(run.tree.get('/skipped').executions.length, 0);
  assert.equal(run.tree.get('/skipped').skipped, true);
  assert.equal(run.tree.get('/tolerated').state, 'error');
  assert.equal(run.tree.get('/after_ok').state, 'done');
  assert.ok(run.tree.get('/after_ok').executions[0]!.startedAt >= run.tree.get('/ok').executions[0]!.endedAt!, 'a DAG child starts after its parent ends');
  assert.equal(run.tree.get('/after_bad').state, 'pending', 'a child of a failed parent does not run');
  assert.equal(run.tree.root.state, 'error');
  await run.close();
});

test('a node skipped, then unskipped, runs; the parent is done without it while skipped', async () => {
  const file = h.write(
    'skip_toggle.py',
    `import conducto as co
root = co.Serial()
root["a"] = co.Exec("echo a")
root["b"] = co.Exec("echo b")
`,
  );
  const { run } = await h.create(file);
  run.skip('/b', true);
  run.setAutorun(true);
  await run.settled();
  assert.equal(run.tree.root.state, 'done');
  assert.equal(run.tree.get('/b').executions.length, 0);
  run.skip('/b', false);
  await run.settled();
  assert.equal(run.tree.get('/b').state, 'done');
  assert.equal(lastLog(run, '/b'), 'b\n');
  await run.close();
});

const race = `import conducto as co
root = co.Parallel(cpu=2)
for i in range(5):
    root[f"worker {i}"] = co.Exec("sleep 1")
`;

test('resource queueing: with 10 cores five cpu=2 nodes run at once', async () => {
  const { run, events } = await h.run(h.write('race10.py', race), { budget: { cpu: 10, mem: 64 } });
  assert.equal(run.tree.root.state, 'done');
  assert.equal(maxConcurrentRunning(events, (p) => p !== '/'), 5);
  await run.close();
});

test('resource queueing: with 4 cores two run at once and the rest wait queued', async () => {
  const { run, events } = await h.run(h.write('race4.py', race), { budget: { cpu: 4, mem: 64 } });
  assert.equal(run.tree.root.state, 'done');
  assert.equal(maxConcurrentRunning(events, (p) => p !== '/'), 2);
  const queuedWhileOthersRan = events.some((e) => e.type === 'state' && e.path === '/worker 4' && e.state === 'queued');
  assert.ok(queuedWhileOthersRan, 'the last worker waited in the queue');
  await run.close();
});

test('max_concurrent limits a Parallel', async () => {
  const file = h.write(
    'max_concurrent.py',
    `import conducto as co
root = co.Parallel(max_concurrent=2, cpu=0.1, mem=0.1)
for i in range(6):
    root[f"n{i}"] = co.Exec("sleep 0.3")
`,
  );
  const { run, events } = await h.run(file, { budget: { cpu: 10, mem: 64 } });
  assert.equal(run.tree.root.state, 'done');
  assert.equal(maxConcurrentRunning(events, (p) => p !== '/'), 2);
  await run.close();
});

test('a 1,000-node Parallel with some failures: every node runs, failures counted exactly', async () => {
  const file = h.write(
    'thousand.py',
    `import conducto as co
root = co.Parallel(cpu=0.25, mem=0.25)
for i in range(1000):
    root[f"n{i:04d}"] = co.Exec(f"echo {i}" if i % 97 else f"echo failing {i} >&2; exit 1")
`,
  );
  const { run } = await h.run(file, { budget: { cpu: 2, mem: 8 } });
  const failures = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 97 === 0).length;
  assert.deepEqual(run.tree.root.leafCounts, { pending: 0, queued: 0, running: 0, done: 1000 - failures, error: failures, killed: 0 });
  assert.equal(run.tree.root.state, 'error');
  assert.equal(lastLog(run, '/n0194'), 'failing 194\n');
  assert.equal(lastLog(run, '/n0195'), '195\n');
  await run.close();
});
