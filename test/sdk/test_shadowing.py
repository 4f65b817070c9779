"""A definition named like a stdlib module the SDK imports (inspect.py, json.py, types.py, or
resource.py, which the SDK imports later, for --memory-limit) loads as any other, once: its folder,
first on sys.path when Python starts there, does not stand in for the stdlib in the SDK's imports."""
import ast
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

DEFINITION = """\
    import sys
    import conducto as co
    import helper  # the definition's own imports still find its folder

    sys.stderr.write("loaded as %s\\n" % __name__)

    def run() -> co.Serial:
        root = co.Serial()
        root["a"] = co.Exec(helper.COMMAND)
        return root

    if __name__ == "__main__":
        co.main(default=run)
    """
SHADOWING = ("inspect", "json", "types", "resource")


class ShadowingDefinitions(unittest.TestCase):
    def check_pipeline(self, result, path):
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        self.assertEqual(result.stderr.count("loaded as "), 1, "loaded once, as the definition: "
                         + result.stderr[-3000:])
        document = json.loads(result.stdout)
        self.assertEqual(document["file"], path)
        self.assertEqual([n["command"] for n in document["nodes"] if "command" in n], ["echo hi"])

    def test_evaluated_in_its_folder_as_the_runner_does(self):
        # evaluator/evaluateDefinition.ts: `python -m pipewright FILE --json ...` with the
        # definition's folder as the working directory, watching its parent, memory capped.
        for name in SHADOWING:
            with self.subTest(name), h.TempDir() as d:
                d.write("helper.py", 'COMMAND = "echo hi"\n')
                path = d.write(name + ".py", DEFINITION)
                result = h.run_cli(path, "--json", "--errors=json", "--memory-limit", "2048",
                                   cwd=d.path, env={"PIPEWRIGHT_WATCH_PARENT": "1"})
                self.check_pipeline(result, path)

    def test_run_as_a_script_and_by_the_language_server(self):
        for name in SHADOWING:
            with self.subTest(name), h.TempDir() as d:
                d.write("helper.py", 'COMMAND = "echo hi"\n')
                path = d.write(name + ".py", DEFINITION)
                self.check_pipeline(h.run_script(path, "--json", cwd=d.path), path)
                result = h.run_cli(path, "--all", cwd=d.path)
                self.assertEqual(result.returncode, 0, result.stderr[-3000:])
                entry = json.loads(result.stdout.splitlines()[0])
                self.assertEqual(entry["name"], "run", entry)
                self.assertIn("document", entry)


class StdlibList(unittest.TestCase):
    def test_every_stdlib_module_the_sdk_imports_is_imported_up_front(self):
        listed = _imports(os.path.join(h.SDK, "pipewright", "stdlib.py"))
        # sys is built in: nothing shadows it; matplotlib is the node image's (co.nb), not the SDK's.
        own = ("pipewright", "conducto", "clearml", "sys", "matplotlib")
        for folder, _, files in os.walk(h.SDK):
            for name in files:
                if not name.endswith(".py") or name == "stdlib.py":
                    continue
                path = os.path.join(folder, name)
                missing = {m for m in _imports(path) if m.split(".")[0] not in own} - listed
                self.assertFalse(missing, "%s imports %s: add it to pipewright/stdlib.py"
                                 % (os.path.relpath(path, h.SDK), ", ".join(sorted(missing))))


def _imports(path):
    """Absolute module names a file imports."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
    return names


if __name__ == "__main__":
    unittest.main()
