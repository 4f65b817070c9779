"""ClearML fidelity beyond the controller (issue 12): the import paths users write, task scripts
found in the workspace by their Task.init(project, name), connect() sections, StorageManager,
Logger reports, Dataset, OutputModel, decorated function steps, callback prints."""
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

from pipewright.clearml import Task  # noqa: E402
from pipewright.clearml.dataset import Dataset  # noqa: E402
from pipewright.clearml.logger import Logger  # noqa: E402
from pipewright.clearml.model import OutputModel  # noqa: E402
from pipewright.clearml.storage import StorageError, StorageManager  # noqa: E402


def py(code, cwd=None, env=None):
    return subprocess.run([sys.executable, "-c", code], cwd=cwd or h.REPO, env=h._env(env),
                          capture_output=True, text=True, timeout=60)


class ImportPaths(unittest.TestCase):
    def test_the_import_paths_clearml_users_write(self):
        proc = py("from clearml.automation import PipelineController\n"
                  "from clearml.automation.controller import PipelineController as P2\n"
                  "from clearml import TaskTypes, Task, StorageManager, Logger, Dataset, "
                  "OutputModel\n"
                  "print(PipelineController is P2, TaskTypes.training, "
                  "Task.TaskTypes.data_processing == 'data_processing', "
                  "Logger.current_logger() is Logger.current_logger())")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "True training True True")


STEP_SCRIPT = """\
from clearml import Task
task = Task.init(project_name="examples", task_name="Step two")
args = {"dataset_url": "", "test_size": 0.2, "seed": 1}
task.connect(args)
extra = {"depth": 3}
task.connect(extra, name="Model")
task.execute_remotely()
print("args", args, extra)
"""

TASKS_PIPELINE = """\
from clearml import Task
from clearml.automation import PipelineController
pipe = PipelineController(name="from tasks", project="examples", version="1")
pipe.add_step(name="two", base_task_project="examples", base_task_name="Step two",
              parameter_override={"General/dataset_url": "x.pkl", "General/test_size": 0.25,
                                  "Model/depth": 5})
pipe.add_step(name="three", parents=["two"], base_task_project="examples",
              base_task_name="Step two", parameter_override={"General/dataset_url": "${two.id}"})
pipe.add_step(name="named", base_task_project="examples", base_task_name="Step three")
pipe.start()
"""


class TaskScripts(unittest.TestCase):
    def test_a_step_named_by_project_and_task_name_runs_the_script_that_inits_it(self):
        with h.TempDir() as d:
            os.makedirs(os.path.join(d.path, "steps"))
            d.write("steps/two.py", STEP_SCRIPT)
            d.write("unrelated.py", 'from clearml import Task\nTask.init("other", "Step two")\n')
            d.write("named.py", 'from clearml import Task\nPROJECT = "examples"\n'
                                'if __name__ == "__main__":\n'
                                '    t = Task.init(project_name=PROJECT, task_name="Step three")\n'
                                '    conf = {"k": 1}\n'
                                '    t.connect(conf, name="Conf")\n')
            path = d.write("pipeline.py", TASKS_PIPELINE)
            doc = h.run_cli(path, "--json", cwd=d.path)
            self.assertEqual(doc.returncode, 0, doc.stderr)
            nodes = {n["path"]: n for n in json.loads(doc.stdout)["nodes"]}
            two = nodes["/two"]
            self.assertEqual(two["command"], "python3 steps/two.py")
            self.assertFalse(two["step"]["args_from_parameters"])
            self.assertEqual(two["step"]["parameters"], {
                "General/dataset_url": "x.pkl", "General/test_size": 0.25, "General/seed": 1,
                "Model/depth": 5})
            self.assertEqual(nodes["/three"]["parents"], ["/two"])
            self.assertEqual(nodes["/named"]["command"], "python3 named.py",
                             "a module-level name bound to a string counts as the string")
            self.assertEqual(nodes["/named"]["step"]["parameters"], {"Conf/k": 1})
            import hashlib
            self.assertEqual(two["step"]["script"], {
                "file": "steps/two.py",
                "code_hash": hashlib.sha256(STEP_SCRIPT.encode()).hexdigest()},
                "the step cache key has the script's hash")

    def test_get_task_by_project_and_name_finds_the_script_at_definition_time(self):
        with h.TempDir() as d:
            d.write("two.py", STEP_SCRIPT)
            path = d.write("pipeline.py", """\
                from clearml import Task
                from clearml.automation import PipelineController
                base = Task.get_task(project_name="examples", task_name="Step two")
                pipe = PipelineController(name="by id", project="examples", version="1")
                pipe.add_step(name="two", base_task_id=base.id)
                pipe.start()
                """)
            doc = h.run_cli(path, "--json", cwd=d.path)
            self.assertEqual(doc.returncode, 0, doc.stderr)
            nodes = {n["path"]: n for n in json.loads(doc.stdout)["nodes"]}
            self.assertEqual(nodes["/two"]["command"], "python3 two.py")

    def test_no_script_or_two_scripts_are_errors_at_the_step(self):
        with h.TempDir() as d:
            path = d.write("pipeline.py", TASKS_PIPELINE)
            result = h.run_cli(path, cwd=d.path)
            self.assertEqual(result.returncode, 3)
            self.assertIn("pipeline.py:4", result.stderr)
            self.assertIn("Task.init(project_name='examples', task_name='Step two')",
                          result.stderr)
            d.write("a.py", STEP_SCRIPT)
            d.write("b.py", STEP_SCRIPT)
            result = h.run_cli(path, cwd=d.path)
            self.assertEqual(result.returncode, 3)
            self.assertIn("several scripts call Task.init('examples', 'Step two'): a.py:2, b.py:2",
                          result.stderr)


class ExecuteRemotely(unittest.TestCase):
    def test_a_script_that_executes_remotely_is_a_one_step_pipeline_for_the_runner(self):
        with h.TempDir() as d:
            path = d.write("step2.py", STEP_SCRIPT)
            doc = h.run_cli(path, "--json", cwd=d.path)
            self.assertEqual(doc.returncode, 0, doc.stderr)
            nodes = {n["path"]: n for n in json.loads(doc.stdout)["nodes"]}
            self.assertEqual(sorted(nodes), ["/", "/Step_two"])
            self.assertEqual(nodes["/Step_two"]["command"], "python3 step2.py")
            self.assertEqual(nodes["/Step_two"]["step"]["parameters"], {
                "General/dataset_url": "", "General/test_size": 0.2, "General/seed": 1,
                "Model/depth": 3}, "the parameters it connected before")
            self.assertNotIn("args {", doc.stdout, "nothing after execute_remotely() ran")

    def test_run_by_hand_without_the_cli_it_says_why_it_cannot_hand_over(self):
        with h.TempDir() as d:
            path = d.write("step2.py", STEP_SCRIPT)
            result = h.run_script(path, env={"PIPEWRIGHT_CLI": os.path.join(d.path, "none.js")},
                                  cwd=d.path)
            self.assertEqual(result.returncode, 1)
            self.assertIn("execute_remotely(): cannot run the pipeline: the Pipewright CLI was "
                          "not found", result.stderr)
            self.assertNotIn("args {", result.stdout)


class InAStep(unittest.TestCase):
    """Task, Logger and friends inside a step (the wrapper's input file stands in for the runner)."""

    def setUp(self):
        self.tmp = h.TempDir().__enter__()
        self.saved = dict(os.environ)
        Task._current = None
        Logger._current = None

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self.saved)
        Task._current = None
        self.tmp.__exit__(None, None, None)

    def enter_step(self, parameters):
        path = os.path.join(self.tmp.path, "input.json")
        step_dir = os.path.join(self.tmp.path, "data", "clearml", "s")
        os.makedirs(os.path.join(step_dir, "artifacts"))
        with open(path, "w") as f:
            json.dump({"id": "pipe.e1", "name": "s", "parameters": parameters,
                       "dir": step_dir}, f)
        os.environ.update({"PIPEWRIGHT_STEP_INPUT": path,
                           "PIPEWRIGHT_DATA": os.path.join(self.tmp.path, "data"),
                           "PIPEWRIGHT_STEP_ARTIFACTS": os.path.join(step_dir, "artifacts")})
        return step_dir

    def test_connect_sections_general_named_and_argparse(self):
        self.enter_step({"General/lr": "0.5", "Model/depth": 7, "Args/epochs": "3",
                         "Args/old": "9"})
        task = Task.init("p", "t")
        self.assertFalse(Task.running_locally())
        self.assertIsNone(task.execute_remotely())
        args = task.connect({"lr": 0.1, "old": 1, "new": "n"})
        self.assertEqual(args, {"lr": 0.5, "old": 9, "new": "n"},
                         "General/ first; Args/ as Task.create names plain keys")
        self.assertEqual(task.connect({"depth": 1}, name="Model"), {"depth": 7})
        import argparse
        ns = argparse.Namespace(epochs=1)
        self.assertEqual(task.connect(ns).epochs, 3)
        self.assertEqual(task.get_parameters()["General/new"], "n")
        self.assertIs(Task.current_task(), task)

    def test_get_task_follows_no_link_a_step_left_in_the_data_folder(self):
        self.enter_step({})
        data = os.environ["PIPEWRIGHT_DATA"]
        secret = self.tmp.write("secret.json", '{"id": "x.e9", "artifacts": {}}')
        os.makedirs(os.path.join(data, "clearml", "evil"))
        os.symlink(secret, os.path.join(data, "clearml", "evil", "result.json"))
        os.makedirs(os.path.join(data, "clearml", "out"))
        with open(os.path.join(data, "clearml", "out", "result.json"), "w") as f:
            json.dump({"id": "x.e2", "artifacts": {"escape": {"file": "../../../secret.json"},
                                                   "fine": {"file": "artifacts/f.txt"}}}, f)
        with self.assertRaises(ValueError):
            Task.get_task(task_id="x.e9")
        self.assertEqual(sorted(Task.get_task(task_id="x.e2").artifacts), ["fine"])

    def test_logger_reports_go_to_the_steps_metrics_file(self):
        step_dir = self.enter_step({})
        logger = Task.init("p", "t").get_logger()
        self.assertIs(logger, Logger.current_logger())
        for i in range(3):
            logger.report_scalar("loss", "train", 1.0 / (i + 1), iteration=i)
        logger.report_scalar("loss", "test", float("nan"), iteration=0)
        logger.report_single_value("accuracy", 0.9)
        logger.report_text("hello", print_console=False)
        logger.report_table("sample", "head", table_plot=[["a", "b"], [1, 2]])
        with open(os.path.join(step_dir, "metrics.jsonl")) as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual([(r["type"], r.get("value")) for r in lines], [
            ("scalar", 1.0), ("scalar", 0.5), ("scalar", 1.0 / 3), ("scalar", None),
            ("single", 0.9), ("text", None), ("table", None)])
        self.assertEqual(lines[-1]["rows"], [["a", "b"], ["1", "2"]])

    def test_storage_manager_offline_store_and_errors(self):
        self.enter_step({})
        local = self.tmp.write("f.txt", "hi")
        self.assertEqual(StorageManager.get_local_copy(local), local)
        self.assertEqual(StorageManager.get_local_copy("file://" + local), local)
        url = "s3://bucket/folder/f.txt"
        self.assertEqual(StorageManager.upload_file(local, url), url)
        with open(StorageManager.get_local_copy(url)) as f:
            self.assertEqual(f.read(), "hi", "a file uploaded in this run comes back offline")
        with self.assertRaises(StorageError) as caught:
            StorageManager.get_local_copy("http://127.0.0.1:9/no/such.pkl")
        self.assertIn("cannot download http://127.0.0.1:9/no/such.pkl", str(caught.exception))
        with self.assertRaises(StorageError) as caught:
            StorageManager.get_local_copy(os.path.join(self.tmp.path, "missing"))
        self.assertIn("missing", str(caught.exception))

    def test_storage_manager_downloads_a_reachable_url(self):
        self.enter_step({})
        os.makedirs(os.path.join(self.tmp.path, "served"))
        self.tmp.write("served/data.csv", "a,b\n1,2\n")

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass
        handler = functools.partial(Quiet, directory=os.path.join(self.tmp.path, "served"))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = "http://127.0.0.1:%d/data.csv" % server.server_address[1]
            path = StorageManager.get_local_copy(url)
            with open(path) as f:
                self.assertEqual(f.read(), "a,b\n1,2\n")
            self.assertTrue(path.startswith(os.path.join(self.tmp.path, "data")),
                            "cached in the run's store")
        finally:
            server.shutdown()
            server.server_close()

    def test_dataset_create_add_finalize_get_and_parents(self):
        self.enter_step({})
        os.makedirs(os.path.join(self.tmp.path, "in"))
        first = self.tmp.write("in/dataset.csv", "1,2\n")
        ds = Dataset.create(dataset_project="proj", dataset_name="mock")
        self.assertEqual(ds.add_files(first), 1)
        ds.get_logger().report_text("made", print_console=False)
        ds.finalize(auto_upload=True)
        got = Dataset.get(dataset_id=ds.id)
        with open(os.path.join(got.get_local_copy(), "dataset.csv")) as f:
            self.assertEqual(f.read(), "1,2\n")
        self.assertEqual((got.project, got.name), ("proj", "mock"))
        self.tmp.write("in/extra.csv", "3\n")
        child = Dataset.create(dataset_project=got.project, dataset_name="mock v2",
                               parent_datasets=[got])
        child.add_files(os.path.join(self.tmp.path, "in", "extra.csv"))
        with self.assertRaises(ValueError):
            child.finalize()
        child.upload()
        child.finalize()
        self.assertEqual(sorted(os.listdir(child.get_local_copy())), ["dataset.csv", "extra.csv"])
        self.assertEqual(Dataset.get(dataset_project="proj", dataset_name="mock v2").id, child.id)
        with self.assertRaises(ValueError) as caught:
            Dataset.get(dataset_id="nope")
        self.assertIn("'nope'", str(caught.exception))

    def test_output_model_keeps_its_file_as_an_artifact(self):
        self.enter_step({})
        weights = self.tmp.write("w.bin", "w")
        model = OutputModel(task=Task.init("p", "t"), name="best")
        path = model.update_weights(weights_filename=weights)
        self.assertTrue(os.path.isfile(path))
        self.assertIn(os.path.join("artifacts", "model-best"), path)
        self.assertTrue(model.id)
        self.assertIs(Task.current_task().reload().models["output"][-1], model)


def our_decorator(func):
    def function_wrapper(*args, **kwargs):
        return func(*args, **kwargs) + 1
    return function_wrapper


class DecoratedFunctions(unittest.TestCase):
    def test_a_decorator_without_functools_wraps_is_accepted_and_runs_decorated(self):
        with h.TempDir() as d:
            path = d.write("pipeline.py", """\
                from clearml import PipelineController

                def our_decorator(func):
                    def function_wrapper(*args, **kwargs):
                        return func(*args, **kwargs) + 1
                    return function_wrapper

                @our_decorator
                def step(x=1):
                    return x

                pipeline = PipelineController(name="test_decorated", project="test_decorated")
                pipeline.add_function_step(name="step", function=step, function_kwargs={"x": 5},
                                           function_return=["step_return"])
                pipeline.start_locally(run_pipeline_steps_locally=True)
                """)
            doc = h.run_cli(path, "--json", cwd=d.path)
            self.assertEqual(doc.returncode, 0, doc.stderr)
            node = {n["path"]: n for n in json.loads(doc.stdout)["nodes"]}["/step"]
            self.assertEqual(node["step"]["function"]["name"], "step")
            self.assertEqual(node["step"]["parameters"], {"kwargs/x": 5})
            # The wrapper calls the definition's `step`: the decorated function (5 + 1).
            data = os.path.join(d.path, "data")
            step_dir = os.path.join(data, "clearml", "step")
            with open(os.path.join(d.path, "input.json"), "w") as f:
                json.dump({"id": "x.e1", "name": "step", "kind": "function",
                           "parameters": {"kwargs/x": 5}, "dir": step_dir,
                           "function": {"file": path, "name": "step",
                                        "returns": ["step_return"]}}, f)
            proc = subprocess.run(
                [sys.executable, "-m", "pipewright.clearml.step"], cwd=d.path,
                capture_output=True, text=True, timeout=60,
                env=h._env({"PIPEWRIGHT_STEP_INPUT": os.path.join(d.path, "input.json"),
                            "PIPEWRIGHT_DATA": data}))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(os.path.join(step_dir, "result.json")) as f:
                self.assertEqual(json.load(f)["artifacts"]["step_return"]["preview"], "6")


class CallbackPrints(unittest.TestCase):
    def test_what_a_callback_prints_comes_back_with_its_answer(self):
        with h.TempDir() as d:
            path = d.write("p.py", """\
                from clearml import PipelineController, Task
                Task.create(project_name="p", task_name="t", command="true")
                def pre(pipeline, node, parameters):
                    print("Cloning Task id={} with parameters: {}".format(node.base_task_id,
                                                                          parameters))
                pipe = PipelineController("p", "p", "1")
                pipe.add_step("a", base_task_name="t", pre_execute_callback=pre)
                if __name__ == "__main__":
                    pipe.start()
                """)
            proc = subprocess.run(
                [sys.executable, "-m", "pipewright.clearml.host", path, "p"], cwd=d.path,
                input='{"id": 1, "op": "pre", "step": "a", "parameters": {"Args/x": 1}}\n',
                capture_output=True, text=True, timeout=60, env=h._env(None))
            reply = json.loads(proc.stdout.splitlines()[1])
            self.assertRegex(reply["output"], r"^Cloning Task id=\w+ with parameters: "
                                              r"\{'Args/x': 1\}\n$")
            self.assertEqual(reply["parameters"], {"Args/x": 1})


if __name__ == "__main__":
    unittest.main()
