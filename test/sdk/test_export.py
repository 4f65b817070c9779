"""The pipeline JSON layout (docs/pipeline-json.md) and the tree text."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

import pipewright as co  # noqa: E402
from pipewright import export  # noqa: E402


def sample():
    root = co.Serial()
    root["B"] = co.Parallel()
    root["A"] = co.Exec("echo a")  # added after B: order of addition, not of names
    root["B/y"] = co.Serial()
    root["B/x"] = co.Exec('echo "x"\necho ünï')
    root["B/y/z"] = co.Exec("echo z")
    root["L"] = co.Lazy("conducto gen.py", node_type=co.Serial)
    return root


class Layout(unittest.TestCase):
    def test_lines(self):
        text = export.pipeline_json(sample(), "run", "/abs/p.py")
        lines = text.rstrip("\n").split("\n")
        self.assertEqual(lines[0],
                         '{"pipewright": 1, "name": "run", "file": "/abs/p.py", "nodes": [')
        self.assertEqual(lines[-1], "]}")
        body = lines[1:-1]
        for line in body[:-1]:
            self.assertTrue(line.endswith("},"), line)
        self.assertTrue(body[-1].endswith("}") and not body[-1].endswith(","))
        nodes = [json.loads(line.rstrip(",")) for line in body]
        self.assertEqual(nodes, json.loads(text)["nodes"])

    def test_header_and_depth_first_order(self):
        document = json.loads(export.pipeline_json(sample(), "run", "/abs/p.py"))
        self.assertEqual((document["pipewright"], document["name"], document["file"]),
                         (1, "run", "/abs/p.py"))
        self.assertEqual([n["path"] for n in document["nodes"]],
                         ["/", "/B", "/B/y", "/B/y/z", "/B/x", "/A", "/L", "/L/Generate",
                          "/L/Execute"])
        nodes = {n["path"]: n for n in document["nodes"]}
        self.assertEqual(nodes["/B/x"]["command"], 'echo "x"\necho ünï')
        self.assertNotIn("command", nodes["/B"])
        self.assertEqual(nodes["/L"]["type"], "Lazy")
        self.assertEqual(nodes["/L/Execute"]["lazy"], {"node_type": "Serial"})
        self.assertNotIn("lazy", nodes["/L/Generate"])
        for node in document["nodes"]:
            keys = ["path", "type"] + (["command"] if node["type"] == "Exec" else []) + \
                ["params", "set", "parents", "source"] + (["lazy"] if "lazy" in node else [])
            self.assertEqual(list(node), keys)
            self.assertEqual(node["source"]["file"], os.path.abspath(__file__))
            self.assertIsInstance(node["source"]["line"], int)

    def test_sources_are_the_creating_lines(self):
        g = h.define("import conducto as co\nroot = co.Serial()\nroot['a'] = co.Lazy("
                     "'conducto x.py')\n", filename="/virtual/src.py")
        nodes = json.loads(g["root"].to_json())["nodes"]
        self.assertEqual([n["source"] for n in nodes],
                         [{"file": "/virtual/src.py", "line": 2}] +
                         [{"file": "/virtual/src.py", "line": 3}] * 3)

    def test_many_chunks(self):
        # Node counts around the writer's chunk size must still give valid JSON.
        for count in (export._CHUNK - 2, export._CHUNK - 1, export._CHUNK, 2 * export._CHUNK):
            root = co.Parallel()
            for i in range(count):
                root["n%d" % i] = co.Exec("true")
            document = json.loads(root.to_json())
            self.assertEqual(len(document["nodes"]), count + 1)

    def test_root_alone(self):
        document = json.loads(co.Serial().to_json())
        self.assertEqual([n["path"] for n in document["nodes"]], ["/"])


class TreeText(unittest.TestCase):
    def test_nested_continuations(self):
        self.assertEqual(sample().pretty(), "\n".join([
            "/",
            "├─0 B",
            "│ ├─ y",
            "│ │ └─0 z   echo z",
            '│ └─ x   echo "x"\\necho ünï',
            "├─1 A   echo a",
            "└─2 L",
            "  ├─0 Generate   conducto gen.py",
            "  └─1 Execute",
        ]))

    def test_exec_root(self):
        self.assertEqual(co.Exec("echo hi").pretty(), "/   echo hi")

    def test_indices_padded_to_the_last_ones_width(self):
        # As Conducto's client: ten children still count 0..9, eleven count 00..10; Parallels
        # stay unnumbered.
        def serial(n):
            root = co.Serial()
            for i in range(n):
                root["s%d" % i] = co.Exec("echo %d" % i)
            return root.pretty().split("\n")
        self.assertEqual((serial(10)[1], serial(10)[-1]), ("├─0 s0   echo 0", "└─9 s9   echo 9"))
        lines = serial(17)
        self.assertEqual((lines[1], lines[10], lines[-1]),
                         ("├─00 s0   echo 0", "├─09 s9   echo 9", "└─16 s16   echo 16"))
        par = co.Parallel()
        for i in range(12):
            par["p%d" % i] = co.Exec("true")
        self.assertEqual(par.pretty().split("\n")[1], "├─ p0   true")


class DeepTree(unittest.TestCase):
    """A definition nesting 3,000 Serials in a loop evaluates, exports and prints: every walk of
    the tree is iterative (Python's recursion limit is 1,000)."""
    DEPTH = 3000
    CODE = """\
        import conducto as co

        def run() -> co.Serial:
            root = node = co.Serial(cpu=2)
            for i in range(%d):
                node["s%%d" %% i] = co.Serial()
                node = node["s%%d" %% i]
            node["leaf"] = co.Exec("echo deep")
            return root
        """ % DEPTH

    def test_json_and_tree_from_the_cli(self):
        leaf = "/" + "/".join("s%d" % i for i in range(self.DEPTH)) + "/leaf"
        with h.TempDir() as d:
            path = d.write("deep.py", self.CODE)
            result = h.run_cli(path, "run", "--json")
            self.assertEqual(result.returncode, 0, result.stderr[-2000:])
            nodes = json.loads(result.stdout)["nodes"]
            self.assertEqual(len(nodes), self.DEPTH + 2)
            self.assertEqual(nodes[-1]["path"], leaf)
            self.assertEqual(nodes[-1]["params"]["cpu"], 2, "inherited from the root")
            result = h.run_cli(path, "run")
            self.assertEqual(result.returncode, 0, result.stderr[-2000:])
            lines = result.stdout.rstrip("\n").split("\n")
            self.assertEqual(len(lines), self.DEPTH + 2)
            self.assertEqual(lines[-1], "  " * self.DEPTH + "└─0 leaf   echo deep")

    def test_node_api_at_the_bottom(self):
        root = node = h.define(self.CODE)["run"]()
        while node.children:
            node = next(iter(node.children.values()))
        self.assertEqual(node.path().count("/"), self.DEPTH + 1)
        self.assertEqual(node.get_param("cpu"), 2)
        self.assertEqual(len(root.pretty().split("\n")), self.DEPTH + 2)


class NodeApi(unittest.TestCase):
    def test_mapping(self):
        root = sample()
        self.assertEqual(list(root), ["B", "A", "L"])
        self.assertEqual(len(root), 3)
        self.assertEqual(list(root.children), ["B", "A", "L"])
        self.assertIs(root["B/y/z"].parent, root["B/y"])
        self.assertEqual(root["B/y/z"].path(), "/B/y/z")
        self.assertEqual(root["B/y/z"].name, "z")
        self.assertIn("B/x", root)
        self.assertNotIn("B/q", root)
        with self.assertRaises(KeyError):
            root["nope"]
        self.assertEqual([k for k, _ in root["B"].items()], ["y", "x"])


if __name__ == "__main__":
    unittest.main()
