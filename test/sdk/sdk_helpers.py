"""Helpers for the SDK tests: the SDK on sys.path, in-memory definitions, CLI subprocesses.

Test modules import this by its plain name after putting their own folder on sys.path, so they
run both as `python3 -m unittest discover -s test/sdk` and with `-t .`."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SDK = os.path.join(REPO, "sdk")
EXAMPLES = os.path.join(REPO, "examples")
if SDK not in sys.path:
    sys.path.insert(0, SDK)

from pipewright import context, loader  # noqa: E402
from pipewright.errors import DefinitionError  # noqa: E402


def define(code, filename="/virtual/pipeline.py", definition_dir=None):
    """Run definition code in memory as if it were the file filename; returns its globals."""
    context.definition_dir = definition_dir
    namespace = {"__name__": "definition", "__file__": filename}
    exec(compile(textwrap.dedent(code), filename, "exec"), namespace)
    return namespace


def definition_error(test, code, line, fragment, filename="/virtual/pipeline.py", after=None):
    """Assert that code (then after(globals), if given) raises a DefinitionError at filename:line
    whose message contains fragment."""
    with test.assertRaises(DefinitionError) as caught:
        namespace = define(code, filename)
        if after is not None:
            after(namespace)
    error = caught.exception
    test.assertEqual((error.file, error.line), (filename, line), str(error))
    test.assertIn(fragment, error.message)
    return error


def load(path, func=None, argv=()):
    """Load a definition file in this process like the CLI; returns (name, result)."""
    saved = sys.modules.get("__main__"), list(sys.argv), list(sys.path), context.definition_dir
    try:
        definition = loader.load(path)
        name, result, _ = loader.pick(definition, func, argv)
        return name, result
    finally:
        sys.modules["__main__"], sys.argv[:], sys.path[:], context.definition_dir = saved


def _env(extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = SDK + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PIPEWRIGHT_NODE_OUTPUT", None)
    env.update(extra or {})
    return env


def run_cli(*args, env=None, cwd=REPO):
    """`python3 -m pipewright ARGS` with the SDK on PYTHONPATH."""
    return subprocess.run([sys.executable, "-m", "pipewright"] + list(args), cwd=cwd,
                          env=_env(env), capture_output=True, text=True, timeout=60)


def run_script(path, *args, env=None, cwd=REPO):
    """`python3 FILE ARGS` (a definition calling co.main) with the SDK on PYTHONPATH."""
    return subprocess.run([sys.executable, path] + list(args), cwd=cwd, env=_env(env),
                          capture_output=True, text=True, timeout=60)


def last_json_line(text):
    return json.loads(text.strip().splitlines()[-1])


class TempDir:
    """A temporary folder for definition files; `with TempDir() as d: d.write("x.py", code)`."""

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="pipewright-test-")
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)

    def write(self, name, code):
        path = os.path.join(self.path, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(code))
        return path
