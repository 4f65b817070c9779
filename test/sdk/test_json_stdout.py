"""--json: stdout carries only the pipeline JSON, whatever the definition prints."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers  # noqa: E402


class JsonStdout(unittest.TestCase):
    def test_prints_of_the_definition_go_to_stderr(self):
        with tempfile.TemporaryDirectory() as d:
            file = os.path.join(d, "printing.py")
            with open(file, "w") as f:
                f.write("import conducto as co\nprint('hello from the definition')\n"
                        "import subprocess; subprocess.run(['echo', 'and from a child'])\n"
                        "root = co.Serial()\nroot['a'] = co.Exec('echo a')\n")
            result = subprocess.run([sys.executable, "-m", "pipewright", file, "--json"],
                                    env=dict(os.environ, PYTHONPATH=sdk_helpers.SDK),
                                    capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        doc = json.loads(result.stdout)
        self.assertEqual([n["path"] for n in doc["nodes"]], ["/", "/a"])
        self.assertIn("hello from the definition", result.stderr)
        self.assertIn("and from a child", result.stderr)


if __name__ == "__main__":
    unittest.main()
