// PipelineDecorator pipelines (docs/clearml.md) on the real engine: the body runs in the run's
// controller node and adds a step (a container) per component call, appended to the tree as it
// goes; data flows through component returns into other components and into the body; a failed
// step raises where the body uses it; `python3 FILE` and `pipewright run FILE` run it; ClearML's
// own example loads and runs unchanged.
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { RunnerEvent } from '../../protocol/runner';
import { PipelineRun } from '../../runner/pipelineRun';
import { repo, runProcess } from '../helpers/cli';
import { dockerSuite, lastLog } from '../helpers/runnerHarness';

const h = dockerSuite();

const PIPELINE = (tag: string, main = 'PipelineDecorator.run_locally()') => `\
from clearml import PipelineDecorator, TaskTypes


@PipelineDecorator.component(return_values=["numbers"], cache=True, task_type=TaskTypes.data_processing)
def make(count: int, start=1):
    print("make", count, "from", start, "${tag}")
    return list(range(start, start + count))


@PipelineDecorator.component(return_values=["total", "size"])
def summarize(numbers, scale=1):
    print("summarize", numbers, "scale", scale)
    return sum(numbers) * scale, len(numbers)


@PipelineDecorator.component(return_values=["ok"])
def check(total, minimum=0):
    if total < minimum:
        raise ValueError("total %s is below %s" % (total, minimum))
    return True


@PipelineDecorator.pipeline(name="numbers", project="tests", version="1.0")
def flow(count=4, minimum=0):
    print("pipeline starts")
    numbers = make(count)
    total, size = summarize(numbers)
    print("total is", total, "of", size)
    other = make(2, start=10)
    again = summarize([1, 2, 3], scale=total)
    ok = check(again[0], minimum=minimum)
    print("again:", again[0] + 0, "from", other, "ok:", ok)


if __name__ == "__main__":
    ${main}
    flow(count=4)
    print("process completed")
`;

function added(events: RunnerEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'nodes-added' && e.append ? e.nodes.map((n) => n.path) : []));
}

test('a decorated pipeline: each component call is a step, results flow into steps and into the body', async () => {
  const file = h.write('numbers.py', PIPELINE('first'));
  const { run, events } = await h.run(file);
  const paths = run.tree.root.children.map((c) => c.path);
  assert.deepEqual(paths, ['/flow', '/make', '/summarize', '/make_1', '/summarize_1', '/check'], 'steps appended as the body called them, named as ClearML names them');
  assert.deepEqual(added(events), ['/make', '/summarize', '/make_1', '/summarize_1', '/check'], 'each announced by a nodes-added event');
  assert.equal(run.tree.root.state, 'done', lastLog(run, '/flow'));
  for (const c of run.tree.root.children.slice(1)) assert.ok(c.executions[0]!.containerId, `${c.path} ran in a container`);
  assert.equal(run.tree.get('/flow').executions[0]!.containerId, undefined, 'the body runs in the controller, not a container');
  const body = lastLog(run, '/flow');
  assert.match(body, /pipeline starts/);
  assert.match(body, /total is 10 of 4/, 'the body used summarize\'s two return values');
  assert.match(body, /again: 60 from \[10, 11\] ok: True/, 'a list and a lazy result passed to a step; results of steps in the body');
  assert.match(lastLog(run, '/summarize'), /summarize \[1, 2, 3, 4\] scale 1/, 'make\'s return value reached summarize');
  assert.match(lastLog(run, '/summarize_1'), /summarize \[1, 2, 3\] scale 10/);
  assert.deepEqual(run.tree.get('/summarize').spec.parents, ['/make'], 'a lazy argument is a DAG edge');
  assert.deepEqual(run.tree.get('/check').spec.parents, ['/summarize_1']);
  const summarize = run.tree.get('/summarize').executions[0]!;
  const make = run.tree.get('/make').executions[0]!;
  assert.ok(summarize.startedAt >= make.endedAt!, 'summarize waited for make');
  assert.equal(run.tree.get('/make').spec.source.line, 26, 'a step points at the call in the body');

  // The store keeps the steps the body added: the instance read back has them.
  await run.close();
  const stored = await PipelineRun.inspect(run.id, await h.context());
  assert.deepEqual(stored.tree.root.children.map((c) => [c.path, c.state]), paths.map((p) => [p, 'done']));
});

test('reset: the body runs again and its calls find the same steps', async () => {
  const file = h.write('reset.py', PIPELINE('reset'));
  const { run } = await h.run(file);
  assert.equal(run.tree.root.state, 'done');
  run.reset('/');
  await run.settled();
  assert.equal(run.tree.root.state, 'done', lastLog(run, '/flow'));
  assert.equal(run.tree.root.children.length, 6, 'no new steps');
  assert.equal(run.tree.get('/flow').executions.length, 2);
  assert.match(lastLog(run, '/flow'), /again: 60 from \[10, 11\] ok: True/);
  await run.close();
});

test('get_logger, upload_artifact and return_value, in a component and in the body', async () => {
  const file = h.write(
    'extras.py',
    `from clearml import PipelineDecorator


@PipelineDecorator.component(return_values=["doubled"], execution_queue="gpu")
def double(x):
    PipelineDecorator.get_logger().report_text("doubling %s" % x)
    PipelineDecorator.upload_artifact("note", {"x": x})
    return x * 2


@PipelineDecorator.pipeline(name="extras", project="tests", return_value="answer", default_queue="cpu")
def flow(x=21):
    PipelineDecorator.get_logger().report_scalar("loss", "train", 0.5, iteration=1)
    PipelineDecorator.upload_artifact("inputs", {"x": x})
    return double(x) + 0


if __name__ == "__main__":
    flow()
`,
  );
  const { run } = await h.run(file);
  assert.equal(run.tree.root.state, 'done', lastLog(run, '/flow'));
  assert.match(lastLog(run, '/double'), /doubling 21/);
  const data = path.join(h.storeRoot, 'pipelines', run.id, 'data', 'clearml');
  const result = JSON.parse(readFileSync(path.join(data, 'double', 'result.json'), 'utf8')) as { artifacts: Record<string, unknown> };
  assert.deepEqual(Object.keys(result.artifacts).sort(), ['doubled', 'note'], 'upload_artifact in a component: an artifact of its step');
  assert.match(lastLog(run, '/flow'), /scalar loss\/train \[1\] = 0\.5/);
  const pickled = (name: string) => readFileSync(path.join(data, '.pipeline', 'artifacts', name, `${name}.pkl`));
  assert.ok(pickled('inputs').length > 0, 'upload_artifact in the body: an artifact of the pipeline');
  assert.ok(pickled('answer').includes(Buffer.from([42])), 'return_value: the body\'s result (42) stored');
  assert.equal(run.tree.get('/double').executions[0]!.step?.queue, 'gpu');
  await run.close();
});

test("a component's callbacks run in the pipeline function's process, their output in its log", async () => {
  const file = h.write(
    'callbacks.py',
    `from clearml import PipelineDecorator


def before(pipeline, node, parameters):
    print("pre", node.name, parameters["kwargs/x"], [n.name for n in pipeline.get_processed_nodes()])
    if parameters["kwargs/x"] == 0:
        return False
    parameters["kwargs/x"] = parameters["kwargs/x"] * 10


def after(pipeline, node):
    print("post", node.name, node.status)


def changed(pipeline, node, previous):
    print("status", node.name, previous, "->", node.status)


@PipelineDecorator.component(return_values=["y"], pre_execute_callback=before,
                             post_execute_callback=after, status_change_callback=changed)
def inc(x):
    return x + 1


@PipelineDecorator.pipeline(name="callbacks")
def flow():
    print("first %s" % (inc(1) + 0))
    print("skipped %s" % inc(0))


if __name__ == "__main__":
    flow()
`,
  );
  const { run } = await h.run(file);
  const log = lastLog(run, '/flow');
  assert.equal(run.tree.root.state, 'done', log);
  assert.match(log, /pre inc 1 \[\]/);
  assert.match(log, /first 11/, 'the pre callback changed the argument');
  assert.match(log, /post inc completed/);
  assert.match(log, /status inc pending -> queued/);
  assert.match(log, /status inc running -> completed/);
  assert.match(log, /pre inc_1 0 \['inc'\]/, 'pipeline.get_processed_nodes()');
  assert.match(log, /skipped None/, 'a pre callback returning False skips the step; its result is None');
  assert.equal(run.tree.get('/inc_1').skipped, true);
  await run.close();
});

test('retry_on_failure: a number of retries, or a callable the body answers', async () => {
  const file = h.write(
    'retries.py',
    `import os
from clearml import PipelineDecorator


def tries(name):
    marker = os.path.join(os.environ["PIPEWRIGHT_DATA"], name)
    n = int(open(marker).read()) if os.path.exists(marker) else 0
    with open(marker, "w") as f:
        f.write(str(n + 1))
    return n


@PipelineDecorator.component(return_values=["n"], retry_on_failure=2)
def flaky():
    n = tries("flaky")
    if n < 2:
        raise RuntimeError("try %d fails" % n)
    return n


def again(pipeline, node, retries):
    print("retry?", node.name, retries)
    return retries < 1


@PipelineDecorator.component(return_values=["n"], retry_on_failure=again)
def once():
    n = tries("once")
    if n < 1:
        raise RuntimeError("try %d fails" % n)
    return n


@PipelineDecorator.pipeline(name="retries")
def flow():
    print("flaky %s once %s" % (flaky(), once()))


if __name__ == "__main__":
    flow()
`,
  );
  const { run } = await h.run(file);
  const log = lastLog(run, '/flow');
  assert.equal(run.tree.root.state, 'done', log);
  assert.match(log, /flaky 2 once 1/, 'the body got the result of the attempt that succeeded');
  assert.equal(run.tree.get('/flaky').executions.length, 3);
  assert.equal(run.tree.get('/once').executions.length, 2);
  assert.match(log, /retry\? once 0/);
  await run.close();
});

test('continue_on_fail: a failed component gives None, the steps that need it are skipped, the pipeline goes on', async () => {
  const file = h.write(
    'continue.py',
    `from clearml import PipelineDecorator


@PipelineDecorator.component(return_values=["v"], continue_on_fail=True)
def bad():
    raise RuntimeError("bad fails")


@PipelineDecorator.component(return_values=["v"])
def use(v):
    return v


@PipelineDecorator.pipeline(name="continue")
def flow():
    print("bad gives %s, use gives %s" % (bad(), use(bad())))


if __name__ == "__main__":
    flow()
`,
  );
  const { run } = await h.run(file);
  const log = lastLog(run, '/flow');
  assert.match(log, /bad gives None, use gives None/);
  assert.equal(run.tree.get('/bad').state, 'error');
  assert.equal(run.tree.get('/use').skipped, true, 'skip_children_on_fail');
  assert.equal(run.tree.root.state, 'done', log);
  await run.close();
});

test('max_time holds for the pipeline body too', async () => {
  const file = h.write(
    'slow.py',
    `import time
from clearml import PipelineDecorator


@PipelineDecorator.pipeline(name="slow")
def flow():
    print("sleeping", flush=True)
    time.sleep(60)


if __name__ == "__main__":
    flow()
`,
  );
  const { run } = await h.create(file);
  run.modify('/flow', { max_time: 1 });
  run.setAutorun(true);
  await run.settled();
  const e = run.tree.get('/flow').executions[0]!;
  assert.equal(run.tree.get('/flow').state, 'error');
  assert.equal(e.reason, 'time limit');
  assert.match(e.message ?? '', /longer than 1s/);
  assert.ok(e.endedAt! - e.startedAt < 20_000);
  await run.close();
});

test('on a one-core budget the body waits without holding the core its steps need', async () => {
  const file = h.write('one_core.py', PIPELINE('one core'));
  const { run } = await h.run(file, { budget: { cpu: 1, mem: 2 } });
  assert.equal(run.tree.root.state, 'done', lastLog(run, '/flow'));
  assert.match(lastLog(run, '/flow'), /again: 60 from \[10, 11\] ok: True/);
  await run.close();
});

test('a decorated pipeline runs again: cached steps are reused, the rest run', async () => {
  const file = h.write('cached.py', PIPELINE('cached'));
  const first = await h.run(file);
  assert.equal(first.run.tree.root.state, 'done');
  await first.run.close();
  const { run } = await h.run(file);
  assert.equal(run.tree.root.state, 'done');
  assert.equal(run.tree.get('/make').executions[0]!.cached, true, 'cache=True');
  assert.equal(run.tree.get('/summarize').executions[0]!.cached, undefined);
  assert.match(lastLog(run, '/flow'), /total is 10 of 4/, 'a cached result reaches the body');
  await run.close();
});

test('a failed step raises where the body uses its result; the pipeline fails', async () => {
  const file = h.write('failing.py', PIPELINE('failing').replace('flow(count=4)', 'flow(count=4, minimum=100)'));
  const { run } = await h.run(file);
  assert.equal(run.tree.get('/check').state, 'error');
  assert.match(lastLog(run, '/check'), /ValueError: total 60 is below 100/);
  assert.equal(run.tree.get('/flow').state, 'error');
  assert.match(lastLog(run, '/flow'), /Pipeline step "check" failed/);
  assert.equal(run.tree.root.state, 'error');
  await run.close();
});

async function cliEnv(): Promise<Record<string, string>> {
  const esbuild = await import('esbuild');
  const outfile = path.join(h.dir, 'cli', 'cli.js');
  await esbuild.build({ bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['*.node'], absWorkingDir: repo, entryPoints: ['cli/main.ts'], outfile, logLevel: 'warning' });
  const sdk = path.join(repo, 'sdk');
  return { PIPEWRIGHT_CLI: outfile, PIPEWRIGHT_SDK: sdk, PYTHONPATH: sdk, PIPEWRIGHT_HOME: h.storeRoot, PIPEWRIGHT_DEFAULT_IMAGE: process.env.PIPEWRIGHT_TEST_IMAGE || 'pipewright/python:latest' };
}

test('`python3 FILE` and `pipewright run FILE` run a decorated pipeline, `--param` sets its arguments', async () => {
  const env = await cliEnv();
  const file = h.write('cli_numbers.py', PIPELINE('cli'));
  const py = await runProcess('python3', [file], env, path.dirname(file));
  assert.equal(py.code, 0, py.stderr);
  assert.match(py.stdout, /total is 10 of 4[\s\S]*again: 60 from \[10, 11\] ok: True[\s\S]*process completed/, 'the body\'s output, then the script goes on');
  assert.match(py.stderr, /step make: done[\s\S]*step check: done/);

  const ran = await runProcess(process.execPath, [env.PIPEWRIGHT_CLI!, 'run', file], env, path.dirname(file));
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /done +\/summarize_1/);
  assert.match(ran.stdout, /done +\/flow/);

  // The pipeline function's arguments are the run's parameters.
  const param = await runProcess(process.execPath, [env.PIPEWRIGHT_CLI!, 'run', file, '--param', 'count=2', '--json'], env, path.dirname(file));
  assert.equal(param.code, 0, param.stderr);
  assert.match(param.stdout, /"kwargs\/count":2,/, 'make was called with count=2');
  const pyParam = await runProcess('python3', [file, '--param', 'count=3'], env, path.dirname(file));
  assert.equal(pyParam.code, 0, pyParam.stderr);
  assert.match(pyParam.stdout, /total is 6 of 3/);
  const unknown = await runProcess(process.execPath, [env.PIPEWRIGHT_CLI!, 'run', file, '--param', 'cnt=2'], env, path.dirname(file));
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /cli_numbers\.py:\d+: --param cnt=2: the pipeline has no parameter 'cnt'/);

  const failing = h.write('cli_failing.py', PIPELINE('cli-failing').replace('flow(count=4)', 'flow(count=4, minimum=100)'));
  const bad = await runProcess('python3', [failing], env, path.dirname(failing));
  assert.notEqual(bad.code, 0, 'a failed pipeline fails the script');
  assert.match(bad.stderr, /step check: error: ValueError: total 60 is below 100/);
  assert.match(bad.stderr, /pipeline 'numbers' failed/);
  assert.doesNotMatch(bad.stdout, /process completed/);
});

test("ClearML's pipeline_from_decorator.py, unchanged: its tree loads; run, its first step fails with the reason", async () => {
  const env = await cliEnv();
  const file = path.join(h.dir, 'upstream', 'pipeline_from_decorator.py');
  mkdirSync(path.dirname(file), { recursive: true });
  copyFileSync(path.join(repo, 'test', 'sdk', 'clearml_upstream', 'pipeline_from_decorator.py'), file);
  const tree = await runProcess(process.execPath, [env.PIPEWRIGHT_CLI!, 'tree', file], env, path.dirname(file));
  assert.equal(tree.code, 0, tree.stderr);
  assert.match(tree.stdout, /executing_pipeline .*# components: step_one, step_two, step_three, step_four/);

  const { run } = await h.run(file);
  assert.equal(run.tree.get('/step_one').state, 'error');
  // The test image has neither scikit-learn nor the network the step downloads from.
  assert.match(lastLog(run, '/step_one'), /No module named 'sklearn'|iris_dataset\.pkl/);
  assert.deepEqual(run.tree.root.children.map((c) => c.path), ['/executing_pipeline', '/step_one', '/step_two', '/step_three']);
  const body = lastLog(run, '/executing_pipeline');
  assert.match(body, /launch step three/);
  assert.match(body, /Pipeline step "step_three" failed: it cannot run: step step_one, which it depends on, failed/);
  assert.equal(run.tree.root.state, 'error');
  assert.ok(readFileSync(file, 'utf8').includes('PipelineDecorator.run_locally()'));
  await run.close();
});

test("ClearML's decorated_pipeline_step_decorators.py, unchanged: a component under a decorator without functools.wraps", async () => {
  const file = path.join(h.dir, 'upstream', 'decorated_pipeline_step_decorators.py');
  mkdirSync(path.dirname(file), { recursive: true });
  copyFileSync(path.join(repo, 'test', 'sdk', 'clearml_upstream', 'decorated_pipeline_step_decorators.py'), file);
  const { run } = await h.run(file);
  assert.deepEqual(run.tree.root.children.map((c) => c.path), ['/pipeline', '/step']);
  assert.equal(run.tree.root.state, 'done', lastLog(run, '/pipeline'));
  await run.close();
});

test('examples/clearml/decorated.py: one data step, three fits and three evaluations, the best picked in the body', async () => {
  const { run } = await h.run(path.join(repo, 'examples', 'clearml', 'decorated.py'));
  assert.equal(run.tree.root.state, 'done', lastLog(run, '/line_fit'));
  assert.deepEqual(
    run.tree.root.children.map((c) => c.path),
    ['/line_fit', '/make_points', '/fit', '/fit_1', '/fit_2', '/evaluate', '/evaluate_1', '/evaluate_2'],
  );
  assert.deepEqual(run.tree.get('/evaluate_2').spec.parents, ['/fit_2', '/make_points']);
  assert.match(lastLog(run, '/line_fit'), /best: ridge=0\.0 a=3\.0\d\d b=0\.9\d\d/, 'ridge=0.0 reached fit() a float');
  assert.equal(run.tree.get('/fit').executions[0]!.step?.parameters['kwargs/ridge'], '0.0');
  await run.close();
});

