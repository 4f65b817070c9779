"""Exec(func, ...) and Lazy(func, ...) commands, parsed back by `python3 -m pipewright`."""
import json
import os
import shlex
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

from pipewright import callables, context  # noqa: E402
from pipewright.errors import ArgumentError  # noqa: E402

FUNCS = '''
    from typing import List, Optional
    import {module} as co

    def task(n: int, x: float, flag: bool, label: str, items: List[int], words: list,
             ratios: "list[float]" = (), untyped=None, count=3, maybe: Optional[str] = None,
             on=False):
        return (n, x, flag, label, items, words, list(ratios), untyped, count, maybe, on)

    def _hidden():
        pass
'''


class Commands(unittest.TestCase):
    def functions(self, module="conducto", folder="/proj"):
        return h.define(FUNCS.format(module=module), filename=folder + "/sub/defs.py",
                        definition_dir=folder)

    def test_command_form(self):
        g = self.functions()
        node = g["co"].Exec(g["task"], 5, x=1.5, flag=True, label="a b", items=[1, 2],
                            words=["x"], count=4, cpu=2)
        self.assertEqual(node.command, "conducto sub/defs.py task --n=5 --x=1.5 --flag=true "
                                       "--label='a b' --items='[1, 2]' --words='[\"x\"]' --count=4")
        self.assertEqual(node.cpu, 2)  # a node param, not an argument

    def test_program_follows_the_import(self):
        # Decided by the module that creates the node: did it import conducto or pipewright?
        for module in ("pipewright", "conducto"):
            g = h.define(FUNCS.format(module=module) + "\n    node = co.Exec(task, 1, 2, True, 's', "
                         "[], [])\n", filename="/proj/sub/defs.py", definition_dir="/proj")
            self.assertTrue(g["node"].command.startswith(module + " sub/defs.py task --n=1 "))

    def test_file_basename_when_no_definition_folder(self):
        g = h.define(FUNCS.format(module="conducto"), filename="/proj/sub/defs.py")
        node = g["co"].Lazy(g["task"], n=1, x=1, flag=False, label="", items=[], words=[])
        self.assertTrue(node["Generate"].command.startswith("conducto defs.py task "))

    def test_round_trip(self):
        g = self.functions()
        values = dict(n=-7, x=2.5e-3, flag=False, label="it's \"quoted\" $HOME `x` \\ end",
                      items=[3, -1], words=["a b", "c'd", 1], ratios=[0.5, 2.0],
                      untyped="x y", count=0, maybe="m", on=True)
        command = g["co"].Exec(g["task"], **values).command
        argv = shlex.split(command)
        self.assertEqual(argv[:3], ["conducto", "sub/defs.py", "task"])
        parsed = callables.parse_call(g["task"], argv[3:])
        self.assertEqual(parsed, values)
        self.assertEqual(callables.call(g["task"], parsed), g["task"](**values))

    def test_untyped_values_reach_the_function_as_str(self):
        g = self.functions()
        command = g["co"].Exec(g["task"], 1, 1.0, True, "s", [], [], untyped=5).command
        parsed = callables.parse_call(g["task"], shlex.split(command)[3:])
        self.assertEqual(parsed["untyped"], "5")

    def test_bad_values_from_the_command_line(self):
        g = self.functions()
        for argv, fragment in ((["--n=five"], "'five' is not an int"),
                               (["--n=1", "--x=1", "--flag=maybe"], "is not a bool"),
                               (["--items=[1,", "--n=1"], "JSON list"),
                               (["--nope=1"], "no parameter 'nope'"),
                               (["--n=1"], "missing --x, --flag, --label, --items, --words")):
            with self.assertRaises(ArgumentError) as caught:
                callables.parse_call(g["task"], argv)
            self.assertIn(fragment, caught.exception.message)
            self.assertEqual(caught.exception.file, "/proj/sub/defs.py")

    def test_wrong_types_at_definition(self):
        g = self.functions()
        with self.assertRaises(h.DefinitionError) as caught:
            g["co"].Exec(g["task"], n="5", x=1, flag=True, label="", items=[], words=[])
        self.assertIn("argument n of task()", caught.exception.message)

    def test_private_and_lambda_refused(self):
        g = self.functions()
        for func in (g["_hidden"], lambda: None):
            with self.assertRaises(h.DefinitionError):
                g["co"].Exec(func)


class Subprocess(unittest.TestCase):
    def test_leibniz(self):
        result = h.run_cli("examples/leibniz.py", "leibniz", "--n=1000")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.startswith("3.14"), result.stdout)

    def test_exec_command_runs_from_the_definition_folder(self):
        # What a container does: cwd = definition folder, `conducto` on PATH.
        root = h.load(os.path.join(h.EXAMPLES, "leibniz.py"), argv=["--n=200"])[1]
        argv = shlex.split(root["Leibniz1"].command)
        self.assertEqual(argv[:2], ["conducto", "leibniz.py"])
        bin_dir = os.path.join(h.SDK, "bin")
        result = h.run_cli(*argv[1:], cwd=h.EXAMPLES,
                           env={"PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.startswith("3.13"), result.stdout)

    def test_bin_script(self):
        import subprocess
        result = subprocess.run([os.path.join(h.SDK, "bin", "conducto"), "leibniz.py", "leibniz",
                                 "--n=10"], cwd=h.EXAMPLES, capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.startswith("3.04"), result.stdout)

    def test_lazy_generate_writes_node_output(self):
        with h.TempDir() as d:
            out = os.path.join(d.path, "generated.json")
            result = h.run_cli("lazy_deploy_test.py", "test_service", "--num_tests=2",
                               cwd=h.EXAMPLES, env={"PIPEWRIGHT_NODE_OUTPUT": out})
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(out, encoding="utf-8") as f:
                document = json.load(f)
        self.assertEqual(document["name"], "test_service")
        self.assertEqual([n["path"] for n in document["nodes"]], ["/", "/RunTest_0", "/RunTest_1"])
        self.assertEqual(result.stdout.splitlines()[0], "/")
        self.assertIn("RunTest_1   echo Testing deployment at https://example.com/", result.stdout)

    def test_private_function_refused(self):
        with h.TempDir() as d:
            path = d.write("p.py", "def _secret():\n    return 1\n")
            result = h.run_cli(path, "_secret")
        self.assertEqual(result.returncode, 3)
        self.assertIn("%s:1: _secret cannot be called" % path, result.stderr)


def tearDownModule():
    context.definition_dir = None


if __name__ == "__main__":
    unittest.main()
