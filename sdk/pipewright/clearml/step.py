"""`python3 -m pipewright.clearml.step`: runs one pipeline step in its container.

The runner resolves the step's references when it starts and writes its input to
$PIPEWRIGHT_STEP_INPUT (JSON: name, id, kind, command, parameters, function, dir). This wrapper
puts the parameters in the environment (PIPEWRIGHT_PARAM_ARGS_X) and in a JSON file
($PIPEWRIGHT_PARAMS_FILE), runs the command (or calls the function and stores its return values
as artifacts), then records the step's artifacts in DIR/result.json for the steps after it."""
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import traceback

from . import refs
from .logger import METRICS_FILE
from .task import Artifact, Task, store_artifact


def _sha256(path):
    digest = hashlib.sha256()
    if os.path.isdir(path):
        for folder, dirs, files in sorted(os.walk(path)):
            dirs.sort()
            for name in sorted(files):
                digest.update(name.encode("utf-8"))
                with open(os.path.join(folder, name), "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        digest.update(chunk)
        return digest.hexdigest()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _preview(path):
    view = path[:-4] + ".json" if path.endswith(".pkl") else path
    if not os.path.isfile(view) or os.path.getsize(view) > 1 << 20:
        return None
    try:
        with open(view, encoding="utf-8") as f:
            return f.read(200)
    except (UnicodeDecodeError, OSError):
        return None


def collect_artifacts(step_dir):
    """{name: {file (relative to step_dir), sha256, size, type, preview}} of artifacts/."""
    folder = os.path.join(step_dir, "artifacts")
    found = {}
    if not os.path.isdir(folder):
        return found
    for entry in sorted(os.listdir(folder)):
        full = os.path.join(folder, entry)
        if entry.startswith(".") or entry.endswith(".tmp"):
            continue
        if os.path.isdir(full):
            name, main = entry, full
            marker = os.path.join(full, ".main")
            files = [f for f in os.listdir(full) if not f.startswith(".")]
            if os.path.isfile(marker):
                with open(marker, encoding="utf-8") as f:
                    main = os.path.join(full, f.read().strip())
            elif len(files) == 1:
                main = os.path.join(full, files[0])
        else:
            name, main = os.path.splitext(entry)[0], full
        found[name] = {
            "file": os.path.relpath(main, step_dir).replace(os.sep, "/"),
            "sha256": _sha256(main),
            "size": os.path.getsize(main) if os.path.isfile(main) else None,
            "type": "pickle" if main.endswith(".pkl") else
                    ("folder" if os.path.isdir(main) else "file"),
            "preview": _preview(main) if os.path.isfile(main) else None,
        }
    return found


def _argument(value):
    """A function argument: an artifact reference becomes the object it stored."""
    if isinstance(value, dict) and set(value) == {"__artifact__"}:
        return Artifact("", value["__artifact__"], "pickle").get()
    return value


def _run_function(step):
    from .. import loader  # the definition runs as in `conducto FILE FUNC`
    spec = step["function"]
    definition = loader.load(spec["file"])
    func = definition.globals.get(spec["name"])
    if not callable(func):
        sys.stderr.write("no function %s in %s\n" % (spec["name"], spec["file"]))
        return 1
    from .. import callables
    kinds = callables.param_kinds(func)
    kwargs = {}
    for key, value in step["parameters"].items():
        if not key.startswith("kwargs/"):
            continue
        name = key[len("kwargs/"):]
        kind = kinds.get(name)
        if isinstance(value, str) and kind and kind[0] in ("bool", "int", "float", "list"):
            value = callables.parse_arg(kind, value, "argument %s of %s()" % (name, spec["name"]))
        kwargs[name] = _argument(value)
    try:
        result = func(**kwargs)
    except Exception:
        traceback.print_exc()
        return 1
    returns = spec.get("returns") or []
    artifacts = os.environ["PIPEWRIGHT_STEP_ARTIFACTS"]
    if len(returns) == 1:
        store_artifact(artifacts, returns[0], result)
    elif returns:
        if not isinstance(result, (tuple, list)) or len(result) != len(returns):
            sys.stderr.write("%s() returned %r, but function_return names %d values (%s)\n"
                             % (spec["name"], result, len(returns), ", ".join(returns)))
            return 1
        for name, value in zip(returns, result):
            store_artifact(artifacts, name, value)
    return 0


def writable_cwd():
    """ClearML's agent runs a step in a working copy it may write to (`model.pkl`,
    `./dataset.csv`), but the definition's folder is mounted read-only: the step runs in a scratch
    folder whose entries link to the folder's, so its files read as before and new ones land in
    the scratch (gone with the container, like the agent's copy)."""
    here = os.getcwd()
    if os.access(here, os.W_OK):
        return
    scratch = tempfile.mkdtemp(prefix="pipewright-step-")
    for entry in os.listdir(here):
        os.symlink(os.path.join(here, entry), os.path.join(scratch, entry))
    os.chdir(scratch)


def run(step):
    step_dir = step["dir"]
    artifacts = os.path.join(step_dir, "artifacts")
    shutil.rmtree(artifacts, ignore_errors=True)
    os.makedirs(artifacts, exist_ok=True)
    result_file = os.path.join(step_dir, "result.json")
    for stale in (result_file, os.path.join(step_dir, METRICS_FILE)):  # an earlier execution's
        if os.path.lexists(stale):
            os.remove(stale)
    params = step.get("parameters") or {}
    params_file = os.path.join(step_dir, "parameters.json")
    with open(params_file, "w", encoding="utf-8") as f:
        json.dump(params, f, indent=1, ensure_ascii=False)
    env = {"PIPEWRIGHT_PARAMS_FILE": params_file, "PIPEWRIGHT_STEP_ARTIFACTS": artifacts,
           "PIPEWRIGHT_STEP_ID": step["id"], "PIPEWRIGHT_STEP_NAME": step["name"],
           "CLEARML_TASK_ID": step["id"]}
    for key, value in params.items():
        env[refs.env_name(key)] = value if isinstance(value, str) else json.dumps(value)
    os.environ.update(env)
    writable_cwd()
    sys.stdout.flush()
    if step["kind"] == "function":
        code = _run_function(step)
    else:
        code = subprocess.call(["sh", "-c", step["command"]])
    task = Task.current_task()
    if code == 0:
        result = {"id": step["id"], "name": step["name"],
                  "parameters": task.parameters if task is not None else params,
                  "artifacts": collect_artifacts(step_dir)}
        with open(result_file + ".tmp", "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1, ensure_ascii=False)
        os.replace(result_file + ".tmp", result_file)
    return code


def main(argv=None):
    path = os.environ.get("PIPEWRIGHT_STEP_INPUT")
    if not path or not os.path.isfile(path):
        sys.stderr.write("pipewright.clearml.step runs inside a pipeline step only "
                         "(PIPEWRIGHT_STEP_INPUT is not set)\n")
        return 2
    with open(path, encoding="utf-8") as f:
        step = json.load(f)
    return run(step)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
