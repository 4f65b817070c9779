"""PipelineDecorator (pipewright.clearml.decorator): import paths, the tree of a decorated pipeline,
lazy results, debug_pipeline(), and the controller host's requests to the runner (driven here by
a scripted runner; the real one is exercised in test/docker/clearmlDecorator.test.ts)."""
import base64
import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

from pipewright.clearml.lazy import LazyResult  # noqa: E402

UPSTREAM = os.path.join(h.HERE, "clearml_upstream")


def nodes_of(document):
    return {n["path"]: n for n in json.loads(document)["nodes"]}


class ImportPaths(unittest.TestCase):
    def test_clearml_import_paths(self):
        code = textwrap.dedent("""\
            from clearml.automation.controller import PipelineDecorator as A
            from clearml.automation import PipelineDecorator as B, PipelineController
            from clearml import PipelineDecorator as C, TaskTypes
            assert A is B is C
            print(TaskTypes.data_processing, TaskTypes.training, TaskTypes.qc)
        """)
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env=h._env({}), timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["data_processing", "training", "qc"])


class Tree(unittest.TestCase):
    def test_clearml_example_loads_unchanged(self):
        path = os.path.join(UPSTREAM, "pipeline_from_decorator.py")
        result = h.run_cli(path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), [
            "/",
            "└─ executing_pipeline   python3 -m pipewright.clearml.decorated_host "
            "pipeline_from_decorator.py executing_pipeline  "
            "# components: step_one, step_two, step_three, step_four"])
        doc = h.run_cli(path, "--json")
        self.assertEqual(doc.returncode, 0, doc.stderr)
        nodes = nodes_of(doc.stdout)
        root, body = nodes["/"], nodes["/executing_pipeline"]
        self.assertEqual(root["controller"]["name"], "custom pipeline logic")
        self.assertEqual((root["controller"]["project"], root["controller"]["version"]),
                         ("examples", "0.0.5"))
        self.assertEqual(root["controller"]["parameters"], {
            "pickle_url": "https://github.com/allegroai/events/raw/master/odsc20-east/generic/"
                          "iris_dataset.pkl", "mock_parameter": "mock"})
        self.assertEqual(body["decorated"], {"file": path, "function": "executing_pipeline",
                                             "components": ["step_one", "step_two", "step_three",
                                                            "step_four"]})
        self.assertEqual(body["source"]["line"], 81)

    def test_example(self):
        result = h.run_cli(os.path.join(h.EXAMPLES, "clearml", "decorated.py"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines()[1], "└─ line_fit   python3 -m "
                         "pipewright.clearml.decorated_host decorated.py line_fit  # components: "
                         "make_points, fit, evaluate")

    def test_component_under_a_decorator_without_wraps(self):
        result = h.run_cli(os.path.join(UPSTREAM, "decorated_pipeline_step_decorators.py"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("# components: step", result.stdout)

    def test_pipeline_arguments_must_be_run_parameters(self):
        with h.TempDir() as d:
            path = d.write("p.py", textwrap.dedent("""\
                from clearml import PipelineDecorator
                @PipelineDecorator.pipeline(name="p")
                def flow(x):
                    pass
                if __name__ == "__main__":
                    flow(x=object())
            """))
            result = h.run_cli(path)
        self.assertEqual(result.returncode, 3)
        self.assertIn("pipeline argument x=<object", result.stderr)
        self.assertIn("not JSON-serializable", result.stderr)


class Lazy(unittest.TestCase):
    def test_blocks_only_when_used(self):
        loads = []

        def load():
            loads.append(1)
            return [3, 4]
        value = LazyResult("step", "numbers", load)
        self.assertIsInstance(value, LazyResult)  # passing it on does not load it
        self.assertEqual(loads, [])
        self.assertEqual(len(value), 2)
        self.assertEqual(list(value), [3, 4])
        self.assertEqual(value + [5], [3, 4, 5])
        self.assertEqual("{}".format(value), "[3, 4]")
        self.assertTrue(value == [3, 4])
        self.assertEqual(loads, [1], "loaded once")

    def test_operators(self):
        n = LazyResult("s", "n", lambda: 0.5)
        self.assertEqual(100 * n, 50.0)
        self.assertEqual(n * 2, 1.0)
        self.assertEqual(f"Accuracy={100 * n}%", "Accuracy=50.0%")
        self.assertTrue(n < 1)
        self.assertEqual(round(LazyResult("s", "x", lambda: 2.6)), 3)
        self.assertEqual(LazyResult("s", "d", lambda: {"a": 1})["a"], 1)
        self.assertEqual(LazyResult("s", "t", lambda: "abc").upper(), "ABC")


PIPELINE = """\
from clearml import PipelineDecorator

def twice(func):
    def inner(*args, **kwargs):
        return func(*args, **kwargs) * 2
    return inner

@PipelineDecorator.component(return_values=["numbers"], cache=True, docker="python:3.11")
def make(count, start=1):
    return list(range(start, start + count))

@PipelineDecorator.component(return_values=["total", "size"])
def summarize(numbers, scale=1):
    return sum(numbers) * scale, len(numbers)

@PipelineDecorator.component()
@twice
def double_it(x):
    return x

@PipelineDecorator.pipeline(name="flow", project="tests", version="1.0")
def flow(count=3):
    numbers = make(count)
    total, size = summarize(numbers)
    print("total", total, "size", size)
    other = make(2, start=10)
    again = summarize([1, 2], scale=total)
    print("again", again[0], double_it(4))
    return "finished"

if __name__ == "__main__":
    %s
    print("result", flow(count=3))
"""


class Debug(unittest.TestCase):
    def test_debug_pipeline_runs_components_as_functions(self):
        with h.TempDir() as d:
            path = d.write("p.py", PIPELINE % "PipelineDecorator.debug_pipeline()")
            result = subprocess.run([sys.executable, path], capture_output=True, text=True,
                                    env=h._env({}), timeout=60, cwd=d.path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), ["total 6 size 3", "again 18 8",
                                                      "result finished"])

    def test_outside_a_pipeline_a_component_is_its_function(self):
        ns = h.define(PIPELINE % "pass")
        self.assertEqual(ns["make"](2), [1, 2])
        self.assertEqual(ns["double_it"](3), 6)
        self.assertEqual(ns["make"].__name__, "make")


class ScriptedRunner(object):
    """Answers the controller host's requests as the runner would, every step succeeding with
    the values `returns` gives ({step: {return name: value}})."""

    def __init__(self, returns):
        self.returns = returns
        self.requests = []

    def run(self, path, function, params=None):
        env = h._env({"PIPEWRIGHT_PIPELINE_PARAMETERS": json.dumps(params or {})})
        proc = subprocess.Popen([sys.executable, "-m", "pipewright.clearml.decorated_host", path,
                                 function], cwd=os.path.dirname(path), env=env, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        watchdog = threading.Timer(30, proc.kill)  # a host that hangs fails the test
        watchdog.start()
        for line in proc.stdout:
            request = json.loads(line)
            self.requests.append(request)
            self.handle(proc, request)
        proc.stdin.close()
        self.log = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
        watchdog.cancel()
        return proc.wait()

    def reply(self, proc, request, reply):
        reply["id"] = request["id"]
        proc.stdin.write(json.dumps(reply) + "\n")
        proc.stdin.flush()

    def answer(self, request):
        op = request["op"]
        if op == "wait":
            return {"state": "done"}
        if op == "artifact":
            value = self.returns[request["name"]][request["artifact"]]
            return {"data": base64.b64encode(pickle.dumps(value)).decode(), "type": "pickle"}
        if op == "upload":
            return {"path": "/pipewright/data/clearml/.pipeline/inputs/%s.pkl" % request["sha256"]}
        return {}

    def handle(self, proc, request):
        self.reply(proc, request, self.answer(request))

    def added(self):
        return [r["node"] for r in self.requests if r["op"] == "add"]


THREADS = """\
import threading
from clearml import PipelineDecorator

@PipelineDecorator.component(return_values=["out"])
def work(x):
    return x

@PipelineDecorator.pipeline(name="threads")
def flow():
    results = {}
    def branch(x):
        results[x] = work(x) + 0
    threads = [threading.Thread(target=branch, args=(x,)) for x in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("results", sorted(results.items()))

if __name__ == "__main__":
    flow()
"""


class ControllerHost(unittest.TestCase):
    def test_threads_of_the_body_wait_for_different_steps_at_once(self):
        class Concurrent(ScriptedRunner):
            """Answers no wait before both steps are waited for: one thread's wait must not
            keep the other from asking."""
            held = []

            def handle(self, proc, request):
                if request["op"] != "wait":
                    return ScriptedRunner.handle(self, proc, request)
                if len(self.held) >= 2:
                    return self.reply(proc, request, {"state": "done"})
                self.held.append(request)
                if len(self.held) == 2:
                    for waiting in self.held:
                        self.reply(proc, waiting, {"state": "done"})
        runner = Concurrent({"work": {"out": 10}, "work_1": {"out": 10}})
        with h.TempDir() as d:
            path = d.write("p.py", THREADS)
            code = runner.run(path, "flow")
        self.assertEqual(code, 0, runner.log)
        self.assertIn("results [(1, 10), (2, 10)]", runner.log)

    def run_flow(self, params=None):
        runner = ScriptedRunner({"make": {"numbers": [1, 2, 3]},
                                 "summarize": {"total": 6, "size": 3},
                                 "summarize_1": {"total": 18, "size": 2},
                                 "double_it": {"return_object": 8}})
        with h.TempDir() as d:
            path = d.write("p.py", PIPELINE % "PipelineDecorator.run_locally()")
            code = runner.run(path, "flow", params)
        return runner, code

    def test_each_call_adds_a_step_named_as_clearml_names_it(self):
        runner, code = self.run_flow()
        self.assertEqual(code, 0, runner.log)
        nodes = runner.added()
        self.assertEqual([n["path"] for n in nodes],
                         ["/make", "/summarize", "/make_1", "/summarize_1", "/double_it"])
        steps = {n["path"]: n for n in nodes}
        self.assertEqual(steps["/make"]["step"]["parameters"], {"kwargs/count": 3,
                                                                "kwargs/start": 1})
        self.assertEqual(steps["/make"]["step"]["function"]["name"], "make")
        self.assertEqual(steps["/make"]["step"]["function"]["file"], "p.py")
        self.assertEqual(steps["/make"]["step"]["function"]["returns"], ["numbers"])
        self.assertTrue(steps["/make"]["step"]["cache"])
        self.assertEqual(steps["/make"]["params"]["image"]["name"], "python:3.11")
        self.assertEqual(steps["/make"]["source"]["line"], 23, "the call's line")
        # A lazy argument is a reference to the step's return value, and a DAG edge.
        self.assertEqual(steps["/summarize"]["step"]["parameters"]["kwargs/numbers"],
                         "${make.numbers}")
        self.assertEqual(steps["/summarize"]["parents"], ["/make"])
        self.assertEqual(steps["/summarize"]["step"]["function"]["returns"], ["total", "size"])
        # The body used summarize's results before calling make again: ClearML makes it a parent.
        self.assertEqual(steps["/make_1"]["parents"], ["/summarize"])
        self.assertEqual(steps["/make_1"]["step"]["parameters"]["kwargs/start"], 10)
        self.assertEqual(steps["/summarize_1"]["step"]["parameters"]["kwargs/scale"],
                         "${summarize.total}")
        # A value that is no run parameter (a list) is passed as an artifact of the pipeline.
        numbers = steps["/summarize_1"]["step"]["parameters"]["kwargs/numbers"]
        self.assertRegex(numbers["__artifact__"],
                         r"^/pipewright/data/clearml/\.pipeline/inputs/[0-9a-f]{64}\.pkl$")
        upload = [r for r in runner.requests if r["op"] == "upload"][0]
        self.assertEqual(pickle.loads(base64.b64decode(upload["data"])), [1, 2])
        self.assertEqual(steps["/double_it"]["step"]["function"]["returns"], ["return_object"])
        self.assertIn("total 6 size 3", runner.log)
        self.assertIn("again 18 8", runner.log)

    def test_a_pipeline_called_by_a_running_pipeline_runs_its_logic_there(self):
        code = PIPELINE % "pass"
        code = code.replace('    return "finished"\n', '    return "finished"\n\n'
                            '@PipelineDecorator.pipeline(name="outer")\ndef outer():\n'
                            '    print("inner", flow(count=2))\n')
        code = code.replace('print("result", flow(count=3))', 'outer()')
        runner = ScriptedRunner({"make": {"numbers": [1, 2]}, "summarize": {"total": 3, "size": 2},
                                 "summarize_1": {"total": 9, "size": 2},
                                 "double_it": {"return_object": 8}})
        with h.TempDir() as d:
            path = d.write("p.py", code)
            code = runner.run(path, "outer")
        self.assertEqual(code, 0, runner.log)
        self.assertIn("inner finished", runner.log)
        self.assertEqual(runner.added()[0]["path"], "/make", "its steps are this run's")

    def test_parameters_of_the_run_reach_the_body(self):
        runner, code = self.run_flow({"count": 5})
        self.assertEqual(code, 0, runner.log)
        self.assertEqual(runner.added()[0]["step"]["parameters"]["kwargs/count"], 5)

    def test_a_failed_step_raises_where_the_body_uses_it(self):
        class Failing(ScriptedRunner):
            def answer(self, request):
                if request["op"] == "wait" and request["name"] == "summarize":
                    return {"state": "error", "message": "exit 1"}
                return ScriptedRunner.answer(self, request)
        runner = Failing({"make": {"numbers": [1]}})
        with h.TempDir() as d:
            path = d.write("p.py", PIPELINE % "pass")
            code = runner.run(path, "flow")
        self.assertEqual(code, 1)
        self.assertIn('Pipeline step "summarize" failed: exit 1', runner.log)
        self.assertIn('p.py", line 25, in flow', runner.log)


if __name__ == "__main__":
    unittest.main()
