"""Definitions written the ways Conducto's tutorials and examples write them (test/fixtures/conducto):
a package run with `python -m`, positional arguments, notebooks, and the construction styles."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

from pipewright import notebook  # noqa: E402
from pipewright.errors import DefinitionError  # noqa: E402

FIXTURES = os.path.join(h.REPO, "test", "fixtures", "conducto")
PACKAGE = os.path.join(FIXTURES, "ci_package")

CI_TREE = "\n".join([
    "/",
    "├─0 Build",
    "│ ├─ web   echo build web",
    "│ └─ api   echo build api",
    "├─1 Check",
    "│ ├─ web",
    "│ │ ├─ lint   conducto utils.py run_check --component=web --check=lint",
    "│ │ └─ unit   conducto utils.py run_check --component=web --check=unit",
    "│ └─ api",
    "│   ├─ unit   conducto utils.py run_check --component=api --check=unit",
    "│   ├─ contract   conducto utils.py run_check --component=api --check=contract",
    "│   └─ load   conducto utils.py run_check --component=api --check=load",
    "└─2 Ship   echo ship it",
]) + "\n"

STYLE_TREE = "\n".join([
    "/",
    "├─0 fetch",
    "│ ├─ a   echo fetch a",
    "│ └─ b   echo fetch b",
    "└─1 process",
    "  ├─0 c   echo process c",
    "  └─1 d   echo process d",
]) + "\n"


def fixture(name):
    return os.path.join(FIXTURES, name)


class PackageEntryPoint(unittest.TestCase):
    def test_a_package_folder_loads_its_main_inside_the_package(self):
        # `from . import utils` in __main__.py works only when it runs as ci_package.__main__.
        result = h.run_cli(PACKAGE)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, CI_TREE)

    def test_the_main_file_itself_loads_the_same(self):
        result = h.run_cli(os.path.join(PACKAGE, "__main__.py"))
        self.assertEqual((result.returncode, result.stdout), (0, CI_TREE), result.stderr)

    def test_its_json_names_the_main_file(self):
        result = h.run_cli(PACKAGE, "build", '["x"]', "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        document = json.loads(result.stdout)
        self.assertEqual((document["name"], document["file"]),
                         ("build", os.path.join(PACKAGE, "__main__.py")))
        self.assertEqual([n["path"] for n in document["nodes"]], ["/", "/x"])

    def test_python_dash_m_as_the_tutorial_runs_it(self):
        result = subprocess.run([sys.executable, "-m", "ci_package"], cwd=FIXTURES,
                                env=h._env(None), capture_output=True, text=True, timeout=60)
        self.assertEqual((result.returncode, result.stdout), (0, CI_TREE), result.stderr)

    def test_dash_m_local_hands_the_main_file_to_the_cli(self):
        with h.TempDir() as d:
            fake = d.write("cli.js", "console.log(JSON.stringify(process.argv.slice(2)))\n")
            env = h._env({"PIPEWRIGHT_CLI": fake})
            result = subprocess.run([sys.executable, "-m", "ci_package", "build", '["x"]', "--local"],
                                    cwd=FIXTURES, env=env, capture_output=True, text=True,
                                    timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(json.loads(result.stdout), ["run", os.path.join(PACKAGE, "__main__.py"),
                                                         "build", '["x"]', "--pending"])

    def test_a_folder_run_as_python_dir_with_absolute_imports_loads_too(self):
        with h.TempDir() as d:
            os.mkdir(os.path.join(d.path, "my-dir"))
            d.write("my-dir/helper.py", "CMD = 'echo hi'\n")
            d.write("my-dir/__main__.py", "import conducto as co\nimport helper\n"
                                          "root = co.Serial()\nroot['a'] = co.Exec(helper.CMD)\n")
            result = h.run_cli(os.path.join(d.path, "my-dir"), "--json")
            self.assertEqual(result.returncode, 0, result.stderr)
            document = json.loads(result.stdout)
            self.assertEqual(document["name"], "my-dir")
            self.assertEqual([n["command"] for n in document["nodes"][1:]], ["echo hi"])

    def test_a_package_named_like_an_imported_module_is_an_error_not_that_module(self):
        with h.TempDir() as d:
            os.mkdir(os.path.join(d.path, "json"))
            d.write("json/__init__.py", "")
            d.write("json/__main__.py", "import conducto as co\nfrom . import steps\n")
            result = h.run_cli(os.path.join(d.path, "json"))
            self.assertEqual(result.returncode, 3)
            self.assertIn("json/__main__.py:1: the package folder %s/json is named like the "
                          "module json, already imported from" % d.path, result.stderr)

    def test_a_folder_without_main_is_an_error_naming_it(self):
        with h.TempDir() as d:
            d.write("x.py", "")
            result = h.run_cli(d.path)
            self.assertEqual(result.returncode, 3)
            self.assertIn("%s:1: a folder without __main__.py" % d.path, result.stderr)


class PositionalArguments(unittest.TestCase):
    def run_ok(self, *args):
        result = h.run_cli(fixture("primes.py"), *args)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_bare_words_fill_the_parameters_in_order(self):
        self.assertEqual(self.run_ok("primes_up_to", "200"),
                         "/\n├─0 sieve   echo sieve below 200\n└─1 check   echo check 200\n")
        self.assertEqual(self.run_ok("primes_up_to", "--n=20"), "/\n└─0 sieve   echo sieve below 20\n")
        self.assertEqual(self.run_ok("bounds", "3", "--hi", "7"), "/\n└─ 3-7   echo 3 7 True\n")

    def test_no_flag_and_star_args_as_conductos_co_main(self):
        self.assertEqual(self.run_ok("bounds", "3", "--no-verbose"), "/\n└─ 3-10   echo 3 10 False\n")
        self.assertEqual(self.run_ok("each", "xs", "1", "2"),
                         "/\n├─ xs 2   true\n└─ xs 4   true\n")

    def test_co_main_takes_them_too(self):
        result = h.run_script(fixture("primes.py"), "primes_up_to", "200")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("check   echo check 200", result.stdout)

    def test_too_many_names_the_parameters(self):
        result = h.run_cli(fixture("primes.py"), "primes_up_to", "200", "300", "--errors=json")
        self.assertEqual(result.returncode, 3)
        error = h.last_json_line(result.stderr)["error"]
        self.assertEqual(error["message"],
                         "primes_up_to() takes 1 positional argument (n), got 2: 200 300")
        self.assertEqual((error["file"], error["line"]), (fixture("primes.py"), 4))
        result = h.run_cli(fixture("primes.py"), "bounds", "--lo=1", "2", "true", "4")
        self.assertIn("bounds() takes 2 positional arguments (hi, verbose), got 3: 2 true 4",
                      result.stderr)

    def test_a_wrong_value_names_the_parameter(self):
        result = h.run_cli(fixture("primes.py"), "primes_up_to", "many")
        self.assertEqual(result.returncode, 3)
        self.assertIn("argument n of primes_up_to(): 'many' is not an int", result.stderr)


class Notebooks(unittest.TestCase):
    def test_the_code_cells_are_the_definition(self):
        result = h.run_cli(fixture("notebook.ipynb"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "/\n├─0 hello   echo hello\n└─1 both\n"
                                        "  ├─ x   echo x\n  └─ y   echo y\n")

    def test_an_error_names_the_notebooks_line_holding_the_code(self):
        result = h.run_cli(fixture("notebook_error.ipynb"), "--errors=json")
        self.assertEqual(result.returncode, 3)
        error = h.last_json_line(result.stderr)["error"]
        with open(fixture("notebook_error.ipynb"), encoding="utf-8") as f:
            line = f.read().splitlines()[error["line"] - 1]
        self.assertEqual(error["file"], fixture("notebook_error.ipynb"))
        self.assertIn("undefined_command", error["message"])
        self.assertEqual(line.strip(), '"root[\\"no\\"] = co.Exec(undefined_command)"')

    def test_an_unsaved_buffer_of_a_notebook_is_read_the_same(self):
        with open(fixture("notebook.ipynb"), encoding="utf-8") as f:
            text = f.read()
        source = notebook.source_of(fixture("notebook.ipynb"), text)
        self.assertEqual(source.splitlines()[text.splitlines().index(
            '    "def pipeline() -> co.Serial:\\n",')], "def pipeline() -> co.Serial:")
        self.assertIn("pass  # %matplotlib inline", source)

    def test_one_string_per_cell_is_joined_after_cell_comments(self):
        text = json.dumps({"cells": [
            {"cell_type": "code", "source": "import conducto as co\nx = 1"},
            {"cell_type": "markdown", "source": "words"},
            {"cell_type": "code", "source": "y = 2\n"},
        ]})
        self.assertEqual(notebook.source_of("/n/x.ipynb", text),
                         "# cell 1\nimport conducto as co\nx = 1\n# cell 2\ny = 2\n")

    def test_not_a_notebook_is_said_so_never_name_error_null(self):
        for text, fragment in (('{"cells": [null', "invalid JSON"), ('{"a": null}', 'no "cells"')):
            with self.assertRaises(DefinitionError) as caught:
                notebook.source_of("/n/x.ipynb", text)
            self.assertIn("not a Jupyter notebook", caught.exception.message)
            self.assertIn(fragment, caught.exception.message)


class ConstructionStyles(unittest.TestCase):
    def test_dict_path_and_context_styles_make_one_tree(self):
        for func in ("as_dict", "as_path", "as_context"):
            self.assertEqual(h.load(fixture("tree_styles.py"), func)[1].pretty() + "\n",
                             STYLE_TREE, func)

    def test_lazy_and_callables_under_co_main_default(self):
        name, root = h.load(fixture("lazy_callables.py"))
        self.assertEqual(name, "main")
        self.assertEqual(root.pretty(), "\n".join([
            "/",
            "├─0 Download   conducto lazy_callables.py download --out_dir=/tmp/raw --retries=2",
            "├─1 Features",
            "│ ├─0 Generate   conducto lazy_callables.py features --in_dir=/tmp/raw --parts=3",
            "│ └─1 Execute",
            "└─2 Report   conducto lazy_callables.py report --names='[\"a\", \"b\"]'",
        ]))
        # What the Generate node runs: the Lazy's function, called as its command says.
        self.assertEqual(h.load(fixture("lazy_callables.py"), "features",
                                ["--in_dir=/tmp/raw", "--parts=3"])[1].pretty().count("echo"), 3)

    def test_seventeen_steps_are_numbered_00_to_16(self):
        lines = h.load(fixture("sweep.py"))[1].pretty().split("\n")
        self.assertEqual((lines[1], lines[-1]), ("├─00 step0   echo step 0", "└─16 step16   echo step 16"))


if __name__ == "__main__":
    unittest.main()
