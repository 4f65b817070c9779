// ClearML pipelines from task scripts (issue 12) on the real engine, written the way ClearML's
// examples/pipeline/pipeline_from_tasks.py and its step scripts are: steps found in the workspace by
// Task.init(project, name), overrides under General/, artifacts passed by ${step.artifacts.x.url}
// and ${step.id}, callback prints shown, Logger reports kept with the execution, StorageManager and
// Dataset between steps; run through `pipewright run` and as `python3 FILE`.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { PipelineRun } from '../../runner/pipelineRun';
import { repo, runProcess, type CliResult } from '../helpers/cli';
import { dockerSuite, lastLog } from '../helpers/runnerHarness';

const h = dockerSuite();

let bundled: Promise<string> | undefined;
function bundleCli(): Promise<string> {
  // The CLI bundled from this source tree (dist/ may be older), as users run it.
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

const pythonScript = (file: string, env: Record<string, string>): Promise<CliResult> => runProcess('python3', [file], env, path.dirname(file));
const pipewrightRun = async (file: string, env: Record<string, string>): Promise<CliResult> => runProcess(process.execPath, [env.PIPEWRIGHT_CLI!, 'run', file], env, path.dirname(file));

/** A workspace folder of its own: task scripts are found by scanning the definition's folder. */
function workspace(name: string, files: Record<string, string>): string {
  let main = '';
  for (const [file, text] of Object.entries(files)) {
    const written = h.write(`${name}/${file}`, text);
    if (file === 'pipeline.py') main = written;
  }
  return main;
}

const STEP1 = `from clearml import Task, StorageManager
task = Task.init(project_name="demo", task_name="Pipeline step 1 dataset artifact")
args = {"dataset_url": ""}
task.connect(args)
task.execute_remotely()
local_copy = StorageManager.get_local_copy(remote_url=args["dataset_url"])
task.upload_artifact("dataset", artifact_object=local_copy)
print("uploaded", local_copy)
`;

const STEP2 = `import json
from clearml import Task, Logger
task = Task.init(project_name="demo", task_name="Pipeline step 2 process dataset")
args = {"dataset_task_id": "", "dataset_url": "", "scale": 1}
task.connect(args)
print("Arguments: {}".format(args))
task.execute_remotely()
with open(args["dataset_url"]) as f:
    numbers = json.load(f)
scaled = [n * args["scale"] for n in numbers]
for i, n in enumerate(scaled):
    Logger.current_logger().report_scalar("loss", "train", 1.0 / (i + 1), iteration=i)
task.get_logger().report_text("scaled {} numbers".format(len(scaled)))
task.upload_artifact("scaled", scaled)
`;

const STEP3 = `from clearml import Task
task = Task.init(project_name="demo", task_name="Pipeline step 3 train model")
args = {"dataset_task_id": "REPLACE_WITH_DATASET_TASK_ID"}
task.connect(args)
task.execute_remotely()
source = Task.get_task(task_id=args["dataset_task_id"])
print("artifacts", sorted(source.artifacts.keys()))
data = source.artifacts["scaled"].get()
print("sum", sum(data), "local", source.artifacts["scaled"].get_local_copy().endswith(".pkl"))
with open("model.pkl", "w") as f:  # the working folder is writable, as an agent's copy is
    f.write("model")
with open("numbers.json") as f:  # and the workspace's files read as they are
    print("wrote model.pkl beside", f.read())
task.get_logger().report_scalar("loss", "eval", 0.25, iteration=0)
`;

const PIPELINE = `from clearml import Task
from clearml.automation import PipelineController


def pre_execute_callback_example(a_pipeline, a_node, current_param_override):
    print("Cloning Task id={} with parameters: {}".format(a_node.base_task_id, current_param_override))
    return True


def post_execute_callback_example(a_pipeline, a_node):
    print("Completed Task id={}".format(a_node.executed))


pipe = PipelineController(name="Pipeline demo", project="demo", version="0.0.1", add_pipeline_tags=False)
pipe.add_parameter("url", "numbers.json", "dataset_url")
pipe.set_default_execution_queue("default")
pipe.add_step(name="stage_data", base_task_project="demo", base_task_name="Pipeline step 1 dataset artifact",
              parameter_override={"General/dataset_url": "\${pipeline.url}"})
pipe.add_step(name="stage_process", parents=["stage_data"], base_task_project="demo",
              base_task_name="Pipeline step 2 process dataset",
              parameter_override={"General/dataset_url": "\${stage_data.artifacts.dataset.url}", "General/scale": 10},
              pre_execute_callback=pre_execute_callback_example,
              post_execute_callback=post_execute_callback_example)
pipe.add_step(name="stage_train", parents=["stage_process"], base_task_project="demo",
              base_task_name="Pipeline step 3 train model",
              parameter_override={"General/dataset_task_id": "\${stage_process.id}"})

pipe.start()
print("done", pipe.get_pipeline_dag()["stage_train"].status)
`;

const TASKS = { 'pipeline.py': PIPELINE, 'numbers.json': '[1, 2, 3]', 'steps/step1_dataset_artifact.py': STEP1, 'steps/step2_data_processing.py': STEP2, 'steps/step3_train_model.py': STEP3 };

async function checkRun(id: string): Promise<void> {
  const run = h.track(await PipelineRun.inspect(id, await h.context()));
  assert.equal(run.tree.root.state, 'done');
  assert.match(lastLog(run, '/stage_train'), /artifacts \['scaled'\]\nsum 60 local True\nwrote model.pkl beside \[1, 2, 3\]/, 'General/scale=10 applied; the artifact passed by ${stage_process.id}');
  assert.match(lastLog(run, '/stage_process'), /Arguments: \{'dataset_task_id': '', 'dataset_url': '\/pipewright\/data\/clearml\/stage_data\/artifacts\/dataset\/numbers\.json', 'scale': 10\}/);
  const process = run.tree.get('/stage_process').executions.at(-1)!;
  assert.match(readLog(run, process.id), /\[pre_execute_callback of stage_process\]\nCloning Task id=\w+ with parameters: \{'General\/dataset_task_id': '', 'General\/dataset_url': '\/pipewright\/data\/clearml\/stage_data\/artifacts\/dataset\/numbers\.json', 'General\/scale': 10\}/, 'the callback prints in the step log (the script\'s connected defaults, overridden)');
  assert.match(readLog(run, process.id), /\[post_execute_callback of stage_process\]\nCompleted Task id=[\w-]+\.e\d+/);
  assert.deepEqual(process.step?.metrics?.scalars, { loss: { train: [[0, 1], [1, 0.5], [2, 1 / 3]] } }, 'reports kept with the execution');
  assert.deepEqual(process.step?.metrics?.texts, ['scaled 3 numbers']);
  assert.deepEqual(run.tree.get('/stage_train').executions.at(-1)!.step?.metrics?.scalars, { loss: { eval: [[0, 0.25]] } });
}

function readLog(run: PipelineRun, execution: string): string {
  // A step that printed nothing has no log file.
  return existsSync(run.space.log(execution).path) ? readFileSync(run.space.log(execution).path, 'utf8') : '';
}

test('a pipeline from task scripts through `pipewright run`: scripts found by Task.init, General/ overrides, ${step.id}, callback prints, reports', async () => {
  const env = await cliEnv();
  const file = workspace('tasks_run', TASKS);
  const result = await pipewrightRun(file, env);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stderr, /\/stage_process: pre_execute_callback of stage_process printed:\nCloning Task id=\w+ with parameters: \{'General\/dataset_task_id': '', 'General\/dataset_url': '\/pipewright/, 'the CLI shows what a callback prints');
  assert.match(result.stderr, /\/stage_process: post_execute_callback of stage_process printed:\nCompleted Task id=/);
  await checkRun(/pipeline ([a-z]+(?:-[a-z]+)+)/.exec(result.stdout)![1]!);
});

test('the same pipeline as `python3 pipeline.py`: start() waits for the steps, then the script goes on', async () => {
  const env = await cliEnv();
  const file = workspace('tasks_script', TASKS);
  const result = await pythonScript(file, env);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'done completed', 'nothing is printed before the steps ran');
  assert.match(result.stderr, /\/stage_process: pre_execute_callback of stage_process printed:\nCloning Task id=/);
  assert.match(result.stderr, /step stage_train: completed/);
  await checkRun(/pipeline ([a-z]+(?:-[a-z]+)+) started/.exec(result.stderr)![1]!);
});

test('`python3 pipeline.py` whose pipeline fails exits 1 and prints nothing after start(); a URL that cannot be reached is named', async () => {
  const env = await cliEnv();
  const file = workspace('tasks_fail', {
    'pipeline.py': PIPELINE.replace('"numbers.json", "dataset_url"', '"http://127.0.0.1:9/iris_dataset.pkl", "dataset_url"').replace('print("done"', 'print("pipeline completed"'),
    'steps/step1.py': STEP1,
    'steps/step2.py': STEP2,
    'steps/step3.py': STEP3,
  });
  const result = await pythonScript(file, env);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /step stage_data: failed \(exit 1; pipewright logs [a-z-]+ \/stage_data\)\n(?: {2}\| .*\n)* {2}\| .*StorageError: StorageManager\.get_local_copy: cannot download http:\/\/127\.0\.0\.1:9\/iris_dataset\.pkl/, 'the console says why the step failed');
  const id = /pipeline ([a-z]+(?:-[a-z]+)+) started/.exec(result.stderr)![1]!;
  const run = h.track(await PipelineRun.inspect(id, await h.context()));
  assert.match(lastLog(run, '/stage_data'), /StorageError: StorageManager.get_local_copy: cannot download http:\/\/127\.0\.0\.1:9\/iris_dataset\.pkl: /);
});

test('function steps: a Dataset made by one step is read by the next; a decorator without functools.wraps runs as decorated', async () => {
  const env = await cliEnv();
  const file = workspace('functions', {
    'pipeline.py': `from clearml import PipelineController


def our_decorator(func):
    def function_wrapper(*args, **kwargs):
        return func(*args, **kwargs) + 1
    return function_wrapper


@our_decorator
def step():
    return 1


def evaluate(step_return):
    assert step_return == 2, step_return


def create_dataset(project: str):
    from clearml import Dataset
    with open("./dataset.csv", "w") as f:
        f.write("a,b\\n1,2\\n")
    dataset = Dataset.create(dataset_project=project, dataset_name="mock")
    dataset.add_files("./dataset.csv")
    dataset.get_logger().report_table(title="sample", series="head", table_plot=[["a", "b"], ["1", "2"]])
    dataset.finalize(auto_upload=True)
    return dataset.id


def read_dataset(dataset_id: str):
    import os
    from clearml import Dataset
    dataset = Dataset.get(dataset_id=dataset_id)
    with open(os.path.join(dataset.get_local_copy(), "dataset.csv")) as f:
        print("read", dataset.project, dataset.name, f.read().split())


if __name__ == "__main__":
    pipeline = PipelineController(name="test_decorated", project="test_decorated")
    pipeline.add_function_step(name="step", function=step, function_return=["step_return"])
    pipeline.add_function_step(name="evaluate", function=evaluate, function_kwargs=dict(step_return="\${step.step_return}"))
    pipeline.add_function_step(name="create", function=create_dataset, function_kwargs={"project": "demo"}, function_return=["dataset_id"])
    pipeline.add_function_step(name="read", function=read_dataset, function_kwargs={"dataset_id": "\${create.dataset_id}"})
    pipeline.start_locally(run_pipeline_steps_locally=True)
    print("pipeline completed")
`,
  });
  const result = await pythonScript(file, env);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'pipeline completed');
  const id = /pipeline ([a-z]+(?:-[a-z]+)+) started/.exec(result.stderr)![1]!;
  const run = h.track(await PipelineRun.inspect(id, await h.context()));
  assert.equal(run.tree.get('/evaluate').state, 'done');
  assert.match(lastLog(run, '/read'), /read demo mock \['a,b', '1,2'\]/);
  assert.deepEqual(run.tree.get('/create').executions.at(-1)!.step?.metrics?.tables, [{ title: 'sample', series: 'head', rows: [['a', 'b'], ['1', '2']] }]);
});

test('`python3 step.py` whose task calls execute_remotely() runs as a one-step pipeline in a container; its exit status is the step\'s', async () => {
  const env = await cliEnv();
  const script = `from clearml import Task
task = Task.init(project_name="demo", task_name="remote task")
args = {"scale": 3, "fail": False}
task.connect(args)
task.execute_remotely(queue_name="default")
print("remote args", args, "running locally:", Task.running_locally())
if args["fail"]:
    raise SystemExit(5)
`;
  const ok = h.write('remote/ok_task.py', script);
  const result = await pythonScript(ok, env);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.doesNotMatch(result.stdout, /remote args/, 'the local process ran nothing after execute_remotely()');
  const id = /pipeline ([a-z]+(?:-[a-z]+)+)/.exec(result.stdout)![1]!;
  const run = h.track(await PipelineRun.inspect(id, await h.context()));
  assert.match(lastLog(run, '/remote_task'), /^remote args \{'scale': 3, 'fail': False\} running locally: False$/m);

  const failing = h.write('remote/failing_task.py', script.replace('"fail": False', '"fail": True'));
  const failed = await pythonScript(failing, env);
  assert.equal(failed.code, 1, failed.stderr + failed.stdout);
  assert.match(failed.stdout, /error\s+\/remote_task \(exit 5\)/);
});

test('a cached step that runs a task script runs again once the script changed', async () => {
  const pipeline = `from clearml import PipelineController
pipe = PipelineController(name="cached", project="demo", version="1")
pipe.add_step(name="s", base_task_project="demo", base_task_name="cached script", cache_executed_step=True)
`;
  const script = (word: string) => `from clearml import Task\ntask = Task.init(project_name="demo", task_name="cached script")\ntask.get_logger().report_scalar("t", "s", 1.5, iteration=0)\nprint("${word}")\n`;
  const file = workspace('cached_script', { 'pipeline.py': pipeline, 'work.py': script('first') });
  const first = await h.run(file);
  assert.match(lastLog(first.run, '/s'), /first/);
  await first.run.close();
  const again = await h.run(file);
  assert.equal(again.run.tree.get('/s').executions.at(-1)!.cached, true, 'the same script: a cache hit');
  assert.deepEqual(again.run.tree.get('/s').executions.at(-1)!.step?.metrics?.scalars, { t: { s: [[0, 1.5]] } }, 'a cached execution has the reports it reused');
  await again.run.close();
  workspace('cached_script', { 'work.py': script('second') });
  const edited = await h.run(file);
  const e = edited.run.tree.get('/s').executions.at(-1)!;
  assert.notEqual(e.cached, true, 'an edited script is no cache hit');
  assert.match(lastLog(edited.run, '/s'), /second/);
  await edited.run.close();
});

test('start(wait=False): the script goes on at once; a pipeline that fails after the script ended still makes its exit status 1', async () => {
  const env = await cliEnv();
  const file = workspace('nowait', {
    'pipeline.py': `from clearml import PipelineController, Task
Task.create(project_name="p", task_name="t", command="sleep 1; exit \${Args/code}", parameters={"code": 0})
pipe = PipelineController("nowait", "p", "1")
pipe.add_step("a", base_task_project="p", base_task_name="t", parameter_override={"Args/code": 4})

if __name__ == "__main__":
    pipe.start(wait=False)
    print("started", pipe.is_running())
`,
  });
  const result = await pythonScript(file, env);
  assert.equal(result.stdout.trim(), 'started True');
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /step a: failed/);
});

test('a post_execute_callback gets the executed task: Task.get_task(task_id=node.executed).artifacts', async () => {
  const env = await cliEnv();
  const file = workspace('post_get_task', {
    'pipeline.py': `from clearml import PipelineController, Task


def make():
    return {"rows": 3}


def post(pipeline, node):
    executed = Task.get_task(task_id=node.executed)
    print("executed", node.executed == executed.id, sorted(executed.artifacts), executed.artifacts["data"].get())


pipe = PipelineController("post", "p", "1")
pipe.add_function_step("make", make, function_return=["data"], post_execute_callback=post)

if __name__ == "__main__":
    pipe.start()
`,
  });
  const result = await pipewrightRun(file, env);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stderr, /\/make: post_execute_callback of make printed:\nexecuted True \['data'\] \{'rows': 3\}/);
});
