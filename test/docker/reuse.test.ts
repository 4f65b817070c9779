// Container reuse contexts as Conducto defines them (co.ContainerReuseContext, co.SameContainer),
// on the real engine: which nodes see the files others left in their container.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { dockerSuite, lastLog, maxConcurrentRunning, until } from '../helpers/runnerHarness';

const h = dockerSuite();

test('a NEW context runs its nodes in one container; a sibling NEW context gets another', async () => {
  // features/container_reuse fixed_serial's construction: two Serials, each NEW, counting in a file.
  const file = h.write(
    'contexts.py',
    `import conducto as co

def count(n):
    for i in range(1, n + 1):
        co.Exec("n=$(cat /tmp/i 2>/dev/null || echo 0); echo $((n + 1)) > /tmp/i; cat /tmp/i", name=str(i))
    co.Exec("grep -x %d /tmp/i" % n, name="=%d?" % n)

with co.Serial(stop_on_error=False) as root:
    with co.Serial(name="first", container_reuse_context=co.ContainerReuseContext.NEW):
        count(3)
    with co.Serial(name="second", same_container=co.SameContainer.NEW):
        count(2)
`,
  );
  const { run } = await h.run(file);
  assert.equal(run.tree.root.state, 'done', JSON.stringify([...run.tree.leaves(run.tree.root)].map((l) => [l.path, l.state, l.executions[0]?.containerId?.slice(0, 6), l.spec.set, l.params.container_reuse_context, lastLog(run, l.path)])));
  assert.equal(lastLog(run, '/second/1'), '1\n');
  const containers = (under: string) => new Set([...run.tree.leaves(run.tree.get(under))].map((l) => l.executions[0]!.containerId));
  assert.equal(containers('/first').size, 1);
  assert.equal(containers('/second').size, 1);
  assert.notDeepEqual([...containers('/first')], [...containers('/second')]);
  await run.close();
});

test('the children of a Parallel in a NEW context share its one container, one at a time', async () => {
  const file = h.write(
    'parallel_context.py',
    `import conducto as co
with co.Parallel(container_reuse_context=co.ContainerReuseContext.NEW) as root:
    for i in range(3):
        # mkdir is atomic: a second job in the container at the same time would fail here
        co.Exec("mkdir /tmp/lock && sleep 0.3 && rmdir /tmp/lock && echo %d >> /tmp/seen && cat /tmp/seen" % i, name="p%d" % i)
`,
  );
  const { run, events } = await h.run(file);
  const leaves = [...run.tree.leaves(run.tree.root)];
  // The others wait queued (as Conducto shows them), not running.
  assert.equal(maxConcurrentRunning(events, (p) => p.startsWith('/p')), 1);
  assert.equal(run.tree.root.state, 'done', leaves.map((l) => `${l.path}: ${lastLog(run, l.path)}`).join('\n'));
  assert.equal(new Set(leaves.map((l) => l.executions[0]!.containerId)).size, 1);
  assert.equal(Math.max(...leaves.map((l) => lastLog(run, l.path).trim().split('\n').length)), 3, 'the last one saw all three');
  await run.close();
});

test('GLOBAL escapes a NEW context; the context keeps its container across a long escaped node, then frees it', async () => {
  // Idle workers of the shared pool are reaped after 1 s; the escaped node takes longer.
  const file = h.write(
    'escape.py',
    `import conducto as co
with co.Serial() as root:
    with co.Serial(name="local", container_reuse_context=co.ContainerReuseContext.NEW):
        co.Exec("echo mine > /tmp/m", name="write")
        with co.Serial(name="nested global", container_reuse_context=co.ContainerReuseContext.GLOBAL):
            co.Exec("sleep 3; test -e /tmp/m && echo shared || echo apart", name="escaped")
        co.Exec("cat /tmp/m", name="read")
    co.Exec("sleep 4", name="later")
`,
  );
  const { run, events } = await h.create(file, { workerIdleMs: 1000 });
  run.setAutorun(true);
  const ctx = await h.context();
  await until('/later to run', () => events.some((e) => e.type === 'state' && e.path === '/later' && e.state === 'running'));
  const localContainer = run.tree.get('/local/write').executions[0]!.containerId!;
  await until('the context container to be removed once /local ended', async () => !(await ctx.docker.getContainer(localContainer).inspect().then(() => true, () => false)), 3000);
  await run.settled();
  assert.equal(run.tree.root.state, 'done');
  assert.equal(lastLog(run, '/local/nested global/escaped'), 'apart\n');
  assert.equal(lastLog(run, '/local/read'), 'mine\n');
  assert.equal(run.tree.get('/local/read').executions[0]!.containerId, localContainer);
  await run.close();
});

test('nodes waiting for their context\'s container hold no resources: a node outside it starts meanwhile', async () => {
  const file = h.write(
    'context_queue.py',
    `import conducto as co
with co.Parallel() as root:
    with co.Parallel(name="ctx", container_reuse_context=co.ContainerReuseContext.NEW):
        for i in range(3):
            co.Exec("sleep 1", name="p%d" % i)
    co.Exec("echo other", name="other")
`,
  );
  const { run } = await h.run(file, { budget: { cpu: 2 } });
  assert.equal(run.tree.root.state, 'done');
  const first = run.tree.get('/ctx/p0').executions[0]!;
  const other = run.tree.get('/other').executions[0]!;
  assert.ok(other.startedAt < first.endedAt!, `/other started ${other.startedAt - first.endedAt!} ms after /ctx/p0 ended`);
  await run.close();
});
