"""Params: validation, max_time, inheritance (looked up, env merged), `set`, images."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

import pipewright as co  # noqa: E402
from pipewright.errors import DefinitionError  # noqa: E402
from pipewright.params import DEFAULTS, ORDER, parse_max_time  # noqa: E402


def nodes_of(root):
    return {n["path"]: n for n in json.loads(root.to_json())["nodes"]}


class MaxTime(unittest.TestCase):
    def test_forms(self):
        for value, seconds in (("90", 90), (90, 90), (2.5, 2.5), ("30m", 1800), ("4h", 14400),
                               ("1d", 86400), ("1h30m", 5400), ("90s", 90), ("1.5h", 5400)):
            self.assertEqual(parse_max_time(value), seconds, value)

    def test_bad(self):
        for value in ("soon", "", "1x", "-5", 0, -1, True, None, "h"):
            self.assertIsNone(parse_max_time(value), value)


class Inheritance(unittest.TestCase):
    def test_seed_example_reaches_node1(self):
        root = h.load(os.path.join(h.EXAMPLES, "inheritance.py"))[1]
        node1 = nodes_of(root)["/Node1"]
        self.assertEqual(node1["params"]["cpu"], 2)
        self.assertEqual(node1["params"]["env"], {"LOG_LEVEL": "1"})
        self.assertEqual(node1["set"], [])
        self.assertEqual(nodes_of(root)["/"]["set"], ["cpu", "env"])
        self.assertEqual(root["Node1"].cpu, 2)  # looked up through the parent

    def test_all_params_present_with_defaults(self):
        root = co.Serial()
        root["a"] = co.Exec("true")
        unset = {k: v for k, v in DEFAULTS.items() if k not in ("backend", "placement")}  # left out while unset
        for node in nodes_of(root).values():
            self.assertEqual(list(node["params"]), [k for k in ORDER if k not in ("backend", "placement")])
            self.assertEqual(node["params"], unset)

    def test_backend_inherited_and_left_out_while_unset(self):
        root = co.Serial()
        root["Plain"] = co.Exec("echo plain")
        heavy = root["Heavy"] = co.Parallel(backend="swarm")
        heavy["a"] = co.Exec("echo a")
        heavy["b"] = co.Exec("echo b", backend=" local ")
        nodes = nodes_of(root)
        self.assertNotIn("backend", nodes["/Plain"]["params"])  # JSON as before for who never names one
        self.assertEqual(nodes["/Heavy/a"]["params"]["backend"], "swarm")
        self.assertEqual(nodes["/Heavy/a"]["set"], [])
        self.assertEqual(nodes["/Heavy/b"]["params"]["backend"], "local")
        self.assertEqual(nodes["/Heavy"]["set"], ["backend"])
        with self.assertRaisesRegex(DefinitionError, "backend='' is invalid"):
            co.Exec("echo", backend="")

    def test_placement_inherited_a_string_is_a_list_of_one(self):
        root = co.Serial(placement="node.labels.gpu==true")
        root["a"] = co.Exec("echo a")
        root["b"] = co.Exec("echo b", placement=["node.hostname!=box1", "node.labels.zone==eu"])
        nodes = nodes_of(root)
        self.assertEqual(nodes["/a"]["params"]["placement"], ["node.labels.gpu==true"])
        self.assertEqual(nodes["/b"]["params"]["placement"], ["node.hostname!=box1", "node.labels.zone==eu"])
        self.assertNotIn("placement", nodes_of(co.Exec("true"))["/"]["params"])
        for bad in ("gpu", [], ["node.labels.gpu"], [1]):
            with self.assertRaisesRegex(DefinitionError, "placement=.* is invalid: expected swarm placement constraints"):
                co.Exec("echo", placement=bad)

    def test_env_merged_parent_to_child(self):
        root = co.Serial(env={"A": "1", "B": "1"})
        root["mid"] = co.Parallel(env={"B": "2", "C": "2"})
        root["mid/leaf"] = co.Exec("env", env={"C": "3"})
        root["other"] = co.Exec("env")
        nodes = nodes_of(root)
        self.assertEqual(nodes["/mid"]["params"]["env"], {"A": "1", "B": "2", "C": "2"})
        self.assertEqual(nodes["/mid/leaf"]["params"]["env"], {"A": "1", "B": "2", "C": "3"})
        self.assertEqual(nodes["/other"]["params"]["env"], {"A": "1", "B": "1"})
        self.assertEqual(root["mid/leaf"].env, {"A": "1", "B": "2", "C": "3"})

    def test_inherited_and_not(self):
        root = co.Serial(image="python:3.12-slim", mem=4, max_time="1h", skip=True, doc="d",
                         title="t", tags=["x"], requires_docker=True, stop_on_error=False,
                         container_reuse_context="ctx", gpu=1)
        root["p"] = co.Parallel(max_concurrent=2, suppress_errors=True)
        root["p/e"] = co.Exec("true", cpu=0.5)
        nodes = nodes_of(root)
        leaf = nodes["/p/e"]["params"]
        self.assertEqual(leaf["image"]["name"], "python:3.12-slim")
        self.assertEqual((leaf["mem"], leaf["max_time"], leaf["gpu"], leaf["cpu"]),
                         (4, 3600, 1, 0.5))
        self.assertEqual((leaf["requires_docker"], leaf["container_reuse_context"]), (True, "ctx"))
        # Not inherited: skip, suppress_errors, stop_on_error, max_concurrent, doc, title, tags
        self.assertEqual((leaf["skip"], leaf["suppress_errors"], leaf["stop_on_error"],
                          leaf["max_concurrent"], leaf["doc"], leaf["title"], leaf["tags"]),
                         (False, False, True, None, None, None, []))
        self.assertEqual(nodes["/p"]["params"]["max_concurrent"], 2)
        self.assertEqual(nodes["/"]["params"]["stop_on_error"], False)
        self.assertEqual(nodes["/p/e"]["set"], ["cpu"])
        self.assertEqual(nodes["/"]["set"], ["gpu", "mem", "image", "requires_docker", "max_time",
                                             "container_reuse_context", "skip", "stop_on_error",
                                             "doc", "title", "tags"])

    def test_siblings_with_different_params(self):
        # Exercises the per-context JSON caches: equal settings share, different ones do not.
        root = co.Parallel(cpu=2)
        for i in range(5):
            root["same%d" % i] = co.Exec("true", mem=8)
            root["diff%d" % i] = co.Exec("true", mem=i + 1, skip=i % 2 == 0)
            root["plain%d" % i] = co.Exec("true")
        nodes = nodes_of(root)
        for i in range(5):
            self.assertEqual(nodes["/same%d" % i]["params"]["mem"], 8)
            self.assertEqual(nodes["/diff%d" % i]["params"]["mem"], i + 1)
            self.assertEqual(nodes["/diff%d" % i]["params"]["skip"], i % 2 == 0)
            self.assertEqual(nodes["/plain%d" % i]["params"]["mem"], 2)
            self.assertEqual(nodes["/plain%d" % i]["params"]["cpu"], 2)

    def test_set_even_when_equal_to_default(self):
        root = co.Serial(cpu=1)
        self.assertEqual(nodes_of(root)["/"]["set"], ["cpu"])

    def test_property_setter_validates(self):
        node = co.Exec("true")
        node.cpu = 3
        self.assertEqual(node.user_set(), ["cpu"])
        with self.assertRaises(co.DefinitionError):
            node.mem = 0
        with self.assertRaises(co.DefinitionError):
            node.max_concurrent = 2  # a Parallel param


class Images(unittest.TestCase):
    def test_relative_paths_resolved_against_the_defining_file(self):
        g = h.define("""
            import conducto as co
            image = co.Image(copy_dir=".", dockerfile="docker/Dockerfile", context="..",
                             path_map={"./src": "/app/src"}, install_pip="requests")
        """, filename="/proj/pipes/pipeline.py")
        image = g["image"].to_json()
        self.assertEqual(image["copy_dir"], "/proj/pipes")
        self.assertEqual(image["dockerfile"], "/proj/pipes/docker/Dockerfile")
        self.assertEqual(image["context"], "/proj")
        self.assertEqual(image["path_map"], {"/proj/pipes/src": "/app/src"})
        self.assertEqual(image["install_pip"], ["requests"])
        self.assertEqual(sorted(image), sorted(["name", "dockerfile", "dockerfile_text", "context",
                                                "copy_dir", "install_packages", "install_pip",
                                                "path_map"]))

    def test_image_inherited_as_object(self):
        image = co.Image("alpine:3", install_packages=["curl"])
        root = co.Serial(image=image)
        root["a"] = co.Exec("curl")
        self.assertEqual(nodes_of(root)["/a"]["params"]["image"],
                         {"name": "alpine:3", "dockerfile": None, "dockerfile_text": None,
                          "context": None, "copy_dir": None, "install_packages": ["curl"],
                          "install_pip": [], "path_map": {}})
        self.assertIs(root["a"].image, image)


class MainOptions(unittest.TestCase):
    def test_co_main_params_apply_to_the_root(self):
        with h.TempDir() as d:
            path = d.write("p.py", """
                import conducto as co
                def run() -> co.Serial:
                    root = co.Serial(mem=8, env={"B": "root"})
                    root["a"] = co.Exec("true")
                    return root
                if __name__ == "__main__":
                    co.main(default=run, cpu=3, mem=1, env={"A": "main", "B": "main"},
                            image="busybox", requires_docker=True)
            """)
            root = h.load(path)[1]
        params = nodes_of(root)["/a"]["params"]
        self.assertEqual((params["cpu"], params["mem"]), (3, 8))  # the root's own mem wins
        self.assertEqual(params["env"], {"A": "main", "B": "root"})
        self.assertEqual(params["image"]["name"], "busybox")
        self.assertTrue(params["requires_docker"])


if __name__ == "__main__":
    unittest.main()
