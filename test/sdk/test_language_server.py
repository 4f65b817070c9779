"""What the language server asks of the SDK: `FILE --all` (one evaluation, a JSON line per
pipeline), `--source-stdin`, `--memory-limit`, `pipewright.warm` and the ast-only
`pipewright.outline`, which never runs the file."""
import json
import os
import subprocess
import sys
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

from pipewright import outline  # noqa: E402


def example(name):
    return os.path.join(h.EXAMPLES, name)


def run_sdk(args, stdin=None, module="pipewright", cwd=h.REPO):
    return subprocess.run([sys.executable, "-m", module] + list(args), cwd=cwd, env=h._env(None),
                          input=stdin, capture_output=True, text=True, timeout=60)


def lines(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


class All(unittest.TestCase):
    def test_examples_match_json_of_each_pipeline(self):
        result = run_sdk([example("lazy_deploy_test.py"), "--all"])
        self.assertEqual(result.returncode, 0, result.stderr)
        entries = lines(result.stdout)
        self.assertEqual([(e["name"], e["line"], e["default"]) for e in entries],
                         [("pipe", 5, True), ("test_service", 20, False)])
        for entry in entries:
            alone = h.run_cli(example("lazy_deploy_test.py"), entry["name"], "--json")
            self.assertEqual(entry["document"], json.loads(alone.stdout))

    def test_module_level_tree(self):
        result = run_sdk([example("construct_with.py"), "--all"])
        [entry] = lines(result.stdout)
        self.assertEqual((entry["name"], entry["line"], entry["default"]),
                         ("construct_with", 3, True))
        self.assertEqual([n["path"] for n in entry["document"]["nodes"]],
                         ["/", "/Test", "/Test/test1", "/Test/test2"])

    def test_required_arguments_are_not_called(self):
        result = run_sdk([example("leibniz.py"), "--all"])
        self.assertEqual(result.returncode, 0, result.stderr)
        [entry] = lines(result.stdout)
        self.assertNotIn("document", entry)
        self.assertEqual(entry["needs"], ["n"])
        self.assertEqual((entry["error"]["line"], entry["error"]["file"]),
                         (19, example("leibniz.py")))
        self.assertIn("needs --n", entry["error"]["message"])

    def test_functions_describe_their_parameters(self):
        source = textwrap.dedent("""\
            import typing
            import conducto as co

            class Point:
                @classmethod
                def from_str(cls, text):
                    return cls()

            def greet(name, times: int = 2, ratio=0.5, loud: bool = False,
                      tags: typing.List[int] = (1, 2), where: Point = None, *rest, **extra) -> co.Serial:
                return co.Serial()

            def plain() -> co.Serial:
                return co.Serial()
            """)
        result = run_sdk(["pipeline.py", "--all", "--source-stdin"], stdin=source)
        self.assertEqual(result.returncode, 0, result.stderr)
        greet, plain = lines(result.stdout)
        self.assertEqual(greet["parameters"], [
            {"name": "name", "kind": "str", "required": True},
            {"name": "times", "kind": "int", "required": False, "default": "2"},
            {"name": "ratio", "kind": "float", "required": False, "default": "0.5"},
            {"name": "loud", "kind": "bool", "required": False, "default": "false"},
            {"name": "tags", "kind": "list", "required": False, "element": "int",
             "default": "[1, 2]"},
            {"name": "where", "kind": "custom", "required": False, "type": "Point"},
        ])
        self.assertEqual(greet["needs"], ["name"])
        self.assertEqual(plain["parameters"], [])
        self.assertIn("document", plain)

    def test_one_failing_pipeline_does_not_hide_the_others(self):
        with h.TempDir() as d:
            path = d.write("two.py", """\
                import conducto as co


                def good() -> co.Serial:
                    root = co.Serial()
                    root["a"] = co.Exec("echo a")
                    return root


                def bad() -> co.Parallel:
                    root = co.Parallel()
                    root["a"] = co.Exec("echo a", parents=["a"])
                    with root:
                        raise ValueError("left a with open")


                def after() -> co.Serial:
                    root = co.Serial()
                    co.Exec("echo b", name="b")  # not added to bad()'s open node
                    root["c"] = co.Exec("echo c")
                    return root
                """)
            result = run_sdk([path, "--all", "--errors=json"])
            self.assertEqual(result.returncode, 0, result.stderr)
            good, bad, after = lines(result.stdout)
            self.assertEqual([n["path"] for n in good["document"]["nodes"]], ["/", "/a"])
            self.assertEqual(bad["error"]["line"], 14)
            self.assertEqual(bad["error"]["kind"], "exception")
            self.assertIn("ValueError: left a with open", bad["error"]["message"])
            self.assertEqual([n["path"] for n in after["document"]["nodes"]], ["/", "/c"])

    def test_module_tree_named_like_a_global(self):
        with h.TempDir() as d:
            path = d.write("background.py", """\
                import conducto as co
                background = "a global with the file's name"
                root = co.Serial()
                root["a"] = co.Exec("echo a")
                """)
            [entry] = lines(run_sdk([path, "--all"]).stdout)
            self.assertEqual(entry["name"], "background")
            self.assertEqual([n["path"] for n in entry["document"]["nodes"]], ["/", "/a"])

    def test_file_level_error_exits_3_with_a_json_line(self):
        result = run_sdk([example("build_and_test.py"), "--all", "--errors=json", "--source-stdin"],
                         stdin="import conducto as co\nroot = co.Serial(\n")
        self.assertEqual(result.returncode, 3)
        error = h.last_json_line(result.stderr)["error"]
        self.assertEqual((error["file"], error["kind"]), (example("build_and_test.py"), "syntax"))
        self.assertEqual(result.stdout, "")

    def test_prints_of_the_definition_go_to_stderr(self):
        with h.TempDir() as d:
            path = d.write("noisy.py", """\
                import os
                import conducto as co
                print("hello from import")
                os.system("echo from a subprocess")
                root = co.Serial()
                root["a"] = co.Exec("echo a")
                """)
            result = run_sdk([path, "--all"])
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(len(lines(result.stdout)), 1)
            self.assertIn("hello from import", result.stderr)
            self.assertIn("from a subprocess", result.stderr)

    def test_source_stdin_evaluates_the_buffer_under_the_files_name(self):
        buffer = textwrap.dedent("""\
            import conducto as co


            def run() -> co.Serial:
                root = co.Serial()
                root["Unsaved"] = co.Exec("echo unsaved")
                return root
            """)
        file = example("build_and_test.py")
        result = run_sdk([file, "--all", "--source-stdin"], stdin=buffer)
        self.assertEqual(result.returncode, 0, result.stderr)
        [entry] = lines(result.stdout)
        self.assertEqual(entry["document"]["file"], file)
        unsaved = entry["document"]["nodes"][1]
        self.assertEqual((unsaved["path"], unsaved["source"]), ("/Unsaved", {"file": file, "line": 6}))

    def test_source_stdin_traceback_quotes_the_buffer(self):
        file = os.path.join(h.EXAMPLES, "not_saved_yet.py")  # need not exist
        result = run_sdk([file, "--all", "--source-stdin", "--errors=json"],
                         stdin="import conducto as co\n\nraise RuntimeError('boom')  # in the buffer\n")
        self.assertEqual(result.returncode, 3)
        self.assertIn("# in the buffer", result.stderr)
        error = h.last_json_line(result.stderr)["error"]
        self.assertEqual((error["file"], error["line"]), (file, 3))

    def test_memory_limit(self):
        with h.TempDir() as d:
            path = d.write("hog.py", """\
                import conducto as co
                hog = bytearray(512 * 1024 * 1024)
                root = co.Serial()
                """)
            result = run_sdk([path, "--all", "--errors=json", "--memory-limit", "256"])
            if sys.platform.startswith("linux"):
                self.assertEqual(result.returncode, 3, result.stderr)
                error = h.last_json_line(result.stderr)["error"]
                self.assertEqual((error["line"], error["kind"]), (2, "exception"))
                self.assertIn("MemoryError", error["message"])
            result = run_sdk([path, "--all", "--memory-limit=lots"])
            self.assertEqual(result.returncode, 2)

    def test_all_takes_no_function(self):
        result = run_sdk([example("leibniz.py"), "compute_pi", "--all"])
        self.assertEqual(result.returncode, 2)


class Warm(unittest.TestCase):
    def test_one_request_on_stdin(self):
        with h.TempDir() as d:
            path = d.write("w.py", "x = 1\n")
            header = json.dumps({"file": path, "memoryMb": 1024, "errorsJson": True})
            buffer = "import conducto as co\nimport os\nroot = co.Serial()\nroot[os.path.basename(os.getcwd())] = co.Exec('x')\n"
            result = run_sdk([], stdin=header + "\n" + buffer, module="pipewright.warm", cwd="/")
            self.assertEqual(result.returncode, 0, result.stderr)
            [entry] = lines(result.stdout)
            self.assertEqual(entry["name"], "w")
            # It runs in the definition's folder, as `python3 -m pipewright FILE` from there.
            self.assertEqual(entry["document"]["nodes"][1]["path"],
                             "/" + os.path.basename(d.path))

    def test_cpu_limit_ends_a_loop_the_server_did_not(self):
        with h.TempDir() as d:
            source = "import conducto as co\nwhile True:\n    pass\n"
            path = d.write("loop.py", source)
            header = json.dumps({"file": path, "timeoutMs": 500})
            result = run_sdk([], stdin=header + "\n" + source, module="pipewright.warm")
            self.assertNotEqual(result.returncode, 0)  # SIGXCPU after ~3 s of CPU

    def test_empty_request_exits_quietly(self):
        result = run_sdk([], stdin="", module="pipewright.warm")
        self.assertEqual((result.returncode, result.stdout), (0, ""))


class Outline(unittest.TestCase):
    def outline(self, code, file="/virtual/pipe.py"):
        return outline.outline(textwrap.dedent(code), file)

    def tree(self, symbols, depth=0):
        out = []
        for s in symbols:
            out.append("%s%s@%d" % ("  " * depth, s["name"], s["line"]))
            out.extend(self.tree(s["children"], depth + 1))
        return out

    def test_examples_agree_with_list(self):
        for name in ("build_and_test.py", "leibniz.py", "lazy_deploy_test.py", "construct_with.py",
                     "inheritance.py", "construct_function.py", "auto_main.py"):
            with open(example(name), encoding="utf-8") as f:
                result = outline.outline(f.read(), example(name))
            listed = json.loads(h.run_cli(example(name), "--list").stdout)
            self.assertEqual(result["pipelines"], listed, name)
            self.assertTrue(result["isDefinition"])

    def test_function_nodes_nested_by_path(self):
        with open(example("build_and_test.py"), encoding="utf-8") as f:
            result = outline.outline(f.read(), example("build_and_test.py"))
        self.assertEqual(self.tree(result["symbols"]),
                         ["run@5", "  /@15", "    Build@7", "    Test@10", "      [name]@12"])
        run = result["symbols"][0]
        self.assertEqual((run["kind"], run["endLine"]), ("function", 18))

    def test_with_and_name_and_paths(self):
        result = self.outline("""\
            from pipewright import Serial, Parallel as P, Exec
            with Serial() as root:
                with P(name="Test"):
                    Exec("echo 1", name="t1")
                root["Test/t2"] = Exec(f"echo {2}")
            """)
        self.assertEqual(self.tree(result["symbols"]), ["/@2", "  Test@3", "    t1@4", "    t2@5"])
        self.assertEqual(result["pipelines"], [{"name": "pipe", "line": 2, "default": True}])
        t2 = result["symbols"][0]["children"][0]["children"][1]
        self.assertEqual((t2["type"], t2["detail"]), ("Exec", 'Exec f"echo {2}"'))

    def test_main_default_and_annotations(self):
        result = self.outline("""\
            import conducto as co

            def _private() -> co.Serial:
                return co.Serial()

            @staticmethod
            def annotated(n: int) -> "co.Parallel":
                return co.Parallel()

            def by_main():
                return co.Serial()

            def helper():
                return 1

            if __name__ == "__main__":
                co.main(default="by_main")
            """)
        self.assertEqual(result["pipelines"], [{"name": "annotated", "line": 6, "default": False},
                                               {"name": "by_main", "line": 10, "default": True}])
        self.assertEqual([s["name"] for s in result["symbols"]], ["_private", "annotated", "by_main"])

    def test_not_a_definition(self):
        self.assertEqual(self.outline("import os\nx = os.getcwd()\n"),
                         {"isDefinition": False, "pipelines": [], "symbols": []})

    def test_syntax_error(self):
        result = self.outline("import conducto as co\nroot = co.Serial(\n")
        self.assertTrue(result["isDefinition"])
        self.assertEqual((result["error"]["kind"], result["error"]["file"]),
                         ("syntax", "/virtual/pipe.py"))

    def test_never_runs_the_file(self):
        with h.TempDir() as d:
            marker = os.path.join(d.path, "ran")
            path = d.write("evil.py", """\
                import conducto as co
                open(%r, "w").write("ran")
                root = co.Serial()
                """ % marker)
            result = run_sdk([path], module="pipewright.outline")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(json.loads(result.stdout)["pipelines"],
                             [{"name": "evil", "line": 3, "default": True}])
            with open(path, encoding="utf-8") as f:
                result = run_sdk([path, "--source-stdin"], stdin=f.read(),
                                 module="pipewright.outline")
            self.assertEqual(json.loads(result.stdout)["symbols"][0]["name"], "/")
            self.assertFalse(os.path.exists(marker))


if __name__ == "__main__":
    unittest.main()
