// PipelineController pipelines (docs/clearml.md) on the real engine: artifacts between steps,
// the step cache and its refresh, failures and aborts with and without continue, callbacks, retry,
// time limit, a restarted runner, pipeline parameters given to a run.
import { strict as assert } from 'node:assert';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { RunnerEvent } from '../../protocol/runner';
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';
import { PipelineRun } from '../../runner/pipelineRun';
import { repo, runProcess, type CliResult } from '../helpers/cli';
import { dockerSuite, lastLog, until } from '../helpers/runnerHarness';

const h = dockerSuite();
const example = path.join(repo, 'examples', 'clearml', 'pipeline.py');

function states(run: PipelineRun): Record<string, string> {
  return Object.fromEntries(run.tree.root.children.map((c) => [c.path.slice(1), c.skipped ? 'skipped' : c.state]));
}

function dataFile(run: PipelineRun, rel: string): string {
  return readFileSync(path.join(h.storeRoot, 'pipelines', run.id, 'data', rel), 'utf8');
}


/** Starts a pipeline, kills a step once its container runs (as a user would), waits for the end. */
async function killOnceRunning(file: string, step: string): Promise<PipelineRun> {
  const { run } = await h.create(file);
  run.setAutorun(true);
  await until(`${step} to run`, () => Boolean(run.tree.get(step).executions[0]?.containerId));
  run.kill(step);
  await run.settled();
  return run;
}

test('the three-stage example: data, three trainings in parallel, the best picked from their artifacts', async () => {
  const { run } = await h.run(example);
  assert.deepEqual(states(run), { data: 'done', train_slow: 'done', train_mid: 'done', train_fast: 'done', pick_best: 'done' });
  assert.equal(run.tree.root.state, 'done');
  const data = run.tree.get('/data').executions[0]!;
  const trains = ['/train_slow', '/train_mid', '/train_fast'].map((p) => run.tree.get(p).executions[0]!);
  const pick = run.tree.get('/pick_best').executions[0]!;
  for (const t of trains) {
    assert.ok(t.startedAt >= data.endedAt!, 'a training starts after the data step');
    assert.ok(pick.startedAt >= t.endedAt!, 'pick_best starts after every training');
    assert.match(t.command, /^python3 train\.py --dataset \/pipewright\/data\/clearml\/data\/artifacts\/dataset\/dataset\.pkl --epochs 50 --lr 0\.\d+$/);
    assert.equal(t.step?.parameters['Args/dataset'], '/pipewright/data/clearml/data/artifacts/dataset/dataset.pkl', 'references resolved at start');
  }
  assert.equal(trains[0]!.step?.parameters['Args/lr'], 0.01);
  assert.equal(trains[0]!.step?.queue, 'default');
  assert.match(lastLog(run, '/data'), /made 200 points/, '${pipeline.samples} reached the function, cast to int');
  assert.match(lastLog(run, '/pick_best'), /best: lr=0\.5/);
  const losses = run.tree.get('/train_fast').executions[0]!.step?.metrics?.scalars.loss?.train ?? [];
  assert.equal(losses.length, 50, 'the training script reports its loss per epoch (the panel draws it)');
  assert.ok(losses[49]![1]! < losses[0]![1]!, 'and it goes down');
  const result = JSON.parse(dataFile(run, 'clearml/pick_best/result.json')) as { artifacts: Record<string, { file: string; preview: string }> };
  assert.deepEqual(Object.keys(result.artifacts).sort(), ['best', 'errors']);
  assert.equal(JSON.parse(dataFile(run, `clearml/pick_best/${result.artifacts.best!.file.replace(/\.pkl$/, '.json')}`)).lr, 0.5, 'a JSON view beside the pickle');
  await run.close();
});

test('cache_executed_step: an identical run reuses results and logs; a refresh runs again', async () => {
  const first = await h.run(example);
  assert.equal(first.run.tree.root.state, 'done');
  await first.run.close();
  const { run, events } = await h.run(example);
  assert.equal(run.tree.root.state, 'done');
  for (const p of ['/data', '/train_slow', '/train_mid', '/train_fast']) {
    const e = run.tree.get(p).executions[0]!;
    assert.equal(e.cached, true, `${p} is cached`);
    assert.equal(e.containerId, undefined, `${p} ran no container`);
  }
  assert.equal(run.tree.get('/pick_best').executions[0]!.cached, undefined, 'a step without cache_executed_step runs');
  assert.match(lastLog(run, '/train_fast'), /lr=0\.5 epochs=50/, 'the cached log is shown');
  assert.ok(events.some((e) => e.type === 'execution-end' && e.path === '/data' && e.execution.cached), 'the execution record says cached');
  assert.match(lastLog(run, '/pick_best'), /best: lr=0\.5/, 'cached artifacts are in place for the next step');

  run.refresh('/train_mid');
  await run.settled();
  const mid = run.tree.get('/train_mid').executions;
  assert.equal(mid.length, 2);
  assert.equal(mid[1]!.cached, undefined, 'refresh ignores the cache');
  assert.ok(mid[1]!.containerId, 'and runs a container');
  assert.equal(mid[1]!.step?.cacheKey, mid[0]!.step?.cacheKey);
  await run.close();
});

test('a changed parameter or input misses the cache; PIPEWRIGHT_STEP_CACHE=refresh refreshes a whole run', async () => {
  const def = (lr: number) => `from pipewright import PipelineController, Task
Task.create(project_name="p", task_name="t", command="echo lr=\${Args/lr} > $PIPEWRIGHT_STEP_ARTIFACTS/out.txt; echo ran", parameters={"lr": 1})
pipe = PipelineController("cache", "p", "1")
pipe.add_step("a", base_task_project="p", base_task_name="t", parameter_override={"Args/lr": ${lr}}, cache_executed_step=True)
pipe.add_step("b", base_task_project="p", base_task_name="t", parameter_override={"Args/lr": "\${a.artifacts.out.url}"}, cache_executed_step=True)
`;
  const one = await h.run(h.write('cache1.py', def(1)));
  assert.deepEqual(states(one.run), { a: 'done', b: 'done' });
  assert.equal(dataFile(one.run, 'clearml/a/artifacts/out.txt'), 'lr=1\n');
  await one.run.close();
  const two = await h.run(h.write('cache2.py', def(2)));
  assert.equal(two.run.tree.get('/a').executions[0]!.cached, undefined, 'another lr: not cached');
  assert.equal(two.run.tree.get('/b').executions[0]!.cached, undefined, 'same command and parameters, but its input artifact changed');
  await two.run.close();
  const three = await h.run(h.write('cache3.py', def(2)));
  assert.equal(three.run.tree.get('/a').executions[0]!.cached, true);
  assert.equal(three.run.tree.get('/b').executions[0]!.cached, true);
  await three.run.close();
  process.env.PIPEWRIGHT_STEP_CACHE = 'refresh';
  try {
    const four = await h.run(h.write('cache4.py', def(2)));
    assert.equal(four.run.tree.get('/a').executions[0]!.cached, undefined);
    assert.equal(four.run.tree.get('/b').executions[0]!.cached, undefined);
    await four.run.close();
  } finally {
    delete process.env.PIPEWRIGHT_STEP_CACHE;
  }
});

const failing = (options: string, abort = false) => `from pipewright import PipelineController, Task
Task.create(project_name="p", task_name="ok", command="echo ok")
Task.create(project_name="p", task_name="bad", command="echo failing >&2; exit 3")
Task.create(project_name="p", task_name="slow", command="sleep \${Args/s}; echo slept", parameters={"s": 0})
pipe = PipelineController("failures", "p", "1", abort_on_failure=${abort ? 'True' : 'False'})
pipe.add_step("bad", base_task_project="p", base_task_name="bad"${options})
pipe.add_step("child", base_task_project="p", base_task_name="ok", parents=["bad"])
pipe.add_step("grandchild", base_task_project="p", base_task_name="ok", parents=["child"])
pipe.add_step("independent", base_task_project="p", base_task_name="slow", parameter_override={"s": ${abort ? 20 : 1}})
pipe.add_step("after_independent", base_task_project="p", base_task_name="ok", parents=["independent"])
`;

test('a failed step: its children stay pending, independent branches finish, the pipeline fails', async () => {
  const { run } = await h.run(h.write('fail.py', failing('')));
  assert.deepEqual(states(run), { bad: 'error', child: 'pending', grandchild: 'pending', independent: 'done', after_independent: 'done' });
  assert.equal(run.tree.root.state, 'error');
  assert.equal(run.tree.get('/bad').executions[0]!.exitCode, 3);
  await run.close();
});

test('continue_on_fail: the failed step\'s descendants are skipped and the pipeline succeeds', async () => {
  const { run } = await h.run(h.write('continue.py', failing(', continue_on_fail=True')));
  assert.deepEqual(states(run), { bad: 'error', child: 'skipped', grandchild: 'skipped', independent: 'done', after_independent: 'done' });
  assert.equal(run.tree.root.state, 'done');
  assert.equal(run.tree.get('/child').executions.length, 0);
  // A reset of the failed step brings back the steps it skipped.
  run.modify('/bad', { command: 'echo fixed' });
  run.reset('/bad');
  await run.settled();
  assert.deepEqual(states(run), { bad: 'done', child: 'done', grandchild: 'done', independent: 'done', after_independent: 'done' });
  await run.close();
});

test('a step the user skips skips its descendants; unskipped, it runs and they come back', async () => {
  const file = h.write('userskip.py', `from pipewright import PipelineController, Task
Task.create(project_name="p", task_name="ok", command="echo ok")
pipe = PipelineController("userskip", "p", "1")
pipe.add_step("first", base_task_project="p", base_task_name="ok")
pipe.add_step("second", base_task_project="p", base_task_name="ok", parents=["first"])
pipe.add_step("third", base_task_project="p", base_task_name="ok", parents=["second"])
pipe.add_step("other", base_task_project="p", base_task_name="ok")
`);
  const { run } = await h.create(file);
  run.skip('/first', true);
  run.setAutorun(true);
  await run.settled();
  assert.deepEqual(states(run), { first: 'skipped', second: 'skipped', third: 'skipped', other: 'done' });
  run.skip('/first', false);
  await run.settled();
  assert.deepEqual(states(run), { first: 'done', second: 'done', third: 'done', other: 'done' });
  assert.equal(run.tree.get('/other').executions.length, 1, 'the rest does not run again');
  await run.close();
});

test('continue_behaviour skip_children_on_fail=False: children run after a failure; the pipeline still fails', async () => {
  const { run } = await h.run(h.write('no_skip.py', failing(', continue_behaviour={"skip_children_on_fail": False}')));
  assert.deepEqual(states(run), { bad: 'error', child: 'done', grandchild: 'done', independent: 'done', after_independent: 'done' });
  assert.equal(run.tree.root.state, 'error');
  await run.close();
});

const aborting = (behaviour: string) => `from pipewright import PipelineController, Task
Task.create(project_name="p", task_name="ok", command="echo ok")
Task.create(project_name="p", task_name="slow", command="sleep 60")
pipe = PipelineController("aborts", "p", "1")
pipe.add_step("slow", base_task_project="p", base_task_name="slow"${behaviour})
pipe.add_step("child", base_task_project="p", base_task_name="ok", parents=["slow"])
pipe.add_step("grandchild", base_task_project="p", base_task_name="ok", parents=["child"])
pipe.add_step("independent", base_task_project="p", base_task_name="ok")
`;

test('continue_on_abort: a killed step does not fail the pipeline; skip_children_on_abort decides whether its children run', async () => {
  const plain = await killOnceRunning(h.write('abort_plain.py', aborting('')), '/slow');
  assert.deepEqual(states(plain), { slow: 'killed', child: 'pending', grandchild: 'pending', independent: 'done' });
  assert.equal(plain.tree.root.state, 'killed', 'without continue_on_abort an abort fails the pipeline');
  await plain.close();

  const skipping = await killOnceRunning(h.write('abort_continue.py', aborting(', continue_behaviour={"continue_on_abort": True}')), '/slow');
  assert.equal(skipping.tree.get('/slow').executions[0]!.reason, 'killed');
  assert.deepEqual(states(skipping), { slow: 'killed', child: 'skipped', grandchild: 'skipped', independent: 'done' });
  assert.equal(skipping.tree.root.state, 'done');
  await skipping.close();

  const running = await killOnceRunning(h.write('abort_children.py', aborting(', continue_behaviour={"continue_on_abort": True, "skip_children_on_abort": False}')), '/slow');
  assert.deepEqual(states(running), { slow: 'killed', child: 'done', grandchild: 'done', independent: 'done' });
  assert.equal(running.tree.root.state, 'done');
  await running.close();
});

test('abort_on_failure: a failure kills running steps and nothing more starts', async () => {
  const started = Date.now();
  const { run } = await h.run(h.write('abort.py', failing('', true)));
  assert.ok(Date.now() - started < 15_000, 'the 20 s step was killed');
  assert.deepEqual(states(run), { bad: 'error', child: 'pending', grandchild: 'pending', independent: 'killed', after_independent: 'pending' });
  assert.equal(run.tree.root.state, 'error');
  await run.close();
});

test('callbacks: pre_execute_callback skips a step (and its children) or changes its parameters; post runs after; a raising callback fails its step', async () => {
  const marks = path.join(h.dir, 'marks.txt');
  const file = h.write(
    'callbacks.py',
    `from pipewright import PipelineController, Task
seen = []
def skip_it(pipeline, node, parameters):
    seen.append("pre " + node.name)
    return False
def tune(pipeline, node, parameters):
    seen.append("pre " + node.name)
    parameters["Args/msg"] = "tuned by " + node.name
def after(pipeline, node):
    seen.append("post %s %s %s" % (node.name, node.status, bool(node.executed)))
    done = sorted(n.name for n in pipeline.get_processed_nodes())
    with open(${JSON.stringify(marks)}, "w") as f:
        f.write("\\n".join(seen + ["processed " + " ".join(done)]))
def broken(pipeline, node, parameters):
    raise ValueError("no way")
Task.create(project_name="p", task_name="echo", command="echo \${Args/msg}; echo $PIPEWRIGHT_PARAM_ARGS_MSG; cat $PIPEWRIGHT_PARAMS_FILE", parameters={"msg": "plain"})
pipe = PipelineController("callbacks", "p", "1")
pipe.add_step("skipped", base_task_project="p", base_task_name="echo", pre_execute_callback=skip_it)
pipe.add_step("below_skipped", base_task_project="p", base_task_name="echo", parents=["skipped"])
pipe.add_step("tuned", base_task_project="p", base_task_name="echo", pre_execute_callback=tune, post_execute_callback=after)
pipe.add_step("broken", base_task_project="p", base_task_name="echo", pre_execute_callback=broken, parents=["tuned"])
`,
  );
  const { run } = await h.run(file);
  assert.deepEqual(states(run), { skipped: 'skipped', below_skipped: 'skipped', tuned: 'done', broken: 'error' });
  assert.equal(run.tree.get('/skipped').executions.length, 0, 'a skipped step never ran');
  assert.match(lastLog(run, '/tuned'), /^tuned by tuned\ntuned by tuned\n\{\n "Args\/msg": "tuned by tuned"\n\}$/);
  const broken = run.tree.get('/broken').executions[0]!;
  assert.equal(broken.reason, 'error');
  assert.match(broken.message!, /pre_execute_callback of broken raised:\nTraceback[\s\S]*ValueError: no way/);
  assert.match(lastLog(run, '/broken'), /ValueError: no way/);
  assert.equal(broken.containerId, undefined);
  assert.deepEqual(readFileSync(marks, 'utf8').split('\n'), ['pre skipped', 'pre tuned', 'post tuned completed True', 'processed below_skipped skipped tuned'], 'one controller process kept its state across callbacks');
  assert.equal(run.tree.root.state, 'error');
  await run.close();
});

test('callbacks run with the interpreter the user chose (imports from their venv work), not python3', async () => {
  // A "venv" interpreter: python3 with a module only it can import, recording each start.
  const venv = path.join(h.dir, 'venv');
  mkdirSync(path.join(venv, 'lib'), { recursive: true });
  writeFileSync(path.join(venv, 'lib', 'only_in_venv.py'), 'GREETING = "from the venv"\n');
  const python = path.join(venv, 'python');
  writeFileSync(python, `#!/bin/sh\necho "$@" >> ${JSON.stringify(path.join(venv, 'started'))}\nPYTHONPATH=${JSON.stringify(path.join(venv, 'lib'))}:$PYTHONPATH exec python3 "$@"\n`);
  chmodSync(python, 0o755);
  const file = h.write(
    'venv_callbacks.py',
    `from pipewright import PipelineController, Task
def greet(pipeline, node, parameters):
    import only_in_venv
    parameters["Args/msg"] = only_in_venv.GREETING
Task.create(project_name="p", task_name="echo", command="echo \${Args/msg}", parameters={"msg": "plain"})
pipe = PipelineController("venv", "p", "1")
pipe.add_step("greeted", base_task_project="p", base_task_name="echo", pre_execute_callback=greet)
`,
  );
  const doc = await evaluateDefinition(file);
  const run = h.track(PipelineRun.create(doc, { ...(await h.context()), python }));
  run.setAutorun(true);
  await run.settled();
  assert.equal(run.tree.get('/greeted').state, 'done', run.tree.get('/greeted').executions[0]?.message);
  assert.equal(lastLog(run, '/greeted'), 'from the venv\n');
  assert.match(readFileSync(path.join(venv, 'started'), 'utf8'), /-m pipewright\.clearml\.host /);
  await run.close();
});

test('status_change_callback: called on every change of a step\'s status with the previous one (queued, running, completed, failed, skipped, cached)', async () => {
  const def = (marks: string) => `from pipewright import PipelineController, Task
def record(pipeline, node, previous_status):
    with open(${JSON.stringify(marks)}, "a") as f:
        f.write("%s %s->%s\\n" % (node.name, previous_status, node.status))
def no(pipeline, node, parameters):
    return False
Task.create(project_name="p", task_name="ok", command="echo ok")
Task.create(project_name="p", task_name="bad", command="exit 3")
pipe = PipelineController("statuses", "p", "1")
pipe.add_step("ok", base_task_project="p", base_task_name="ok", status_change_callback=record)
pipe.add_step("cached", base_task_project="p", base_task_name="ok", parameter_override={"n": 1}, cache_executed_step=True, status_change_callback=record)
pipe.add_step("bad", base_task_project="p", base_task_name="bad", continue_on_fail=True, status_change_callback=record)
pipe.add_step("below_bad", base_task_project="p", base_task_name="ok", parents=["bad"], status_change_callback=record)
pipe.add_step("vetoed", base_task_project="p", base_task_name="ok", pre_execute_callback=no, status_change_callback=record)
`;
  const changes = async (name: string) => {
    const marks = path.join(h.dir, `${name}.txt`);
    const { run } = await h.run(h.write(`${name}.py`, def(marks)));
    await run.close(); // waits for the callbacks still being answered
    const byStep: Record<string, string[]> = {};
    for (const line of readFileSync(marks, 'utf8').trim().split('\n')) {
      const [step, change] = line.split(' ');
      (byStep[step!] ??= []).push(change!);
    }
    return byStep;
  };
  const ran = ['pending->queued', 'queued->running', 'running->completed'];
  assert.deepEqual(await changes('statuses1'), {
    ok: ran,
    cached: ran,
    bad: ['pending->queued', 'queued->running', 'running->failed'],
    below_bad: ['pending->skipped'],
    vetoed: ['pending->queued', 'queued->skipped'],
  });
  const second = await changes('statuses2');
  assert.deepEqual(second.cached, ['pending->queued', 'queued->cached'], 'a cache hit runs no container');
  assert.deepEqual(second.ok, ran);
});

test('retry_on_failure: an int re-runs a failing step, keeping every execution; a callable decides', async () => {
  const file = h.write(
    'retry.py',
    `from pipewright import PipelineController, Task
Task.create(project_name="p", task_name="flaky", command="n=$(cat $PIPEWRIGHT_DATA/\${Args/name} 2>/dev/null || echo 0); echo $((n+1)) > $PIPEWRIGHT_DATA/\${Args/name}; echo attempt $((n+1)); [ $n -ge 2 ]")
def once(pipeline, node, retries):
    return retries < 1
pipe = PipelineController("retry", "p", "1")
pipe.add_step("three_tries", base_task_project="p", base_task_name="flaky", parameter_override={"name": "a"}, retry_on_failure=3)
pipe.add_step("one_retry", base_task_project="p", base_task_name="flaky", parameter_override={"name": "b"}, retry_on_failure=once)
`,
  );
  const { run, events } = await h.run(file);
  const tries = run.tree.get('/three_tries').executions;
  assert.deepEqual(tries.map((e) => e.exitCode), [1, 1, 0]);
  assert.deepEqual(tries.map((e) => e.step?.retry ?? 0), [0, 1, 2]);
  assert.equal(run.tree.get('/three_tries').state, 'done');
  assert.deepEqual(run.tree.get('/one_retry').executions.map((e) => e.exitCode), [1, 1]);
  assert.equal(run.tree.get('/one_retry').state, 'error');
  assert.ok(events.some((e: RunnerEvent) => e.type === 'notice' && /retry 1 of 3/.test(e.message)));
  await run.close();
});

test('a restarted runner keeps retry counts and the steps a pre_execute_callback skipped', async () => {
  const asked = path.join(h.dir, 'asked.txt');
  const file = h.write(
    'restart.py',
    `from pipewright import PipelineController, Task
def no(pipeline, node, parameters):
    with open(${JSON.stringify(asked)}, "a") as f:
        f.write(node.name + "\\n")
    return False
Task.create(project_name="p", task_name="ok", command="echo ok")
Task.create(project_name="p", task_name="bad", command="echo failing; exit 1")
Task.create(project_name="p", task_name="slow", command="sleep 60")
pipe = PipelineController("restart", "p", "1")
pipe.add_step("vetoed", base_task_project="p", base_task_name="ok", pre_execute_callback=no)
pipe.add_step("below_vetoed", base_task_project="p", base_task_name="ok", parents=["vetoed"])
pipe.add_step("flaky", base_task_project="p", base_task_name="bad", retry_on_failure=1)
pipe.add_step("blocker", base_task_project="p", base_task_name="slow")
`,
  );
  // One cpu: flaky fails, its retry queues behind blocker; the runner stops while blocker runs.
  const { run } = await h.create(file, { budget: { cpu: 1 } });
  run.setAutorun(true);
  await until('blocker to run', () => Boolean(run.tree.get('/blocker').executions[0]?.containerId));
  assert.deepEqual(states(run), { vetoed: 'skipped', below_vetoed: 'skipped', flaky: 'queued', blocker: 'running' });
  assert.equal(run.tree.get('/flaky').executions.length, 1);
  await run.close();

  const reopened = h.track(await PipelineRun.open(run.id, await h.context({ budget: { cpu: 1 } })));
  await reopened.settled();
  const flaky = reopened.tree.get('/flaky').executions;
  assert.deepEqual(flaky.map((e) => e.step?.retry ?? 0), [0, 1], 'the retry runs after the restart, as retry 1 of 1, and no more');
  assert.deepEqual(states(reopened), { vetoed: 'skipped', below_vetoed: 'skipped', flaky: 'error', blocker: 'killed' });
  assert.equal(reopened.tree.get('/vetoed').executions.length, 0);
  // A reset still gives a fresh retry budget.
  reopened.reset('/flaky');
  await reopened.settled();
  assert.deepEqual(reopened.tree.get('/flaky').executions.map((e) => e.step?.retry ?? 0), [0, 1, 0, 1]);
  // A reset of the vetoed step: its skip stays (it is not asked again); the child it skipped is
  // reconsidered (known after the restart as skipped because of its parent) and skipped again.
  const events: RunnerEvent[] = [];
  reopened.on('event', (e) => events.push(e));
  reopened.reset('/vetoed');
  await reopened.settled();
  assert.deepEqual(
    events.filter((e) => e.type === 'skip').map((e) => e.type === 'skip' && `${e.path} ${e.skipped} ${e.reason}`),
    ['/below_vetoed false undefined', '/below_vetoed true parent'],
  );
  assert.deepEqual(states(reopened), { vetoed: 'skipped', below_vetoed: 'skipped', flaky: 'error', blocker: 'killed' });
  assert.equal(readFileSync(asked, 'utf8'), 'vetoed\n', 'the callback was asked once, before the restart');
  await reopened.close();
});

test('time_limit kills the step and marks it failed with that reason', async () => {
  const file = h.write(
    'time_limit.py',
    `from pipewright import PipelineController, Task
Task.create(project_name="p", task_name="sleepy", command="sleep 60")
pipe = PipelineController("limits", "p", "1")
pipe.add_step("sleepy", base_task_project="p", base_task_name="sleepy", time_limit=1)
`,
  );
  const started = Date.now();
  const { run } = await h.run(file);
  const e = run.tree.get('/sleepy').executions[0]!;
  assert.equal(run.tree.get('/sleepy').state, 'error');
  assert.equal(e.reason, 'time limit');
  assert.ok(Date.now() - started < 20_000);
  await run.close();
});

test('a reference to a step without the artifact fails the referring step with a clear message', async () => {
  const file = h.write(
    'missing_artifact.py',
    `from pipewright import PipelineController, Task
Task.create(project_name="p", task_name="t", command="echo \${Args/x}", parameters={"x": ""})
pipe = PipelineController("refs", "p", "1")
pipe.add_step("first", base_task_project="p", base_task_name="t")
pipe.add_step("second", base_task_project="p", base_task_name="t", parameter_override={"x": "\${first.artifacts.nothing.url}"})
`,
  );
  const { run } = await h.run(file);
  assert.equal(run.tree.get('/second').spec.parents[0], '/first', 'a reference makes a parent');
  const e = run.tree.get('/second').executions[0]!;
  assert.match(e.message!, /step first has no artifact "nothing" \(it stored none\)/);
  assert.ok(run.space.log(e.id).exists());
  await run.close();
});

// ---- start() from `python3 pipeline.py` --------------------------------------------------------

let bundled: Promise<string> | undefined;

function bundleCli(): Promise<string> {
  // The runner as a CLI bundle of this source tree (dist/ may be older), as users run it.
  return (bundled ??= (async () => {
    const esbuild = await import('esbuild');
    const outfile = path.join(h.dir, 'cli', 'cli.js');
    await esbuild.build({ bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['*.node'], absWorkingDir: repo, entryPoints: ['cli/main.ts'], outfile, logLevel: 'warning' });
    return outfile;
  })());
}

async function cliEnv(): Promise<Record<string, string>> {
  const sdk = path.join(repo, 'sdk');
  return { PIPEWRIGHT_CLI: await bundleCli(), PIPEWRIGHT_SDK: sdk, PYTHONPATH: sdk, PIPEWRIGHT_HOME: h.storeRoot, PIPEWRIGHT_DEFAULT_IMAGE: process.env.PIPEWRIGHT_TEST_IMAGE || 'pipewright/python:latest' };
}

function python(file: string, env: Record<string, string>, args: string[] = []): Promise<CliResult> {
  return runProcess('python3', [file, ...args], env, path.dirname(file));
}

test('start() from `python3 pipeline.py`: runs through the runner; wait, get_processed_nodes, is_running, elapsed, stop', async () => {
  const env = await cliEnv();
  const file = h.write(
    'started.py',
    `import time
from clearml import PipelineController, Task
Task.create(project_name="p", task_name="t", command="sleep \${Args/s}; echo hi", parameters={"s": 1})
pipe = PipelineController("started", "p", "1")
pipe.add_step("one", base_task_project="p", base_task_name="t")
pipe.add_step("two", base_task_project="p", base_task_name="t", parents=["one"])
pipe.add_step("long", base_task_project="p", base_task_name="t", parameter_override={"s": 60})

if __name__ == "__main__":
    before = (pipe.is_running(), pipe.elapsed() < 0)
    pipe.start(wait=False)  # nothing may be printed before: the runner evaluates this file for its pipeline JSON
    print("before", *before)
    print("dag", sorted(pipe.get_pipeline_dag()), pipe.get_pipeline_dag()["two"].parents)
    print("running", pipe.is_running())
    while pipe.is_running() and pipe.get_pipeline_dag()["two"].status != "completed":
        time.sleep(0.1)
    print("running nodes", [n.name for n in pipe.get_running_nodes()])
    print("processed", sorted(n.name + ":" + n.status for n in pipe.get_processed_nodes()))
    print("executed", pipe.get_pipeline_dag()["one"].executed is not None)
    print("waited", pipe.wait(timeout=0.01))
    pipe.stop()
    print("stopped", pipe.is_running(), pipe.elapsed() > 0, pipe.get_pipeline_dag()["long"].status)
`,
  );
  const result = await python(file, env);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n'), [
    'before False True',
    "dag ['long', 'one', 'two'] ['one']",
    'running True',
    "running nodes ['long']",
    "processed ['one:completed', 'two:completed']",
    'executed True',
    'waited False',
    'stopped False True aborted',
  ]);
  assert.match(result.stderr, /pipeline [a-z]+(-[a-z]+)+ started/);
});

test('pipeline parameters given to a run: `pipewright run FILE --param` and `python3 pipeline.py --param` set what ${pipeline.x} resolves to', async () => {
  const env = await cliEnv();
  const file = h.write(
    'params.py',
    `from clearml import PipelineController, Task
def seen(pipeline, node, parameters):
    parameters["Args/seen"] = pipeline.get_parameters()["samples"]
Task.create(project_name="p", task_name="t", command="echo samples=\${Args/n}", parameters={"n": 0})
pipe = PipelineController("params", "p", "1")
pipe.add_parameter("samples", 200)
pipe.add_step("a", base_task_project="p", base_task_name="t", parameter_override={"n": "\${pipeline.samples}"}, pre_execute_callback=seen)

if __name__ == "__main__":
    pipe.start_locally()
    print("parameters", pipe.get_parameters(), pipe.get_pipeline_dag()["a"].status)
`,
  );
  const stepOf = async (id: string) => {
    const run = await PipelineRun.inspect(id, await h.context());
    const e = run.tree.get('/a').executions[0]!;
    return { command: e.command, parameters: e.step?.parameters, controller: run.tree.root.spec.controller?.parameters };
  };
  const ran = await runProcess(process.execPath, [env.PIPEWRIGHT_CLI!, 'run', file, '--param', 'samples=5', '--json'], env, path.dirname(file));
  assert.equal(ran.code, 0, ran.stderr);
  const id = (JSON.parse(ran.stdout.split('\n')[0]!) as RunnerEvent).pipeline;
  assert.deepEqual(await stepOf(id), { command: 'echo samples=5', parameters: { 'Args/n': 5, 'Args/seen': 5 }, controller: { samples: 5 } }, 'cast to the default\'s type; the callbacks see it too');

  const bad = await runProcess(process.execPath, [env.PIPEWRIGHT_CLI!, 'run', file, '--param', 'sample=5'], env, path.dirname(file));
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /params\.py:5: --param sample=5: the pipeline has no parameter 'sample' \(add_parameter: samples\)/);

  const script = await python(file, env, ['--param', 'samples=7']);
  assert.equal(script.code, 0, script.stderr);
  assert.equal(script.stdout.trim(), "parameters {'samples': 7} completed");
  const started = /pipeline ([a-z]+(?:-[a-z]+)+) started/.exec(script.stderr)![1]!;
  assert.deepEqual(await stepOf(started), { command: 'echo samples=7', parameters: { 'Args/n': 7, 'Args/seen': 7 }, controller: { samples: 7 } });
});
