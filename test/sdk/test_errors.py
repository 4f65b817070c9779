"""Definition errors name the user's file and line, in memory and through the CLI (exit 3)."""
import json
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

from pipewright import export  # noqa: E402


def export_root(namespace):
    export.pipeline_json(namespace["root"], "p", "/p.py")


HEAD = "import conducto as co\n"

# name: (code after HEAD, line of the error, message fragment, checked when exporting)
CASES = {
    "slash_in_name": ("""\
        root = co.Serial()
        with root:
            co.Exec("true", name="a/b")
        """, 4, "contains '/'", False),
    "missing_intermediate": ("""\
        root = co.Serial()
        root["Test/test1"] = co.Exec("x")
        """, 3, "/ has no child 'Test'", False),
    "empty_path_segment": ("""\
        root = co.Serial()
        root["a//b"] = co.Exec("x")
        """, 3, "invalid node path", False),
    "duplicate_name": ("""\
        root = co.Serial()
        root["a"] = co.Exec("x")
        root["a"] = co.Exec("y")
        """, 4, "duplicate child name 'a' under /", False),
    "duplicate_name_with": ("""\
        with co.Serial() as root:
            co.Exec("x", name="a")
            co.Exec("y", name="a")
        """, 4, "duplicate child name 'a' under /", False),
    "two_parents": ("""\
        root = co.Serial()
        shared = co.Exec("x")
        root["a"] = shared
        other = co.Parallel()
        other["b"] = shared
        """, 6, "already in the tree as /a", False),
    "added_twice": ("""\
        root = co.Serial()
        shared = co.Exec("x")
        root["a"] = shared
        root["b"] = shared
        """, 5, "only one parent", False),
    "contains_itself": ("""\
        root = co.Serial()
        root["a"] = co.Parallel()
        root["a/b"] = root
        """, 4, "cannot contain itself", False),
    "exec_children": ("""\
        root = co.Serial()
        root["a"] = co.Exec("x")
        root["a/b"] = co.Exec("y")
        """, 4, "Exec node /a takes no children", False),
    "unknown_param": ("""\
        root = co.Serial()
        root["a"] = co.Exec("x", cpus=2)
        """, 3, "unknown param 'cpus' for co.Exec", False),
    "unknown_param_callable": ("""\
        def f(n: int):
            return n
        root = co.Serial()
        root["a"] = co.Exec(f, n=1, m=2)
        """, 5, "unknown param 'm': not a node param and not a parameter of f()", False),
    "param_of_other_type": ("""\
        root = co.Parallel(stop_on_error=False)
        """, 2, "'stop_on_error' applies to Serial and Lazy nodes only", False),
    "negative_cpu": ("root = co.Serial(cpu=-1)\n", 2, "cpu=-1 is invalid", False),
    "fractional_gpu": ("root = co.Serial(gpu=1.5)\n", 2, "gpu=1.5 is invalid", False),
    "negative_gpu": ("root = co.Serial(gpu=-1)\n", 2, "gpu=-1 is invalid", False),
    "zero_mem": ("root = co.Serial(mem=0)\n", 2, "mem=0 is invalid", False),
    "bad_max_time": ("root = co.Serial(max_time='soon')\n", 2, "max_time='soon' is invalid",
                     False),
    "env_not_str": ("root = co.Serial(env={'A': 1})\n", 2, "expected a dict of str to str",
                    False),
    "env_not_dict": ("root = co.Serial(env=['A'])\n", 2, "env=['A'] is invalid", False),
    "tags_str": ("root = co.Serial(tags='x')\n", 2, "tags='x' is invalid", False),
    "bad_image": ("root = co.Serial(image=5)\n", 2, "image=5 is invalid", False),
    "bad_bool": ("root = co.Serial(skip='maybe')\n", 2, "skip='maybe' is invalid", False),
    "bad_parents_value": ("root = co.Exec('x', parents=5)\n", 2, "parents=5 is invalid", False),
    "parents_not_sibling": ("""\
        root = co.Parallel()
        root["a"] = co.Exec("x", parents=["b"])
        root["c"] = co.Exec("y")
        """, 3, "parents entry 'b' of /a is not a sibling", True),
    "parents_node_not_sibling": ("""\
        root = co.Parallel()
        root["g"] = co.Parallel()
        root["g/x"] = co.Exec("x")
        root["a"] = co.Exec(
            "a", parents=[root["g/x"]])
        """, 5, "is not a sibling (it is /g/x)", True),
    "parents_cycle": ("""\
        root = co.Parallel()
        root["a"] = co.Exec("a", parents=["c"])
        root["b"] = co.Exec("b", parents=["a"])
        root["c"] = co.Exec("c", parents=["b"])
        """, 3, "cycle among parents under /: a -> c -> b -> a", True),
    "parents_self": ("""\
        root = co.Parallel()
        with root:
            co.Exec("a", name="a", parents=["a"])
        """, 4, "a -> a", True),
    "parents_under_serial": ("""\
        root = co.Serial()
        root["a"] = co.Exec("a")
        root["b"] = co.Exec("b", parents=["a"])
        """, 4, "only children of a Parallel may; / is a Serial", True),
}


class InMemory(unittest.TestCase):
    def test_cases(self):
        for name, (code, line, fragment, at_export) in CASES.items():
            with self.subTest(name):
                h.definition_error(self, HEAD + textwrap.dedent(code), line, fragment,
                                   after=export_root if at_export else None)

    def test_param_error_points_at_the_keyword(self):
        # The keyword's place is read from the file's text, so the code is in a real file.
        cases = [
            (HEAD + textwrap.dedent("""\
                root = co.Serial()
                root["a"] = co.Exec(
                    "x",
                    mem=1, cpuu=2)
                """), 5, len("    mem=1, ") + 1, "unknown param 'cpuu' for co.Exec"),
            (HEAD + "root = co.Serial(cpu=-1, mem=0)\n", 2, len("root = co.Serial(") + 1, "cpu=-1"),
        ]
        with tempfile.TemporaryDirectory() as folder:
            for i, (code, line, column, fragment) in enumerate(cases):
                with self.subTest(i):
                    filename = os.path.join(folder, "keyword%d.py" % i)
                    with open(filename, "w") as f:
                        f.write(code)
                    error = h.definition_error(self, code, line, fragment, filename=filename)
                    self.assertEqual(error.column, column)

    def test_error_in_a_function_points_at_the_function(self):
        h.definition_error(self, HEAD + textwrap.dedent("""\
            def make():
                node = co.Parallel()
                node["x"] = co.Exec("x", mem=-2)
                return node
            root = co.Serial()
            root["a"] = make()
            """), 4, "mem=-2 is invalid")

    def test_valid_parents(self):
        g = h.define(HEAD + textwrap.dedent("""\
            root = co.Parallel()
            root["b"] = co.Exec("b", parents=["a"])
            root["a"] = co.Exec("a")
            root["c"] = co.Exec("c", parents=[root["a"], "b"])
            """))
        nodes = {n["path"]: n for n in json.loads(g["root"].to_json())["nodes"]}
        self.assertEqual(nodes["/b"]["parents"], ["/a"])
        self.assertEqual(nodes["/c"]["parents"], ["/a", "/b"])


class ThroughTheCli(unittest.TestCase):
    def check(self, code, line, fragment, kind="definition", args=()):
        with h.TempDir() as d:
            path = d.write("pipeline.py", code)
            result = h.run_cli(path, *args, "--errors=json")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("%s:%d: " % (path, line), result.stderr)
        self.assertIn(fragment, result.stderr)
        error = h.last_json_line(result.stderr)["error"]
        self.assertEqual((error["file"], error["line"], error["kind"]), (path, line, kind))
        self.assertIn(fragment, error["message"])
        self.assertIsInstance(error["column"], int)
        return error

    def test_cases(self):
        for name, (code, line, fragment, _) in CASES.items():
            with self.subTest(name):
                self.check(HEAD + textwrap.dedent(code), line, fragment)

    def test_cases_inside_a_pipeline_function(self):
        # The same errors raised while co.main's default builds the tree.
        for name in ("duplicate_name", "unknown_param", "parents_cycle"):
            code, line, fragment, _ = CASES[name]
            body = textwrap.indent(textwrap.dedent(code), "    ")
            source = HEAD + "def run():\n" + body + "    return root\n" + \
                "if __name__ == '__main__':\n    co.main(default=run)\n"
            with self.subTest(name):
                self.check(source, line + 1, fragment)

    def test_text_only_without_errors_json(self):
        with h.TempDir() as d:
            path = d.write("p.py", HEAD + "root = co.Serial(cpu=-1)\n")
            result = h.run_cli(path)
        self.assertEqual(result.returncode, 3)
        self.assertEqual(result.stderr.strip().splitlines()[-1],
                         "%s:2: cpu=-1 is invalid: expected a number >= 0" % path)

    def test_syntax_error(self):
        error = self.check(HEAD + "root = co.Serial()\nx = = 1\n", 3, "", kind="syntax")
        self.assertTrue(error["message"])

    def test_exception_uses_the_deepest_user_frame(self):
        error = self.check(HEAD + textwrap.dedent("""\
            def helper():
                return 1 / 0
            def run() -> co.Serial:
                helper()
                return co.Serial()
            if __name__ == "__main__":
                co.main(default=run)
            """), 3, "ZeroDivisionError: division by zero", kind="exception")
        if sys.version_info >= (3, 11):  # older Pythons record no columns: 1 then
            self.assertEqual(error["column"], 12)

    def test_missing_function(self):
        self.check(HEAD + "root = co.Serial()\n", 1, "no function named 'nope'", args=["nope"])

    def test_function_not_returning_a_node_with_json(self):
        self.check(HEAD + "def five():\n    return 5\n", 2, "five() returned int, not a pipeline "
                   "node", args=["five", "--json"])

    def test_no_pipeline(self):
        self.check(HEAD + "x = 1\n", 1, "no pipeline found")

    def test_several_roots(self):
        self.check(HEAD + "a = co.Serial()\nb = co.Parallel()\n", 2,
                   "several unrelated root nodes (a, b)")

    def test_bad_argument(self):
        self.check(HEAD + "def run(n: int) -> co.Serial:\n    return co.Serial()\n", 2,
                   "argument n of run(): 'x' is not an int", args=["run", "--n=x"])

    def test_sys_exit_is_no_pipeline_at_its_line(self):
        # sys.exit() while the file loads, or in the pipeline function: no pipeline, exit 3 at
        # the call, whatever the status (it used to exit 0 with nothing on stdout).
        run = "def run() -> co.Serial:\n    %s\nif __name__ == '__main__':\n    co.main(default=run)\n"
        for code, line, status, args in (
                ("import sys\nroot = co.Serial()\nsys.exit()\n", 4, "sys.exit(), status 0", ()),
                ("import sys\n" + run % "sys.exit(0)", 4, "sys.exit(0), status 0", ("--json",)),
                ("import sys\n" + run % "sys.exit(5)", 4, "sys.exit(5), status 5", ()),
                ("import sys\n" + run % "sys.exit('bye')", 4, "sys.exit('bye'), status 1", ("run",)),
                ("raise SystemExit\n", 2, "sys.exit(), status 0", ("--json",))):
            with self.subTest(code=code, args=args):
                self.check(HEAD + code, line, "the definition exited (%s) instead of producing a "
                           "pipeline" % status, kind="exception", args=args)

    def test_sys_exit_in_one_pipeline_of_all(self):
        # The language server's evaluation (--all) says the same of that pipeline.
        with h.TempDir() as d:
            path = d.write("p.py", HEAD + "import sys\ndef run() -> co.Serial:\n    sys.exit(0)\n"
                           "def fine() -> co.Serial:\n    return co.Serial()\n")
            result = h.run_cli(path, "--all")
        self.assertEqual(result.returncode, 0, result.stderr)
        entries = {e["name"]: e for e in map(json.loads, result.stdout.splitlines())}
        self.assertEqual((entries["run"]["error"]["line"], entries["run"]["error"]["message"]),
                         (4, "the definition exited (sys.exit(0), status 0) instead of producing "
                             "a pipeline"))
        self.assertIn("document", entries["fine"])

    def test_usage_errors(self):
        self.assertEqual(h.run_cli().returncode, 2)
        result = h.run_cli("/no/such/file.py")
        self.assertEqual(result.returncode, 2)
        self.assertIn("no such file", result.stderr)


if __name__ == "__main__":
    unittest.main()
