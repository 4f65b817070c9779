"""co.data.pipeline: the per-pipeline shared data folder."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers  # noqa: E402  (puts the SDK on sys.path)
import conducto as co  # noqa: E402


class PipelineDataTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.old = os.environ.get("PIPEWRIGHT_DATA")
        os.environ["PIPEWRIGHT_DATA"] = self.dir.name

    def tearDown(self):
        if self.old is None:
            os.environ.pop("PIPEWRIGHT_DATA", None)
        else:
            os.environ["PIPEWRIGHT_DATA"] = self.old
        self.dir.cleanup()

    def test_puts_gets_list_exists_delete(self):
        data = co.data.pipeline
        data.puts("results/a.txt", "alpha")
        data.puts("results/b.bin", b"\xff\x00")
        self.assertEqual(data.gets("results/a.txt"), b"alpha")
        self.assertEqual(data.gets("results/a.txt", byte_range=(1, 3)), b"lp")
        self.assertEqual(data.list("results"), ["results/a.txt", "results/b.bin"])
        self.assertTrue(data.exists("results/b.bin"))
        data.delete("results/b.bin")
        self.assertFalse(data.exists("results/b.bin"))

    def test_put_and_get_files(self):
        src = os.path.join(self.dir.name, "..", os.path.basename(self.dir.name) + "-src")
        with open(src, "w") as f:
            f.write("payload")
        try:
            co.data.pipeline.put("in/file", src)
            out = src + "-out"
            co.data.pipeline.get("in/file", out)
            with open(out) as f:
                self.assertEqual(f.read(), "payload")
            os.remove(out)
        finally:
            os.remove(src)

    def test_names_cannot_leave_the_folder(self):
        with self.assertRaises(ValueError):
            co.data.pipeline.puts("../escape", "x")

    def test_outside_a_pipeline_says_why(self):
        os.environ.pop("PIPEWRIGHT_DATA")
        with self.assertRaisesRegex(RuntimeError, "only available inside a running pipeline"):
            co.data.pipeline.gets("x")

    def test_command_line(self):
        env = dict(os.environ, PYTHONPATH=sdk_helpers.SDK)
        run = lambda *a: subprocess.run([sys.executable, "-m", "pipewright.data"] + list(a), env=env, capture_output=True)
        self.assertEqual(run("puts", "x/y", "hello").returncode, 0)
        self.assertEqual(run("gets", "x/y").stdout, b"hello")
        self.assertEqual(run("exists", "x/y").returncode, 0)
        self.assertEqual(run("exists", "nope").returncode, 1)
        self.assertEqual(run("list").stdout.decode().split(), ["x/y"])


if __name__ == "__main__":
    unittest.main()
