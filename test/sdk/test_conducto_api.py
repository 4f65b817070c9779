"""Conducto's definition-time API: unindented commands, Node.set(), Exec.command =, function
keywords named like node params, to_str/from_str argument types, absolute keys, string booleans,
co.util. Fixtures in conducto_style/ are written in the construction styles of Conducto's examples."""
import os
import shlex
import subprocess
import textwrap
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

from pipewright import callables, outline  # noqa: E402
from pipewright.errors import ArgumentError  # noqa: E402

STYLE = os.path.join(h.HERE, "conducto_style")
API = os.path.join(STYLE, "definition_api.py")
MONTHS = os.path.join(STYLE, "months.py")
HEAD = "import conducto as co\n"


def tree(path, func=None, argv=()):
    return h.load(path, func, argv)[1]


class Unindent(unittest.TestCase):
    def test_triple_quoted_command_is_unindented_and_stripped(self):
        g = h.define(HEAD + 'node = co.Exec("""\n    echo a\n      echo b\n\tdone\n""")\n')
        self.assertEqual(g["node"].command, "echo a\n  echo b\ndone")

    def test_first_line_does_not_count_and_one_line_is_unchanged(self):
        g = h.define(HEAD + 'a = co.Exec("echo a\\n    echo b\\n      echo c")\n'
                     'b = co.Exec("  echo one line  ")\n')
        self.assertEqual(g["a"].command, "echo a\necho b\n  echo c")
        self.assertEqual(g["b"].command, "  echo one line  ")

    def test_lazy_command_is_unindented(self):
        g = h.define(HEAD + 'node = co.Lazy("""\n    python3 gen.py\n    """)\n')
        self.assertEqual(g["node"]["Generate"].command, "python3 gen.py")

    def test_indented_heredoc_ends_and_the_rest_runs(self):
        # Before: the indented terminator never matched, the heredoc swallowed the script and
        # sh exited 0 having printed nothing.
        command = tree(API, "heredoc")["write"].command
        with h.TempDir() as d:
            command = command.replace("/tmp/greeting.txt", os.path.join(d.path, "g.txt"))
            result = subprocess.run(["sh", "-c", command], capture_output=True, text=True,
                                    timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "hello\n  indented\nafter the heredoc\n")


class SetAndCommand(unittest.TestCase):
    def test_set_gives_node_params_and_returns_none(self):
        g = h.define(HEAD + 'node = co.Serial()\nresult = node.set(cpu=0.5, mem=1.5, '
                     'stop_on_error="false", env={"A": "1"}, doc=None)\n')
        node = g["node"]
        self.assertIsNone(g["result"])
        self.assertEqual((node.cpu, node.mem, node.stop_on_error, node.env), (0.5, 1.5, False,
                                                                             {"A": "1"}))
        self.assertEqual(node.user_set(), ["cpu", "mem", "env", "stop_on_error"])

    def test_set_none_keeps_the_value(self):
        g = h.define(HEAD + 'node = co.Exec("x", cpu=2)\nnode.set(cpu=None, mem=3)\n')
        self.assertEqual((g["node"].cpu, g["node"].mem), (2, 3))

    def test_set_checks_every_param_before_changing_any(self):
        h.definition_error(self, HEAD + 'node = co.Exec("x")\n\nnode.set(cpu=2, mem=-1)\n', 4,
                           "mem=-1 is invalid")
        h.definition_error(self, HEAD + 'node = co.Exec("x")\nnode.set(max_concurrent=2)\n', 3,
                           "applies to Parallel nodes only")
        g = h.define(HEAD + 'node = co.Exec("x")\ntry:\n    node.set(cpu=2, mem=-1)\n'
                     'except co.DefinitionError:\n    pass\n')
        self.assertEqual(g["node"].user_set(), [])

    def test_set_name_joins_the_open_with_node(self):
        g = h.define(HEAD + 'with co.Parallel() as root:\n    co.Exec("x").set(name="a", cpu=2)\n')
        self.assertEqual(g["root"]["a"].cpu, 2)

    def test_set_on_the_real_example_style(self):
        root = tree(API, "params")
        self.assertEqual((root["shared"].cpu, root["shared"].mem), (0.5, 1.5))
        self.assertEqual((root["later"].cpu, root["later"].mem), (0.25, 2))
        self.assertEqual(root["plain"].cpu, 1.5)

    def test_command_can_be_replaced(self):
        root = tree(API, "count_fixed", ["--n=5"])
        self.assertEqual(root["count"].command, "echo fixed count to 5")
        g = h.define(HEAD + 'node = co.Exec("x")\nnode.command = """\n    echo a\n    echo b\n"""\n')
        self.assertEqual(g["node"].command, "echo a\necho b")

    def test_bad_command_assignment_names_the_line(self):
        h.definition_error(self, HEAD + 'node = co.Exec("x")\nnode.command = 5\n', 3,
                           "command must be a string")
        h.definition_error(self, HEAD + 'node = co.Exec("x")\nnode.command = "  "\n', 3,
                           "needs a non-empty command")


FUNCS = HEAD + '''
def report(mem, cpu: int = 1200, name="r"):
    pass

def plain(x):
    pass
'''


class FunctionKeywords(unittest.TestCase):
    def test_keywords_named_like_the_functions_parameters_go_to_it(self):
        g = h.define(FUNCS + 'node = co.Exec(report, "16 GB", cpu=2950)\n')
        self.assertEqual(g["node"].command, "conducto pipeline.py report --mem='16 GB' --cpu=2950")
        self.assertEqual((g["node"].cpu, g["node"].user_set()), (1, []))

    def test_name_goes_to_the_function_when_it_has_that_parameter(self):
        g = h.define(FUNCS + 'with co.Parallel() as root:\n'
                     '    n = co.Exec(report, "m", name="x", params={"name": "node"})\n')
        self.assertIn("--name=x", g["root"]["node"].command)

    def test_params_dict_and_other_keywords_are_node_params(self):
        g = h.define(FUNCS + 'a = co.Exec(report, "m", params={"cpu": 2, "mem": 3})\n'
                     'b = co.Exec(plain, 1, cpu=2)\n'
                     'c = co.Exec("echo", cpu=1, params={"mem": 4})\n'
                     'd = co.Lazy(report, "m", cpu=7, params={"cpu": 3})\n')
        self.assertEqual((g["a"].cpu, g["a"].mem), (2, 3))
        self.assertEqual(g["b"].cpu, 2)
        self.assertEqual((g["c"].cpu, g["c"].mem), (1, 4))
        self.assertEqual(g["d"].cpu, 3)
        self.assertIn("--cpu=7", g["d"]["Generate"].command)

    def test_a_node_param_given_twice_is_an_error(self):
        h.definition_error(self, FUNCS + 'co.Exec(plain, 1, cpu=2, params={"cpu": 3})\n', 8,
                           "node param 'cpu' given twice")
        h.definition_error(self, HEAD + 'co.Exec("x", cpu=2, params={"cpu": 3})\n', 2,
                           "given twice (as keywords and in params=): cpu")
        h.definition_error(self, FUNCS + 'co.Exec(plain, 1, params=[1])\n', 8, "params=[1]")

    def test_example_style(self):
        root = tree(API, "params")
        self.assertTrue(root["shared"].command.endswith("report --mem='16 GB' --cpu=3600"))
        self.assertEqual((root["dict"].mem, root["dict"].cpu), (3, 1))
        self.assertIn("--cpu=1", root["dict"].command)


class CustomTypes(unittest.TestCase):
    def test_written_with_to_str_and_read_back_with_from_str(self):
        root = tree(API, "params")
        argv = shlex.split(root["mood"].command)
        self.assertEqual(argv[1:], ["definition_api.py", "feel", "--mood=yay :)"])
        with open(API, encoding="utf-8") as f:
            g = h.define(f.read(), filename=API)
        parsed = callables.parse_call(g["feel"], argv[3:])
        self.assertIsInstance(parsed["mood"], g["Mood"])
        self.assertTrue(parsed["mood"].happy)

    def test_the_node_command_runs(self):
        argv = shlex.split(tree(API, "params")["mood"].command)
        result = h.run_cli(*argv[1:], cwd=STYLE)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "feeling happy as a Mood\n")

    def test_from_str_failure_names_the_argument(self):
        g = h.define(HEAD + textwrap.dedent('''
            class Bad:
                def to_str(self):
                    return "b"
                @staticmethod
                def from_str(s):
                    raise ValueError("no " + s)
            def use(x: Bad):
                pass
        '''))
        with self.assertRaises(ArgumentError) as caught:
            callables.parse_call(g["use"], ["--x=b"])
        self.assertIn("argument x of use(): Bad.from_str('b') failed: ValueError: no b",
                      caught.exception.message)

    def test_a_value_that_is_not_the_type_is_refused(self):
        code = HEAD + '''
class T:
    def from_str(s):
        return T()

def use(x: T):
    pass

co.Exec(use, "text")
'''
        h.definition_error(self, code, 10, "argument x of use(): expected a T")

    def test_to_str_must_return_text(self):
        code = HEAD + '''
class T:
    def to_str(self):
        return 5

def use(x):
    pass

co.Exec(use, T())
'''
        h.definition_error(self, code, 10, "T.to_str() returned 5, not a string")


class Keys(unittest.TestCase):
    def test_absolute_keys_start_at_the_root(self):
        root = tree(API, "paths")
        self.assertEqual(list(root["build"]), ["app", "lib"])
        self.assertIs(root["test"]["/build/lib"], root["build"]["lib"])
        self.assertEqual(root["test/unit"].command, "echo test lib")
        self.assertIs(root["test"]["/"], root)
        self.assertIn("/build/app", root["test"])

    def test_missing_parent_of_an_absolute_key(self):
        h.definition_error(self, HEAD + 'root = co.Serial()\nroot["a"] = co.Serial()\n'
                           'root["a"]["/b/c"] = co.Exec("x")\n', 4,
                           "cannot assign '/b/c': / has no child 'b'")
        h.definition_error(self, HEAD + 'root = co.Serial()\nroot["/"] = co.Exec("x")\n', 3,
                           "it must end with a node name")


class StringBooleans(unittest.TestCase):
    def test_conductos_boolean_words(self):
        g = h.define(HEAD + textwrap.dedent('''
            a = co.Serial(stop_on_error="False", suppress_errors="true", skip="0")
            b = co.Exec("x", requires_docker="T", skip=" YES ")
            c = co.Serial(stop_on_error="none", skip="1")
        '''))
        a, b, c = g["a"], g["b"], g["c"]
        self.assertEqual((a.stop_on_error, a.suppress_errors, a.skip), (False, True, False))
        self.assertEqual((b.requires_docker, b.skip), (True, True))
        self.assertEqual((c.stop_on_error, c.skip), (False, True))

    def test_example_style(self):
        root = tree(API, "paths")
        self.assertEqual((root.stop_on_error, root["build"].suppress_errors, root["test"].skip),
                         (False, True, False))

    def test_other_words_are_refused(self):
        h.definition_error(self, HEAD + 'co.Serial(stop_on_error="nope")\n', 2,
                           "stop_on_error='nope' is invalid")


class Util(unittest.TestCase):
    def test_imports_with_the_standard_library_only(self):
        # -I -S: no site-packages, no user site, no PYTHONPATH; only the stdlib and the SDK.
        code = ("import sys; sys.path.insert(0, %r); import conducto as co; "
                "print(co.util.magic_doc, co.util.makeyyyymmnodes)" % h.SDK)
        result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_months_grouped_by_year_newest_first(self):
        root = tree(MONTHS)
        parallel = root["Parallelize"]
        self.assertEqual(list(parallel), ["2020", "2019"])
        self.assertEqual(list(parallel["2020"]), ["202002", "202001"])
        self.assertEqual(len(parallel["2019"]), 12)
        self.assertEqual(parallel["2019/201901"].command,
                         "conducto months.py summarize --yyyymm=201901")

    def test_under_ten_months_are_flat(self):
        parallel = tree(MONTHS, "monthly", ["--count=3"])["Parallelize"]
        self.assertEqual(list(parallel), ["201903", "201902", "201901"])

    def test_leaf_nodes_and_oldest_first(self):
        g = h.define(HEAD + textwrap.dedent('''
            root = co.Parallel()
            made = list(co.util.makeyyyymmnodes(root, [202001, 202003, 202002], makeLeafNode=True,
                                                reverse=False, nodeType=co.Serial))
        '''))
        self.assertEqual([(n.path(), n.type, m) for n, m in g["made"]],
                         [("/202001", "Serial", 202001), ("/202002", "Serial", 202002),
                          ("/202003", "Serial", 202003)])

    def test_magic_doc_is_the_docstring_then_the_code(self):
        doc = tree(MONTHS).doc
        first, code = doc.split("\n\n```python\n")
        self.assertEqual(first, "One summary node per month.")
        self.assertTrue(code.startswith("def monthly(count: int = 14) -> co.Serial:\n"
                                        "    output = co.Serial(doc=co.util.magic_doc())\n"))
        self.assertTrue(code.endswith("    return output\n\n```"))

    def test_magic_doc_comment_and_doc_only(self):
        self.assertEqual(tree(MONTHS, "commented").doc,
                         "Build and test in one container,\nthe comment above the call is the doc.")
        with h.TempDir() as d:
            path = d.write("p.py", '''\
                """The module's doc."""
                import conducto as co

                def documented():
                    """
                    Indented
                    docstring.
                    """
                    return co.Serial(doc=co.util.magic_doc(doc_only=True))

                def undocumented():
                    return co.Serial(doc=co.util.magic_doc())

                def by_func():
                    return co.Serial(doc=co.util.magic_doc(func=documented, doc_only=True))
            ''')
            self.assertEqual(tree(path, "documented").doc, "Indented\ndocstring.")
            self.assertTrue(tree(path, "undocumented").doc.startswith(
                "The module's doc.\n\n```python\ndef undocumented():\n"))
            self.assertEqual(tree(path, "by_func").doc, "Indented\ndocstring.")

    def test_magic_doc_outside_a_function(self):
        with h.TempDir() as d:
            path = d.write("p.py", "import conducto as co\nroot = co.Serial(doc=co.util.magic_doc())\n")
            with self.assertRaises(h.DefinitionError) as caught:
                tree(path)
        self.assertEqual(caught.exception.line, 2)
        self.assertIn("must be called in a module-level function", caught.exception.message)


class StaticOutline(unittest.TestCase):
    """The editor's outline (the file is not run) follows the same rules."""

    def symbols(self, func):
        with open(API, encoding="utf-8") as f:
            result = outline.outline(f.read(), API)
        return next(s for s in result["symbols"] if s["name"] == func)["children"][0]

    def test_absolute_keys_attach_under_the_root(self):
        root = self.symbols("paths")
        self.assertEqual([(c["name"], [g["name"] for g in c["children"]]) for c in root["children"]],
                         [("build", ["app", "lib"]), ("test", ["unit"])])

    def test_a_triple_quoted_command_shows_its_first_unindented_line(self):
        write = self.symbols("heredoc")["children"][0]
        self.assertEqual(write["detail"], "Exec cat > /tmp/greeting.txt <<EOF")


if __name__ == "__main__":
    unittest.main()
