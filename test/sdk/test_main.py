"""co.main: `python FILE [FUNC] [--arg=v] [--json] [--local]`, and the CLI's --list."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

from test_examples import BUILD_AND_TEST  # noqa: E402


def example(name):
    return os.path.join(h.EXAMPLES, name)


class CoMain(unittest.TestCase):
    def test_prints_the_default_tree(self):
        result = h.run_script(example("build_and_test.py"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, BUILD_AND_TEST + "\n")

    def test_function_and_arguments(self):
        result = h.run_script(example("leibniz.py"), "compute_pi", "--n=7")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Leibniz2   conducto leibniz.py leibniz --n=7", result.stdout)
        result = h.run_script(example("leibniz.py"), "leibniz", "--n=1000")
        self.assertTrue(result.stdout.startswith("3.14"), result.stdout + result.stderr)

    def test_json(self):
        result = h.run_script(example("leibniz.py"), "--n=5", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        document = json.loads(result.stdout)
        self.assertEqual((document["name"], document["file"]),
                         ("compute_pi", example("leibniz.py")))
        self.assertEqual([(n["path"], n["type"]) for n in document["nodes"]],
                         [("/", "Serial"), ("/Leibniz1", "Exec"), ("/Leibniz2", "Exec")])
        self.assertEqual(document["nodes"][1]["command"], "conducto leibniz.py leibniz --n=5")
        self.assertEqual(document["nodes"][1]["params"]["image"]["copy_dir"], h.EXAMPLES)

    def test_run_from_another_folder(self):
        # FILE in a callable's command is relative to the definition's folder, not the cwd.
        result = h.run_script(example("leibniz.py"), "--n=5", cwd="/")
        self.assertIn("conducto leibniz.py leibniz --n=5", result.stdout, result.stderr)

    def test_errors_exit_3(self):
        result = h.run_script(example("leibniz.py"), "--errors=json")
        self.assertEqual(result.returncode, 3)
        self.assertIn("compute_pi() is missing --n", h.last_json_line(result.stderr)["error"]
                      ["message"])

    def test_local_hands_off_to_the_cli(self):
        with h.TempDir() as d:
            fake = d.write("cli.js", "console.log(JSON.stringify(process.argv.slice(2)))\n")
            result = h.run_script(example("leibniz.py"), "compute_pi", "--n=3", "--local",
                                  env={"PIPEWRIGHT_CLI": fake})
            self.assertEqual(result.returncode, 0, result.stderr)
            # --local makes the pipeline with its Run toggle off, as in Conducto.
            self.assertEqual(json.loads(result.stdout),
                             ["run", example("leibniz.py"), "compute_pi", "--n=3", "--pending"])
            result = h.run_script(example("leibniz.py"), "compute_pi", "--n=3", "--local", "--run",
                                  env={"PIPEWRIGHT_CLI": fake})
            self.assertEqual(json.loads(result.stdout),
                             ["run", example("leibniz.py"), "compute_pi", "--n=3"])
            missing = os.path.join(d.path, "missing.js")
            result = h.run_script(example("leibniz.py"), "--run", env={"PIPEWRIGHT_CLI": missing})
        self.assertEqual(result.returncode, 2)
        self.assertIn("Pipewright CLI was not found", result.stderr)
        self.assertIn("PIPEWRIGHT_CLI", result.stderr)


class Listing(unittest.TestCase):
    def test_list_functions(self):
        result = h.run_cli(example("lazy_deploy_test.py"), "--list")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), [
            {"name": "pipe", "line": 5, "default": True},
            {"name": "test_service", "line": 20, "default": False}])

    def test_list_default_without_annotation(self):
        result = h.run_cli(example("build_and_test.py"), "--list")
        self.assertEqual(json.loads(result.stdout), [{"name": "run", "line": 5, "default": True}])

    def test_list_module_tree(self):
        result = h.run_cli(example("construct_with.py"), "--list")
        self.assertEqual(json.loads(result.stdout),
                         [{"name": "construct_with", "line": 3, "default": True}])
        # ...and that name selects it
        result = h.run_cli(example("construct_with.py"), "construct_with", "--json")
        self.assertEqual(json.loads(result.stdout)["name"], "construct_with")

    def test_list_skips_private_and_imported(self):
        with h.TempDir() as d:
            d.write("helpers.py", "import conducto as co\ndef shared() -> co.Serial:\n"
                                  "    return co.Serial()\n")
            path = d.write("p.py", """\
                import conducto as co
                from helpers import shared
                def _private() -> co.Serial:
                    return co.Serial()
                def public() -> "co.Parallel":
                    return co.Parallel()
                def not_a_pipeline() -> int:
                    return 1
                """)
            result = h.run_cli(path, "--list")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), [{"name": "public", "line": 5,
                                                      "default": False}])


class ModuleRoot(unittest.TestCase):
    def test_prefers_root_among_several(self):
        with h.TempDir() as d:
            path = d.write("p.py", "import conducto as co\nother = co.Serial()\n"
                                   "root = co.Parallel()\n")
            result = h.run_cli(path, "--json")
        document = json.loads(result.stdout)
        self.assertEqual((document["name"], document["nodes"][0]["type"]), ("p", "Parallel"))


if __name__ == "__main__":
    unittest.main()
