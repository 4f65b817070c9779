"""Every code example of the seed (conducto-node-types.txt), kept as files under examples/,
prints exactly the tree the seed shows."""
import json
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

from pipewright.export import pipeline_json  # noqa: E402


def example(name):
    return os.path.join(h.EXAMPLES, name)


BUILD_AND_TEST = """\
/
├─0 Build   echo docker build, make, npm i, etc.
└─1 Test
  ├─ app   echo run test for app
  ├─ backend   echo run test for backend
  └─ metrics   echo run test for metrics"""

# The seed's dict example really runs "echo run test 1" for test2; the other styles say "test 2".
CONSTRUCT_DICT = """\
/
└─0 Test
  ├─ test1   echo run test 1
  └─ test2   echo run test 1"""

CONSTRUCT = CONSTRUCT_DICT[:-1] + "2"

LAZY_CALLABLE = """\
/
├─0 Deploy   echo Deploy service
└─1 Test
  ├─0 Generate   conducto test.py test_service --num_tests=5
  └─1 Execute"""

LAZY_COMMAND = """\
/
├─0 Deploy   echo Deploy service
└─1 Test
  ├─0 Generate   conducto test.py --num-tests=5
  └─1 Execute"""


def without_sources(document):
    nodes = json.loads(document)["nodes"]
    for node in nodes:
        node.pop("source")
    return nodes


class SeedTrees(unittest.TestCase):
    def tree(self, name, func=None, argv=()):
        return h.load(example(name), func, argv)[1].pretty()

    def test_build_and_test(self):
        self.assertEqual(self.tree("build_and_test.py"), BUILD_AND_TEST)
        self.assertEqual(self.tree("build_and_test.py", "run"), BUILD_AND_TEST)

    def test_build_and_test_cli(self):
        result = h.run_cli("examples/build_and_test.py", "run")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, BUILD_AND_TEST + "\n")

    def test_construct_dict(self):
        self.assertEqual(self.tree("construct_dict.py"), CONSTRUCT_DICT)

    def test_construction_styles_agree(self):
        documents = {}
        for style in ("path", "function", "with"):
            name, root = h.load(example("construct_%s.py" % style))
            self.assertEqual(root.pretty(), CONSTRUCT, style)
            documents[style] = without_sources(pipeline_json(root, "p", "/f.py"))
        self.assertEqual(documents["path"], documents["function"])
        self.assertEqual(documents["path"], documents["with"])
        dict_nodes = without_sources(pipeline_json(h.load(example("construct_dict.py"))[1],
                                                   "p", "/f.py"))
        dict_nodes[-1]["command"] = "echo run test 2"  # the seed's own difference
        self.assertEqual(dict_nodes, documents["path"])

    def test_lazy_callable_saved_as_test_py(self):
        # The seed's tree names the file test.py; saved under that name it matches exactly.
        with h.TempDir() as d:
            path = os.path.join(d.path, "test.py")
            shutil.copy(example("lazy_deploy_test.py"), path)
            self.assertEqual(h.load(path)[1].pretty(), LAZY_CALLABLE)

    def test_lazy_callable_example(self):
        self.assertEqual(self.tree("lazy_deploy_test.py"),
                         LAZY_CALLABLE.replace("test.py", "lazy_deploy_test.py"))

    def test_lazy_command(self):
        self.assertEqual(self.tree("lazy_command.py"), LAZY_COMMAND)

    def test_lazy_execute_types(self):
        nodes = json.loads(pipeline_json(h.load(example("lazy_command.py"))[1], "p", "/f"))
        execute = {n["path"]: n for n in nodes["nodes"]}["/Test/Execute"]
        self.assertEqual(execute["lazy"], {"node_type": "Parallel"})
        self.assertEqual(execute["type"], "Parallel")
        root = h.load(example("lazy_deploy_test.py"))[1]
        self.assertEqual(root["Test/Execute"].type, "Parallel")  # from test_service's annotation

    def test_inheritance(self):
        self.assertEqual(self.tree("inheritance.py"),
                         "/\n└─ Node1   echo I run with 2 cores, and with LOG_LEVEL=$LOG_LEVEL")

    def test_leibniz(self):
        self.assertEqual(self.tree("leibniz.py", argv=["--n=1000"]),
                         "/\n├─0 Leibniz1   conducto leibniz.py leibniz --n=1000\n"
                         "└─1 Leibniz2   conducto leibniz.py leibniz --n=1000")

    def test_auto_main(self):
        self.assertEqual(self.tree("auto_main.py", "run"), "/")


if __name__ == "__main__":
    unittest.main()
