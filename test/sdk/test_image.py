"""co.Image as Conducto wrote it: image= vs name=, copy_url / copy_repo, install_docker,
share_directory / register_directory."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

import pipewright as co  # noqa: E402
from pipewright.image import SHARED_DIRECTORIES  # noqa: E402


def image_json(code, filename="/proj/pipes/pipeline.py"):
    return h.define("import conducto as co\nimage = " + code + "\n", filename=filename)["image"].to_json()


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class ImageAndName(unittest.TestCase):
    def test_name_is_a_reference_only(self):
        j = image_json('co.Image(image="python:3.8-alpine", name="my-shared-image")')
        self.assertEqual(j["name"], "python:3.8-alpine")
        self.assertEqual(j["reference_name"], "my-shared-image")
        # Alone, name chooses no image (the run's default image is used).
        j = image_json('co.Image(name="foo", copy_dir=".")')
        self.assertIsNone(j["name"])
        self.assertEqual(j["reference_name"], "foo")

    def test_positional_image_and_node_param_string(self):
        self.assertEqual(image_json('co.Image("alpine:3")')["name"], "alpine:3")
        root = co.Exec("true", image="alpine:3")
        self.assertEqual(root.image.to_json()["name"], "alpine:3")
        self.assertNotIn("reference_name", root.image.to_json())

    def test_at_most_one_source(self):
        h.definition_error(self, """
            import conducto as co
            co.Image(image="a", dockerfile_text="FROM b")
        """, 3, "at most one of image=, dockerfile= and dockerfile_text=")

    def test_untouched_json_for_plain_images(self):
        j = image_json('co.Image("alpine:3", install_packages=["curl"])')
        self.assertEqual(sorted(j), sorted(["name", "dockerfile", "dockerfile_text", "context",
                                            "copy_dir", "install_packages", "install_pip",
                                            "path_map"]))


class CopyUrl(unittest.TestCase):
    def test_url_and_branch(self):
        j = image_json('co.Image("python:3.8-slim", copy_url="https://github.com/conducto/examples", '
                       'copy_branch="main", reqs_packages=["cloc"], reqs_py=["pandas"])')
        self.assertEqual((j["copy_url"], j["copy_branch"]), ("https://github.com/conducto/examples", "main"))
        self.assertEqual((j["install_packages"], j["install_pip"]), (["cloc"], ["pandas"]))

    def test_local_repository_stored_absolute(self):
        j = image_json('co.Image("alpine", copy_url="../repo", copy_branch="dev")')
        self.assertEqual(j["copy_url"], "/proj/repo")
        j = image_json('co.Image("alpine", copy_url="git@github.com:a/b.git", copy_branch="dev")')
        self.assertEqual(j["copy_url"], "git@github.com:a/b.git")

    def test_bad_combinations(self):
        for code, fragment in (
                ('co.Image(copy_url="https://x/y")', "needs copy_branch="),
                ('co.Image(copy_branch="main")', "needs copy_url= or copy_repo=True"),
                ('co.Image(copy_dir=".", copy_url="https://x/y", copy_branch="m")', "copy_dir= or copy_url=, not both"),
                ('co.Image(copy_url="s3://bucket/x")', "s3:// URLs are not supported"),
                ('co.Image(copy_url=3, copy_branch="m")', "copy_url=3 is invalid")):
            h.definition_error(self, "import conducto as co\nco.Image(image='a') if False else " + code + "\n",
                               2, fragment)

    def test_copy_repo(self):
        with h.TempDir() as d:
            git(d.path, "init", "-q", "-b", "main")
            os.makedirs(os.path.join(d.path, "sub"))
            path = d.write("sub/pipeline.py", "")
            j = image_json('co.Image("alpine", copy_repo=True)', filename=path)
            self.assertEqual(j["copy_dir"], d.path)
            self.assertEqual(j["path_map"], {d.path: "/pipewright/src"})
            git(d.path, "remote", "add", "origin", "https://example.com/r.git")
            j = image_json('co.Image("alpine", copy_repo=True, copy_branch="main")', filename=path)
            self.assertEqual((j["copy_url"], j["copy_branch"], j["copy_dir"]), ("https://example.com/r.git", "main", None))
        with h.TempDir() as d:
            # The tree still loads, as in Conducto; the image carries the error for the runner.
            j = image_json("co.Image(copy_repo=True)", filename=os.path.join(d.path, "p.py"))
            self.assertEqual(j["error"], "%s:2: Image copy_repo=True, but %s is not inside a git "
                             "repository" % (os.path.join(d.path, "p.py"), d.path))


class InstallDocker(unittest.TestCase):
    def test_both_spellings(self):
        self.assertIs(image_json("co.Image(reqs_docker=True)")["install_docker"], True)
        self.assertIs(image_json('co.Image("python:3.8-slim", install_docker=True)')["install_docker"], True)
        self.assertNotIn("install_docker", image_json("co.Image()"))
        h.definition_error(self, "import conducto as co\nco.Image(install_docker='yes')\n", 2,
                           "install_docker='yes' is invalid")


class ShareDirectory(unittest.TestCase):
    def test_examples_style_main_block_loads(self):
        with h.TempDir() as d:
            path = d.write("pipeline.py", """
                import conducto as co
                def main() -> co.Serial:
                    with co.Serial() as root:
                        co.Exec("echo hi", name="a")
                    return root
                if __name__ == "__main__":
                    co.Image.share_directory("flask_microservice", ".")
                    co.Image.register_directory("conducto_examples", "..")
                    co.main(default=main)
            """)
            name, root = h.load(path)
            self.assertEqual(name, "main")
            self.assertEqual(SHARED_DIRECTORIES["flask_microservice"], d.path)
            self.assertEqual(SHARED_DIRECTORIES["conducto_examples"], os.path.dirname(d.path))
            out = h.run_script(path)
            self.assertEqual(out.returncode, 0, out.stderr)

    def test_bad_share(self):
        h.definition_error(self, "import conducto as co\nco.Image.share_directory('a b', '.')\n", 2,
                           "name 'a b' is invalid")
        h.definition_error(self, "import conducto as co\nco.Image.share_directory('x', 'missing-dir')\n", 2,
                           "is not a folder", filename=os.path.join(h.HERE, "p.py"))


if __name__ == "__main__":
    unittest.main()
