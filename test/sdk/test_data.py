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
        # Conducto's tools print their result as JSON and list one folder.
        self.assertEqual(run("exists", "x/y").stdout, b"true\n")
        self.assertEqual(run("exists", "nope").stdout, b"false\n")
        self.assertEqual(run("list").stdout, b'["x"]\n')
        self.assertEqual(run("list", "x").stdout, b'["x/y"]\n')

    def test_conducto_tools(self):
        """conducto-data-pipeline / conducto-data-user as Conducto's examples call them."""
        user_dir = tempfile.TemporaryDirectory()
        self.addCleanup(user_dir.cleanup)
        env = dict(os.environ, PIPEWRIGHT_USER_DATA=user_dir.name, CONDUCTO_PIPELINE_ID="bei-hou")
        tool = lambda kind, *a, **kw: subprocess.run([os.path.join(sdk_helpers.SDK, "bin", "conducto-data-" + kind)] + list(a), env=env, capture_output=True, **kw)
        self.assertEqual(tool("pipeline", "puts", "--name", "img/a b.png", input=b"PNG").returncode, 0)
        self.assertEqual(tool("pipeline", "size", "img/a b.png").stdout, b"3\n")
        self.assertEqual(tool("pipeline", "url", "--name", "img/a b.png").stdout, b'"/gw/manager/data/bei-hou/pipeline/img/a%20b.png"\n')
        self.assertEqual(tool("pipeline", "gets", "img/a b.png", "--byte-range=1,3").stdout, b"NG")
        self.assertEqual(tool("user", "puts", "shared", input=b"u").returncode, 0)
        self.assertEqual(open(os.path.join(user_dir.name, "shared"), "rb").read(), b"u")
        self.assertEqual(tool("user", "url", "shared").stdout, b'"/gw/manager/data/bei-hou/user/shared"\n')
        refused = tool("pipeline", "list", "--id", "other-pipe")
        self.assertEqual(refused.returncode, 2)
        self.assertIn(b"only its own pipeline", refused.stderr)
        self.assertEqual(tool("pipeline", "delete", "img", "--recursive").returncode, 0)
        self.assertEqual(tool("pipeline", "exists", "img").stdout, b"false\n")

    def test_escapes_are_refused(self):
        os.symlink("/etc", os.path.join(self.dir.name, "etc"))
        for name in ("../x", "a/../../x", "etc/hostname"):
            with self.assertRaisesRegex(ValueError, "leads out"):
                co.data.pipeline.gets(name)
        with self.assertRaisesRegex(ValueError, "leads out"):
            co.data.pipeline.puts("etc/pwned", b"x")

    def test_cache_round_trip_and_hostile_cache(self):
        import io, tarfile
        src = tempfile.TemporaryDirectory()
        self.addCleanup(src.cleanup)
        os.makedirs(os.path.join(src.name, "deps"))
        with open(os.path.join(src.name, "deps", "lib.txt"), "w") as f:
            f.write("lib")
        data = co.data.pipeline
        self.assertFalse(data.cache_exists("deps", "abc"))
        data.save_cache("deps", "abc", os.path.join(src.name, "deps"))
        self.assertTrue(data.cache_exists("deps", "abc"))
        data.restore_cache("deps", "abc", os.path.join(src.name, "out"))
        self.assertEqual(open(os.path.join(src.name, "out", "deps", "lib.txt")).read(), "lib")
        # A cache another node forged with a member that climbs out is refused whole.
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            info = tarfile.TarInfo("../../escaped")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
        data.puts("conducto-cache/evil/1.tar.gz", buf.getvalue())
        with self.assertRaisesRegex(ValueError, "leads out"):
            data.restore_cache("evil", "1", os.path.join(src.name, "r"))
        data.clear_cache("deps")
        self.assertFalse(data.cache_exists("deps", "abc"))

    def test_url_names_the_pipeline_as_conducto_does(self):
        os.environ["CONDUCTO_PIPELINE_ID"] = "bei-hou"
        self.addCleanup(os.environ.pop, "CONDUCTO_PIPELINE_ID", None)
        self.assertEqual(co.data.pipeline.url("plots/coherence.png"), "/gw/manager/data/bei-hou/pipeline/plots/coherence.png")
        self.assertEqual(co.data.user.url("x"), "/gw/manager/data/bei-hou/user/x")


if __name__ == "__main__":
    unittest.main()
