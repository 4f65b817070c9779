// Conducto's node callbacks (node.on_error(co.callback.retry(3)), ...) carried out by the runner
// on the real engine: retries, skips, more memory; Slack and email say they are not configured.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { RunnerEvent } from '../../protocol/runner';
import { PipelineRun } from '../../runner/pipelineRun';
import { dockerSuite, lastLog } from '../helpers/runnerHarness';

const h = dockerSuite();

/** Fails until it has run `n` times (a counter in the pipeline's shared data). */
const flaky = (name: string, n: number) => `n=$(cat /pipewright/data/${name} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > /pipewright/data/${name}; echo run $n; [ $n -ge ${n} ]`;

function notices(events: RunnerEvent[], path: string): string[] {
  return events.flatMap((e) => (e.type === 'notice' && e.path === path ? [e.message] : []));
}

test('retry runs a failing node again, at most N times; inherited=True reaches the leaves', async () => {
  const file = h.write(
    'retry.py',
    `import conducto as co
root = co.Serial(stop_on_error=False)
root["flaky"] = co.Exec(${JSON.stringify(flaky('flaky', 3))})
root["flaky"].on_error(co.callback.retry(3))
root["hopeless"] = co.Exec("exit 4")
root["hopeless"].on_error(co.callback.retry(1))
root["inherit"] = sub = co.Serial()
with sub:
    co.Exec(${JSON.stringify(flaky('inner', 3))}, name="inner")
    co.Exec(${JSON.stringify(flaky('inner2', 3))}, name="inner2")
sub.on_error(co.callback.retry(2, inherited=True))
root["after"] = co.Exec("echo after")
`,
  );
  const { run, events } = await h.run(file);
  assert.equal(run.tree.get('/flaky').state, 'done');
  assert.deepEqual(run.tree.get('/flaky').executions.map((e) => e.exitCode), [1, 1, 0]);
  assert.equal(lastLog(run, '/flaky'), 'run 3\n');
  assert.deepEqual(notices(events, '/flaky'), ['co.callback.retry (on_error): retry 1 of 3', 'co.callback.retry (on_error): retry 2 of 3']);
  assert.equal(run.tree.get('/hopeless').state, 'error');
  assert.equal(run.tree.get('/hopeless').executions.length, 2);
  assert.match(notices(events, '/hopeless').at(-1)!, /no retries left \(1 used\)/);
  assert.equal(run.tree.get('/inherit/inner').state, 'done');
  assert.equal(run.tree.get('/inherit/inner').executions.length, 3);
  assert.equal(run.tree.get('/inherit/inner2').executions.length, 3, 'each node below has its own two retries');
  assert.equal(run.tree.get('/after').state, 'done');
  await run.close();
});

test('retry_then_skip skips a node that still fails, and its Serial goes on; skip_some_errors skips few failures', async () => {
  const file = h.write(
    'skip.py',
    `import conducto as co
root = co.Serial()
root["bad"] = co.Exec("exit 2")
root["bad"].on_error(co.callback.retry_then_skip(1))
root["sensors"] = sensors = co.Parallel()
with sensors:
    for i in range(4):
        co.Exec("exit %d" % (1 if i in (1, 3) else 0), name=str(i))
sensors.on_error(co.callback.skip_some_errors(2))
root["too many"] = many = co.Parallel()
with many:
    for i in range(3):
        co.Exec("exit 1", name=str(i))
many.on_error(co.callback.skip_some_errors(2))
`,
  );
  const { run, events } = await h.run(file);
  const bad = run.tree.get('/bad');
  assert.equal(bad.executions.length, 2);
  assert.equal(bad.skipped, true);
  assert.match(notices(events, '/bad').at(-1)!, /no retries left \(1 used\): skipped/);
  assert.equal(run.tree.get('/sensors').state, 'done', 'ran after /bad was skipped, and its two failures were skipped');
  assert.deepEqual(['0', '1', '2', '3'].map((i) => run.tree.get(`/sensors/${i}`).skipped), [false, true, false, true]);
  assert.match(notices(events, '/sensors')[0]!, /skipping 2 failed Exec nodes: \/sensors\/1, \/sensors\/3/);
  assert.equal(run.tree.get('/too many').state, 'error');
  assert.match(notices(events, '/too many')[0]!, /3 Exec nodes failed, more than 2: not skipped/);
  await run.close();
});

test('retry_with_double_mem and handle_memory_errors run the node again with more memory', async () => {
  const file = h.write(
    'memory.py',
    `import conducto as co
root = co.Parallel()
root["double"] = co.Exec(${JSON.stringify(flaky('double', 2))}, mem=0.25)
root["double"].on_error(co.callback.retry_with_double_mem(2))
# 300 MB of bytes: killed at 0.125 and 0.25 GB, fits in 0.5 GB
root["hungry"] = co.Exec("python3 -c 'import os; print(len(os.urandom(300 * 2 ** 20)))'", mem=0.125)
root["hungry"].on_error(co.callback.handle_memory_errors(mem_limits=(0.5, 1)))
root["group"] = co.Serial(mem=0.25)
root["group/own"] = co.Exec(${JSON.stringify(flaky('own', 2))}, mem=0.5)
root["group"].on_error(co.callback.retry_with_double_mem(1))
root["not oom"] = co.Exec("exit 3", mem=0.25)
root["not oom"].on_error(co.callback.handle_memory_errors(mem_limits=(0.5, 1)))
`,
  );
  const { run, events } = await h.run(file);
  const double = run.tree.get('/double');
  assert.equal(double.state, 'done');
  assert.deepEqual(double.executions.map((e) => e.params.mem), [0.25, 0.5]);
  // On a Serial, the Exec nodes that failed get twice their own memory.
  assert.deepEqual(run.tree.get('/group/own').executions.map((e) => e.params.mem), [0.5, 1]);
  assert.match(notices(events, '/group')[0]!, /retry 1 of 1 with \/group\/own mem=1 GB/);
  const hungry = run.tree.get('/hungry');
  assert.equal(hungry.state, 'done', JSON.stringify(notices(events, '/hungry')));
  assert.deepEqual(hungry.executions.map((e) => [e.params.mem, e.reason ?? 'ok']), [[0.125, 'oom'], [0.25, 'oom'], [0.5, 'ok']]);
  assert.equal(lastLog(run, '/hungry'), `${300 * 2 ** 20}\n`);
  assert.equal(run.tree.get('/not oom').executions.length, 1);
  assert.match(notices(events, '/not oom')[0]!, /not an out-of-memory error: not retried/);
  await run.close();
});

test('slack_status and email callbacks say they are not configured; the pipeline runs as without them', async () => {
  // features/slack_callback's construction: callbacks on the root for running, error and done.
  const file = h.write(
    'slack.py',
    `import conducto as co
r = co.Serial()
r["poll"] = co.Parallel()
r["poll/a"] = co.Exec("echo a")
r.on_running(co.callback.slack_status(recipient="SlackUser", message="polling sensors"))
r.on_error(co.callback.slack_status(recipient="#array-status"))
r.on_done(co.callback.slack_status(recipient="#array-status", message="all nominal"))
r["poll"].on_done(co.callback.email(to="ops@example.com"))
r["poll/a"].on_state_change(co.callback.github_status("https://github.com/o/r.git", "abc"))
`,
  );
  const { run, events } = await h.run(file);
  assert.equal(run.tree.root.state, 'done');
  assert.deepEqual(notices(events, '/'), [
    'co.callback.slack_status (on_running): Slack is not configured (Pipewright has no Conducto service to send it through): not sent (to SlackUser: "polling sensors")',
    'co.callback.slack_status (on_done): Slack is not configured (Pipewright has no Conducto service to send it through): not sent (to #array-status: "all nominal")',
  ]);
  assert.match(notices(events, '/poll')[0]!, /co\.callback\.email \(on_done\): email is not configured .*to ops@example\.com/);
  assert.deepEqual(notices(events, '/poll/a').map((m) => m.match(/now (\w+)/)?.[1]), ['queued', 'running', 'done']);
  await run.close();
  // Kept in the event log with the rest of the run; read back as `pipewright logs` / `show` do (store only).
  const ctx = await h.context();
  const stored = await PipelineRun.inspect(run.id, { store: ctx.store });
  assert.equal(stored.tree.root.state, 'done');
  const kept: string[] = [];
  for await (const e of ctx.store.readEvents(run.id)) if (e.type === 'notice') kept.push(e.message);
  assert.equal(kept.length, notices(events, '/').length + notices(events, '/poll').length + notices(events, '/poll/a').length);
});

test('a node that messages Slack through co.integrations ends done, its log saying Slack is not configured', async () => {
  // features/slack_direct's construction: the client made at module level, used in a function node.
  const file = h.write(
    'slack_direct.py',
    `import conducto as co
from conducto.integrations import git

slack = co.integrations.slack.Slack()

def notify(recipient):
    slack.message(recipient, text="Check out #interesting-signals")
    co.slack.text("#team", "hello")
    print("notified", recipient, git.url("https://github.com/o/r.git"))

def main() -> co.Serial:
    root = co.Serial()
    root["notify"] = co.Exec(notify, "EArroway")
    return root

if __name__ == "__main__":
    co.main(default=main)
`,
  );
  const { run } = await h.run(file, { func: 'main' });
  assert.equal(run.tree.get('/notify').state, 'done', lastLog(run, '/notify'));
  const log = lastLog(run, '/notify');
  assert.match(log, /pipewright: Slack message to EArroway: not configured .*not sent: Check out #interesting-signals/);
  assert.match(log, /pipewright: Slack message to #team: not configured/);
  assert.match(log, /notified EArroway https:\/\/github\.com\/o\/r\.git/);
  await run.close();
});

test('a retried node of a NEW reuse context runs again in the context\'s container', async () => {
  const file = h.write(
    'retry_in_context.py',
    `import conducto as co
with co.Serial(container_reuse_context=co.ContainerReuseContext.NEW) as root:
    co.Exec("echo built > /tmp/artifact", name="build")
    co.Exec(${JSON.stringify(`cat /tmp/artifact && ${flaky('ctx', 2)}`)}, name="test")
root["test"].on_error(co.callback.retry(1))
`,
  );
  const { run } = await h.run(file);
  const test = run.tree.get('/test');
  assert.equal(test.state, 'done', lastLog(run, '/test'));
  assert.equal(lastLog(run, '/test'), 'built\nrun 2\n');
  assert.equal(new Set([...run.tree.get('/build').executions, ...test.executions].map((e) => e.containerId)).size, 1);
  await run.close();
});
