"""PipelineController and Task (pipewright.clearml): the pipeline they export, definition errors,
the in-container step wrapper, the callback host and the event bookkeeping of start()."""
import io
import json
import os
import pickle
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

from pipewright import export  # noqa: E402
from pipewright.clearml import PipelineController, Task, controller, host, launch, overrides, step  # noqa
from pipewright.clearml.task import Artifact, store_artifact  # noqa: E402

EXAMPLE = os.path.join(h.EXAMPLES, "clearml", "pipeline.py")

BASE = """\
from pipewright import PipelineController, Task
Task.create(project_name="p", task_name="t", command="echo ${Args/x}", parameters={"x": 1})
pipe = PipelineController("demo", "p", "1")
"""


def nodes_of(document):
    return {n["path"]: n for n in json.loads(document)["nodes"]}


class Export(unittest.TestCase):
    def test_example_tree_and_json(self):
        result = h.run_cli(EXAMPLE)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines()[1:], [
            "├─ data   python3 -m pipewright.clearml.step pipeline.py make_dataset",
            "├─ train_slow   python3 train.py",
            "├─ train_mid   python3 train.py",
            "├─ train_fast   python3 train.py",
            "└─ pick_best   python3 -m pipewright.clearml.step pipeline.py pick_best"])
        doc = h.run_cli(EXAMPLE, "--json")
        self.assertEqual(doc.returncode, 0, doc.stderr)
        nodes = nodes_of(doc.stdout)
        root = nodes["/"]
        self.assertEqual(root["type"], "Parallel")
        self.assertEqual(root["controller"]["name"], "linear regression")
        self.assertEqual(root["controller"]["parameters"], {"samples": 200})
        self.assertEqual(root["controller"]["default_queue"], "default")
        train = nodes["/train_mid"]
        self.assertEqual(train["parents"], ["/data"], "a reference makes a parent")
        self.assertEqual(train["step"]["kind"], "task")
        self.assertEqual(train["step"]["parameters"], {
            "Args/dataset": "${data.artifacts.dataset.url}", "Args/epochs": 50, "Args/lr": 0.1})
        self.assertTrue(train["step"]["args_from_parameters"])
        self.assertTrue(train["step"]["cache"])
        pick = nodes["/pick_best"]
        self.assertEqual(pick["parents"], ["/train_slow", "/train_mid", "/train_fast"])
        self.assertEqual(pick["step"]["function"]["returns"], ["best", "errors"])
        self.assertEqual(pick["step"]["function"]["file"], "pipeline.py")
        self.assertEqual(nodes["/data"]["step"]["parameters"],
                         {"kwargs/samples": "${pipeline.samples}", "kwargs/seed": 7})

    def test_step_options_become_params_and_step_fields(self):
        ns = h.define(BASE + """
pipe.add_step("a", base_task_project="p", base_task_name="t", time_limit=30,
              continue_on_fail=True, retry_on_failure=2, execution_queue="gpu",
              pre_execute_callback=lambda p, n, params: None)
pipe.add_step("b", base_task_id=Task.get_task(project_name="p", task_name="t").id,
              parameter_override={"x": "${a.id}"},
              continue_behaviour={"skip_children_on_fail": False},
              retry_on_failure=lambda p, n, r: False)
""")
        pipe = ns["pipe"]
        nodes = nodes_of(pipe.to_json())
        a, b = nodes["/a"], nodes["/b"]
        self.assertEqual(a["params"]["max_time"], 30)
        self.assertTrue(a["params"]["suppress_errors"])
        self.assertEqual((a["step"]["retry"], a["step"]["retry_callback"]), (2, False))
        self.assertEqual(a["step"]["queue"], "gpu")
        self.assertEqual(a["step"]["callbacks"], {"pre": True, "post": False, "status": False})
        self.assertEqual(b["parents"], ["/a"])
        self.assertEqual(b["step"]["parameters"], {"Args/x": "${a.id}"})
        self.assertFalse(b["step"]["skip_children_on_fail"])
        self.assertTrue(b["step"]["retry_callback"])
        dag = pipe.get_pipeline_dag()
        self.assertEqual(dag["b"].parents, ["a"])
        self.assertEqual(dag["a"].queue, "gpu")
        self.assertEqual(pipe.get_processed_nodes(), [])
        self.assertFalse(pipe.is_running())
        self.assertLess(pipe.elapsed(), 0)


class Errors(unittest.TestCase):
    def test_unknown_template(self):
        # Reported once the pipeline is complete (with its other errors), at the add_step line.
        h.definition_error(self, BASE + 'pipe.add_step("a", base_task_name="nope")\n', 4,
                           "no task */nope: create it with Task.create, or put a script",
                           after=lambda ns: export.pipeline_json(ns["pipe"], "p", "/p.py"))

    def test_a_missing_template_and_a_cycle_are_both_reported(self):
        with h.TempDir() as d:
            path = d.write("p.py", BASE + 'pipe.add_step("a", base_task_name="nope", parents=["b"])\n'
                           'pipe.add_step("b", base_task_name="t", parents=["a"])\n')
            result = h.run_cli(path, "--json", "--errors=json")
            self.assertEqual(result.returncode, 3, result.stderr)
            error = h.last_json_line(result.stderr)["error"]
            self.assertEqual((error["file"], error["line"]), (path, 4))
            self.assertIn("no task */nope", error["message"])
            [cycle] = error["also"]
            self.assertEqual((cycle["file"], cycle["kind"]), (path, "definition"))
            self.assertIn("cycle among parents under /: a -> b -> a", cycle["message"])
            # The text report names both, each at its line.
            self.assertIn("%s:4: add_step('a'): no task */nope" % path, result.stderr)
            self.assertIn("%s:%d: cycle among parents" % (path, cycle["line"]), result.stderr)

    def test_bad_options(self):
        h.definition_error(self, BASE + 'pipe.add_step("a", base_task_name="t", retry_on_failure=-1)\n',
                           4, "retry_on_failure=-1 is invalid")
        h.definition_error(self, BASE + 'pipe.add_step("a", base_task_name="t", time_limit=0)\n',
                           4, "time_limit=0 is invalid")
        h.definition_error(self, BASE + 'pipe.add_step("a", base_task_name="t", '
                           'continue_behaviour={"go_on": True})\n', 4,
                           "unknown continue_behaviour key 'go_on'")
        h.definition_error(self, BASE + 'pipe.add_step("a", base_task_name="t")\n'
                           'pipe.add_step("a", base_task_name="t")\n', 5, "duplicate step name 'a'")

    def test_task_create_needs_a_command(self):
        h.definition_error(self, 'from clearml import Task\nTask.create(task_name="x")\n', 2,
                           "needs command= (a shell command) or script=")

    def test_reference_to_an_unknown_step_is_reported_at_the_step(self):
        with h.TempDir() as d:
            path = d.write("p.py", BASE + 'pipe.add_step("a", base_task_name="t", '
                           'parameter_override={"x": "${ghost.artifacts.y.url}"})\n'
                           'pipe.add_step("b", base_task_name="t")\n')
            result = h.run_cli(path, "--json", "--errors=json")
            self.assertEqual(result.returncode, 3)
            error = h.last_json_line(result.stderr)["error"]
            self.assertEqual((error["file"], error["line"], error["kind"]), (path, 4, "definition"))
            self.assertEqual(error["message"], "step 'a' refers to ${ghost.artifacts.y.url}, but "
                             "there is no step 'ghost' in this pipeline (steps: a, b)")

    def test_a_reference_may_name_a_step_added_later_which_must_have_it(self):
        code = BASE + "def make():\n    return 1\n\n"
        code += 'pipe.add_step("first", base_task_name="t", parameter_override={"x": "${later.n}"})\n'
        line = code.count("\n")
        ok = code + 'pipe.add_function_step("later", make, function_return=["n"])\n'
        ns = h.define(ok)
        self.assertEqual(nodes_of(ns["pipe"].to_json())["/first"]["parents"], ["/later"])
        # An unknown return value of a function step added later: reported when it is complete.
        bad = code + 'pipe.add_function_step("later", make, function_return=["m"])\n'
        h.definition_error(self, bad, line, "step 'later' has no return value 'n' (function_return: m)",
                           after=lambda ns: ns["pipe"].to_json())
        h.definition_error(self, code, line, "there is no step 'later' in this pipeline (steps: first)",
                           after=lambda ns: ns["pipe"].to_json())

    def test_models_references_are_refused(self):
        code = BASE + 'pipe.add_step("a", base_task_name="t")\n'
        for ref in ("${a.models.output.-1.url}", "${later.models.input.0.url}"):
            h.definition_error(self, code + 'pipe.add_step("b", base_task_name="t", '
                               'parameter_override={"x": "%s"})\n' % ref, 5,
                               "models are not supported (there is no model registry)")

    def test_unknown_pipeline_parameter(self):
        code = BASE + 'pipe.add_parameter("n", 1)\n'
        code += 'pipe.add_step("a", base_task_name="t", parameter_override={"x": "${pipeline.m}"})\n'
        h.definition_error(self, code, 5, "step 'a' refers to ${pipeline.m}, but the pipeline has "
                           "no parameter 'm' (add_parameter: n)", after=lambda ns: ns["pipe"].to_json())

    def test_reference_to_an_unknown_return_or_field_is_reported_at_the_step(self):
        code = BASE + "def make():\n    return 1\n\ndef use(v):\n    return v\n\n"
        code += 'pipe.add_function_step("a", make, function_return=["n"])\n'
        code += 'pipe.add_step("t1", base_task_name="t")\n'
        lines = code.count("\n") + 1
        h.definition_error(self, code + 'pipe.add_function_step("b", use, function_kwargs={"v": "${a.missing}"})\n',
                           lines, "step 'a' has no return value 'missing' (function_return: n)")
        h.definition_error(self, code + 'pipe.add_function_step("b", use, function_kwargs={"v": "${t1.result}"})\n',
                           lines, "step 't1' is a task step")
        h.definition_error(self, code + 'pipe.add_step("c", base_task_name="t", parameter_override={"x": "${a.artifacts}"})\n',
                           lines, "artifacts needs a name")
        # What a step has is fine: a return value, id, artifacts.NAME, parameters.NAME.
        ok = code + 'pipe.add_function_step("b", use, function_kwargs={"v": "${a.n}"})\n'
        ok += 'pipe.add_step("c", base_task_name="t", parameter_override={"x": "${t1.id} ${t1.artifacts.m.url} ${a.parameters.kwargs/q}"})\n'
        h.define(ok, filename="/virtual/ok.py")

    def test_function_step_checks(self):
        code = BASE + "def f(a, b=2):\n    return a\n"
        h.definition_error(self, code + 'pipe.add_function_step("s", f)\n', 6,
                           "f() needs a (function_kwargs)")
        h.definition_error(self, code + 'pipe.add_function_step("s", f, function_kwargs={"c": 1})\n',
                           6, "f() has no parameter 'c'")
        h.definition_error(self, code + 'pipe.add_function_step("s", f, function_kwargs='
                           '{"a": object()})\n', 6, "is not JSON-serializable")

    def test_start_while_evaluated_stops_the_evaluation(self):
        with h.TempDir() as d:
            path = d.write("p.py", BASE + 'pipe.add_step("a", base_task_name="t")\n'
                           'if __name__ == "__main__":\n    pipe.start()\n    raise SystemExit(9)\n')
            result = h.run_cli(path, "--json")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("/a", nodes_of(result.stdout))


PARAMS = BASE + """\
pipe.add_parameter("samples", 200)
pipe.add_parameter("rate", 0.5)
pipe.add_parameter("fast", False)
pipe.add_parameter("name", "x")
pipe.add_parameter("tags", [], param_type="list")
pipe.add_step("a", base_task_name="t", parameter_override={"x": "${pipeline.samples}"})
"""


class Parameters(unittest.TestCase):
    """Pipeline parameters given to a run: --param NAME=VALUE."""

    def test_param_overrides_the_exported_value_cast_to_the_default_type(self):
        with h.TempDir() as d:
            path = d.write("p.py", PARAMS)
            result = h.run_cli(path, "--param", "samples=5", "--param=fast=yes", "--param",
                               "name=a=b", "--param", 'tags=["t"]', "--json")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(nodes_of(result.stdout)["/"]["controller"]["parameters"],
                             {"samples": 5, "rate": 0.5, "fast": True, "name": "a=b", "tags": ["t"]})
            self.assertEqual(nodes_of(result.stdout)["/a"]["step"]["parameters"],
                             {"Args/x": "${pipeline.samples}"}, "resolved by the runner")

    def test_bad_params_are_errors_at_the_line_that_explains_them(self):
        with h.TempDir() as d:
            path = d.write("p.py", PARAMS)
            cases = [(("--param", "samples=many"), 4, "--param samples=many: invalid literal for int()"),
                     (("--param", "rate=fast"), 5, "--param rate=fast: could not convert"),
                     (("--param", "tags=3"), 8, "--param tags=3: expected a JSON list"),
                     (("--param", "nope=1"), 3, "the pipeline has no parameter 'nope' (add_parameter: fast, name, rate, samples, tags)"),
                     (("--param", "samples"), 3, "--param samples: expected NAME=VALUE")]
            for args, line, fragment in cases:
                result = h.run_cli(path, *args, "--json", "--errors=json")
                self.assertEqual(result.returncode, 3, (args, result.stderr))
                error = h.last_json_line(result.stderr)["error"]
                self.assertEqual(error["line"], line, (args, error))
                self.assertIn(fragment, error["message"])
            conducto = d.write("c.py", "import conducto as co\nroot = co.Serial()\nroot['a'] = co.Exec('echo')\n")
            result = h.run_cli(conducto, "--param", "a=1", "--json", "--errors=json")
            self.assertEqual(result.returncode, 3)
            self.assertIn("--param sets parameters of a PipelineController",
                          h.last_json_line(result.stderr)["error"]["message"])

    def test_from_argv_and_the_controller_host_get_the_values(self):
        self.assertEqual(overrides.from_argv(["--param", "a=1", "-v", "--param=b=2"]),
                         (["a=1", "b=2"], ["-v"]))
        with h.TempDir() as d:
            path = d.write("p.py", PARAMS + """
def show(pipeline, node, parameters):
    parameters["seen"] = pipeline.get_parameters()
pipe.add_step("b", base_task_name="t", pre_execute_callback=show)
""")
            import subprocess
            proc = subprocess.run(
                [sys.executable, "-m", "pipewright.clearml.host", path, "p"], cwd=d.path,
                input='{"id": 1, "op": "pre", "step": "b", "parameters": {}}\n',
                capture_output=True, text=True, timeout=60,
                env=h._env({overrides.ENV: '{"samples": 5, "fast": true}'}))
            reply = json.loads(proc.stdout.splitlines()[1])
            self.assertEqual(reply["parameters"]["seen"], {"samples": 5, "rate": 0.5, "fast": True,
                                                           "name": "x", "tags": []}, proc.stderr)


class StepWrapper(unittest.TestCase):
    """The in-container wrapper, run here on a folder standing in for the shared data folder."""

    def setUp(self):
        self.tmp = h.TempDir().__enter__()
        self.saved = dict(os.environ)
        Task._current = None

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self.saved)
        Task._current = None
        self.tmp.__exit__(None, None, None)

    def input(self, **step):
        path = os.path.join(self.tmp.path, "input.json")
        step.setdefault("id", "pipe.e1")
        step.setdefault("dir", os.path.join(self.tmp.path, "clearml", step["name"]))
        with open(path, "w") as f:
            json.dump(step, f)
        os.environ["PIPEWRIGHT_STEP_INPUT"] = path
        return step

    def test_command_step_params_env_file_and_artifacts(self):
        s = self.input(name="cmd", kind="task", parameters={"Args/x": "7", "General/n": 3},
                       command='echo "$PIPEWRIGHT_PARAM_ARGS_X $PIPEWRIGHT_PARAM_GENERAL_N" > '
                               '$PIPEWRIGHT_STEP_ARTIFACTS/out.txt; '
                               'cp $PIPEWRIGHT_PARAMS_FILE $PIPEWRIGHT_STEP_ARTIFACTS/params.json')
        self.assertEqual(step.main([]), 0)
        with open(os.path.join(s["dir"], "result.json")) as f:
            result = json.load(f)
        self.assertEqual(result["id"], "pipe.e1")
        self.assertEqual(sorted(result["artifacts"]), ["out", "params"])
        self.assertEqual(result["artifacts"]["out"]["file"], "artifacts/out.txt")
        self.assertEqual(result["artifacts"]["out"]["preview"], "7 3\n")
        with open(os.path.join(s["dir"], "artifacts", "params.json")) as f:
            self.assertEqual(json.load(f), {"Args/x": "7", "General/n": 3})

    def test_failing_command_leaves_no_result(self):
        s = self.input(name="bad", kind="task", parameters={}, command="exit 4")
        self.assertEqual(step.main([]), 4)
        self.assertFalse(os.path.exists(os.path.join(s["dir"], "result.json")))

    def test_function_step_returns_become_artifacts(self):
        definition = self.tmp.write("defs.py", """\
            def split(text, n: int = 1, obj=None):
                return text[:n], {"rest": text[n:], "obj": obj}
            """)
        prev = os.path.join(self.tmp.path, "prev.pkl")
        with open(prev, "wb") as f:
            pickle.dump([1, 2], f)
        s = self.input(name="fn", kind="function",
                       parameters={"kwargs/text": "hello", "kwargs/n": "2",
                                   "kwargs/obj": {"__artifact__": prev}},
                       function={"file": definition, "name": "split",
                                 "returns": ["head", "tail"]})
        saved = list(sys.path), sys.modules.get("__main__"), list(sys.argv)
        try:
            self.assertEqual(step.main([]), 0)
        finally:
            sys.path[:], sys.argv[:] = saved[0], saved[2]
            sys.modules["__main__"] = saved[1]
        with open(os.path.join(s["dir"], "result.json")) as f:
            artifacts = json.load(f)["artifacts"]
        self.assertEqual(artifacts["head"]["type"], "pickle")
        tail = Artifact("tail", os.path.join(s["dir"], artifacts["tail"]["file"])).get()
        self.assertEqual(tail, {"rest": "llo", "obj": [1, 2]})
        self.assertEqual(artifacts["head"]["preview"], '"he"')

    def test_task_in_a_step_connect_and_get_task(self):
        self.input(name="t", kind="task", parameters={"Args/lr": "0.5", "Args/flag": "true"},
                   command="true")
        task = Task.init("p", "t")
        self.assertEqual(task.id, "pipe.e1")
        args = task.connect({"lr": 0.1, "flag": False, "new": 3})
        self.assertEqual(args, {"lr": 0.5, "flag": True, "new": 3})
        self.assertEqual(task.get_parameters_as_dict()["General"]["new"], 3,
                         "a dict connects under General/, as in ClearML")
        data = os.path.join(self.tmp.path, "data")
        os.makedirs(os.path.join(data, "clearml", "prev", "artifacts"))
        main = store_artifact(os.path.join(data, "clearml", "prev", "artifacts"), "m", {"a": 1})
        with open(os.path.join(data, "clearml", "prev", "result.json"), "w") as f:
            json.dump({"id": "pipe.e0", "parameters": {},
                       "artifacts": step.collect_artifacts(os.path.join(data, "clearml", "prev"))},
                      f)
        os.environ["PIPEWRIGHT_DATA"] = data
        prev = Task.get_task(task_id="pipe.e0")
        self.assertEqual(prev.artifacts["m"].url, main)
        self.assertEqual(prev.artifacts["m"].get(), {"a": 1})


class Host(unittest.TestCase):
    def test_callbacks_answer_requests(self):
        ns = h.define(BASE + """
calls = []
def pre(pipeline, node, parameters):
    calls.append(("pre", node.name, [n.name for n in pipeline.get_processed_nodes()]))
    if node.name == "skip":
        return False
    parameters["Args/x"] = 42
def post(pipeline, node):
    calls.append(("post", node.name, node.status))
def boom(pipeline, node, parameters):
    raise RuntimeError("boom")
pipe.add_step("run", base_task_name="t", pre_execute_callback=pre, post_execute_callback=post,
              retry_on_failure=lambda p, n, retries: retries < 2)
pipe.add_step("skip", base_task_name="t", pre_execute_callback=pre)
pipe.add_step("boom", base_task_name="t", pre_execute_callback=boom)
""")
        pipe = ns["pipe"]
        nodes = {"run": {"status": "completed", "executed": "x.e1"}, "skip": {"status": "pending"}}
        self.assertEqual(host.handle(pipe, {"op": "pre", "step": "run", "parameters": {"Args/x": 1},
                                            "nodes": nodes}), {"parameters": {"Args/x": 42}})
        self.assertEqual(host.handle(pipe, {"op": "pre", "step": "skip", "parameters": {}}),
                         {"skip": True})
        self.assertEqual(host.handle(pipe, {"op": "post", "step": "run", "nodes": nodes}), {})
        self.assertEqual(host.handle(pipe, {"op": "retry", "step": "run", "retries": 1}),
                         {"retry": True})
        self.assertEqual(host.handle(pipe, {"op": "retry", "step": "run", "retries": 2}),
                         {"retry": False})
        with self.assertRaises(RuntimeError):
            host.handle(pipe, {"op": "pre", "step": "boom", "parameters": {}})
        self.assertEqual(ns["calls"], [("pre", "run", ["run"]), ("pre", "skip", ["run"]),
                                       ("post", "run", "completed")])

    def test_host_process_reports_a_raising_callback(self):
        with h.TempDir() as d:
            path = d.write("p.py", BASE + """
def boom(pipeline, node, parameters):
    raise RuntimeError("boom")
pipe.add_step("a", base_task_name="t", pre_execute_callback=boom)
if __name__ == "__main__":
    pipe.start()
""")
            import subprocess
            proc = subprocess.run(
                [sys.executable, "-m", "pipewright.clearml.host", path, "p"], cwd=d.path,
                input='{"id": 1, "op": "pre", "step": "a", "parameters": {}}\n',
                capture_output=True, text=True, timeout=60, env=h._env(None))
            lines = [json.loads(line) for line in proc.stdout.splitlines()]
            self.assertEqual(lines[0], {"ready": True, "steps": ["a"]})
            self.assertEqual(lines[1]["id"], 1)
            self.assertIn("RuntimeError: boom", lines[1]["error"])


class Events(unittest.TestCase):
    def test_runner_events_update_nodes(self):
        ns = h.define(BASE + 'pipe.add_step("a", base_task_name="t")\n'
                      'pipe.add_step("b", base_task_name="t")\n')
        steps = ns["pipe"]._pc_steps
        launch.apply_event(steps, {"type": "state", "path": "/a", "state": "running", "time": 1000})
        self.assertEqual(steps["a"].node.status, "running")
        self.assertEqual(steps["a"].node.job_started, 1.0)
        launch.apply_event(steps, {"type": "execution-end", "path": "/a", "state": "done",
                                   "pipeline": "x", "time": 2000,
                                   "execution": {"id": "e1", "cached": True}})
        self.assertEqual((steps["a"].node.status, steps["a"].node.executed), ("cached", "x.e1"))
        launch.apply_event(steps, {"type": "skip", "path": "/b", "skipped": True})
        self.assertEqual(steps["b"].node.status, "skipped")
        self.assertEqual(sorted(n.name for n in ns["pipe"].get_processed_nodes()), ["a", "b"])
        self.assertIsNone(launch.apply_event(steps, {"type": "state", "path": "/", "state": "done"}))


if __name__ == "__main__":
    unittest.main()
