"""Conducto's container reuse contexts, node callbacks and integrations, definition side."""
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stderr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers as h  # noqa: E402

import conducto as co  # noqa: E402


def nodes_of(root):
    return {n["path"]: n for n in json.loads(root.to_json())["nodes"]}


class ReuseContext(unittest.TestCase):
    def test_constants_are_conductos(self):
        self.assertEqual((co.ContainerReuseContext.NEW, co.ContainerReuseContext.GLOBAL),
                         ("new", "global"))
        self.assertEqual((co.SameContainer.NEW, co.SameContainer.ESCAPE, co.SameContainer.INHERIT),
                         ("new", "global", None))

    def test_param_in_json_set_where_given_and_inherited(self):
        with co.Serial() as root:
            with co.Serial(name="first", container_reuse_context=co.ContainerReuseContext.NEW):
                co.Exec("echo 1", name="a")
                co.Exec("echo 2", name="b",
                        container_reuse_context=co.ContainerReuseContext.GLOBAL)
        nodes = nodes_of(root)
        self.assertEqual(nodes["/first"]["params"]["container_reuse_context"], "new")
        self.assertEqual(nodes["/first"]["set"], ["container_reuse_context"])
        self.assertEqual(nodes["/first/a"]["params"]["container_reuse_context"], "new")
        self.assertEqual(nodes["/first/a"]["set"], [])
        self.assertEqual(nodes["/first/b"]["params"]["container_reuse_context"], "global")
        self.assertIsNone(nodes["/"]["params"]["container_reuse_context"])

    def test_same_container_is_the_deprecated_spelling(self):
        # fun/eratosthenes: co.Serial(same_container=co.SameContainer.NEW, image=img)
        root = co.Serial(same_container=co.SameContainer.NEW)
        root["x"] = co.Exec("true", same_container=co.SameContainer.ESCAPE)
        root["y"] = co.Exec("true", same_container=co.SameContainer.INHERIT)
        nodes = nodes_of(root)
        self.assertEqual(nodes["/"]["params"]["container_reuse_context"], "new")
        self.assertEqual(nodes["/x"]["params"]["container_reuse_context"], "global")
        self.assertEqual(nodes["/y"]["set"], [])

    def test_both_spellings_is_an_error_at_the_users_line(self):
        h.definition_error(self, """\
            import conducto as co
            root = co.Serial(same_container=co.SameContainer.NEW,
                             container_reuse_context=co.ContainerReuseContext.NEW)
            """, 2, "give only one of them")

    def test_bad_values(self):
        h.definition_error(self, """\
            import conducto as co
            root = co.Serial(container_reuse_context=5)
            """, 2, "co.ContainerReuseContext.NEW or .GLOBAL")
        h.definition_error(self, """\
            import conducto as co
            root = co.Exec("true", container_reuse_context="  ")
            """, 2, "container_reuse_context=")

    def test_exec_of_a_function_takes_same_container_as_a_node_param(self):
        ns = h.define("""\
            import conducto as co
            def work(n: int):
                pass
            node = co.Exec(work, 3, same_container=co.SameContainer.NEW)
            """)
        node = nodes_of(ns["node"])["/"]
        self.assertEqual(node["params"]["container_reuse_context"], "new")
        self.assertNotIn("same_container", node["command"])


class Callbacks(unittest.TestCase):
    def test_conductos_list(self):
        for name in ("retry", "retry_then_skip", "retry_with_double_mem", "skip_some_errors",
                     "email", "slack_status", "github_status", "github_pipeline_status",
                     "handle_memory_errors", "deserialize_into_node"):
            self.assertTrue(callable(getattr(co.callback, name)), name)

    def test_recorded_in_json_per_event_in_order(self):
        # features/slack_callback's construction style
        r = co.Serial()
        r["pmt"] = co.Serial()
        r["pmt/poll"] = co.Parallel()
        r["pmt/poll/1"] = co.Exec("exit 0")
        r.on_running(co.callback.slack_status(recipient="SlackUser", message="polling"))
        r.on_error(co.callback.slack_status(recipient="#array-status"))
        r.on_done(co.callback.email(to="me@example.com"))
        r["pmt/poll/1"].on_error(co.callback.retry(3))
        r["pmt"].on_killed(co.callback.retry_then_skip(1, inherited=True))
        r["pmt"].on_state_change(co.callback.github_status("u", "abc"))
        r["pmt"].on_queued(co.callback.handle_memory_errors(mem_limits=(1, 4)))
        nodes = nodes_of(r)
        self.assertEqual([(c["event"], c["name"]) for c in nodes["/"]["callbacks"]],
                         [("running", "slack_status"), ("error", "slack_status"),
                          ("done", "email")])
        self.assertEqual(nodes["/"]["callbacks"][0]["args"],
                         {"recipient": "SlackUser", "message": "polling", "node_summary": False,
                          "inherited": False, "user_display": True})
        self.assertEqual(nodes["/pmt/poll/1"]["callbacks"],
                         [{"event": "error", "name": "retry",
                           "args": {"max_num_retries": 3, "inherited": False,
                                    "user_display": True}}])
        self.assertEqual([c["event"] for c in nodes["/pmt"]["callbacks"]],
                         ["killed", "state_change", "queued"])
        self.assertEqual(nodes["/pmt"]["callbacks"][2]["args"]["mem_limits"], [1.0, 4.0])
        self.assertNotIn("callbacks", nodes["/pmt/poll"])

    def test_node_arguments_become_paths(self):
        root = co.Serial()
        root["a"] = co.Exec("true")
        root.on_done(co.callback.deserialize_into_node(root["a"]))
        self.assertEqual(nodes_of(root)["/"]["callbacks"][0]["args"], {"target": "/a"})

    def test_bad_callbacks_are_definition_errors(self):
        h.definition_error(self, """\
            import conducto as co
            root = co.Serial()
            root.on_error("retry")
            """, 3, "expected a callback such as co.callback.retry(3)")
        h.definition_error(self, """\
            import conducto as co
            root = co.Serial()
            root.on_error(co.callback.retry(-1))
            """, 3, "max_num_retries=-1")
        h.definition_error(self, """\
            import conducto as co
            root = co.Serial()
            root.on_done(co.callback.email(to=object()))
            """, 3, "must be JSON values")
        h.definition_error(self, """\
            import conducto as co
            co.callback.handle_memory_errors(mem_limits=(8, 2))
            """, 2, "0 < low <= high")


class Integrations(unittest.TestCase):
    def test_slack_at_definition_time_and_a_message_says_not_configured(self):
        # features/slack_direct makes the client at module level, sends from a node
        slack = co.integrations.slack.Slack()
        err = io.StringIO()
        with redirect_stderr(err):
            self.assertEqual(slack.message("#interesting-signals", text="hi"), {})
            co.slack.text("#c", "hello")
        self.assertIn("Slack message to #interesting-signals: not configured", err.getvalue())
        self.assertIn("Slack message to #c: not configured", err.getvalue())
        with self.assertRaises(ValueError):
            slack.message("#c")

    def test_import_forms(self):
        code = ("import conducto as co\nfrom conducto.integrations import slack, git\n"
                "import conducto.integrations.git as g2\nfrom conducto import callback\n"
                "print(slack.Slack is co.integrations.slack.Slack, g2 is git, callback.retry)")
        env = dict(os.environ, PYTHONPATH=h.SDK)
        out = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.startswith("True True <function retry"), out.stdout)

    def test_git_urls_pass_through_and_status_is_a_callback(self):
        git = co.integrations.git
        self.assertEqual(git.url("https://github.com/o/r.git"), "https://github.com/o/r.git")
        self.assertEqual(git.clone_url("git@github.com:o/r.git"), "git@github.com:o/r.git")
        root = co.Serial()
        os.environ.update(CONDUCTO_GIT_URL="https://github.com/o/r.git", CONDUCTO_GIT_SHA="abc")
        try:
            co.git.apply_status(root)
        finally:
            del os.environ["CONDUCTO_GIT_URL"], os.environ["CONDUCTO_GIT_SHA"]
        cb = nodes_of(root)["/"]["callbacks"][0]
        self.assertEqual((cb["event"], cb["name"], cb["args"]["inherited"]),
                         ("state_change", "github_status", True))

    def test_git_log_helpers_read_a_local_repository(self):
        git = co.integrations.git
        with tempfile.TemporaryDirectory() as repo:
            def run(*args):
                subprocess.run(["git", "-C", repo, "-c", "user.name=T", "-c",
                                "user.email=t@e"] + list(args), check=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            run("init", "-q", "-b", "main")
            run("commit", "-q", "--allow-empty", "-m", "base")
            run("checkout", "-q", "-b", "feature")
            run("commit", "-q", "--allow-empty", "-m", "one")
            run("commit", "-q", "--allow-empty", "-m", "two")
            self.assertEqual(git.get_num_commits("main", git_dir=repo), 2)
            self.assertEqual(git.get_num_commits_behind_base("main", git_dir=repo), 0)
            raw = git.get_log_diff("main", "feature", git_dir=repo)
            self.assertEqual(len(raw.splitlines()), 2)
            self.assertIn("two", raw.splitlines()[0])
            md = git.get_log_diff("main", log_type=git.LogType.MARKDOWN, max_lines=1,
                                  git_dir=repo)
            self.assertIn("**[T]**", md)
            self.assertTrue(md.endswith("and 1 more..."), md)
            self.assertEqual(len(git.get_last_shared_commit("main", git_dir=repo)), 8)


if __name__ == "__main__":
    unittest.main()


class FunctionNodeExit(unittest.TestCase):
    """features/slack_callback's node function: `def certain(code): sys.exit(int(code))`."""

    def test_a_node_function_exits_with_its_status(self):
        with h.TempDir() as d:
            path = d.write("p.py", "import sys\nimport conducto as co\n"
                           "def certain(code):\n    sys.exit(int(code))\n"
                           "def bye():\n    sys.exit('bye')\n"
                           "def run() -> co.Serial:\n    sys.exit(0)\n")
            self.assertEqual(h.run_cli(path, "certain", "--code=0").returncode, 0)
            self.assertEqual(h.run_cli(path, "certain", "--code=1").returncode, 1)
            result = h.run_cli(path, "bye")
            self.assertEqual((result.returncode, result.stderr), (1, "bye\n"))
            # A pipeline function that exits is still no pipeline (test_errors.py)
            result = h.run_cli(path, "run")
            self.assertEqual(result.returncode, 3)
            self.assertIn("instead of producing a pipeline", result.stderr)
