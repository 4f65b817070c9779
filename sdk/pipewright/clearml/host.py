"""`python3 -m pipewright.clearml.host FILE NAME`: the controller process of a running pipeline.

The runner starts it when a step has callbacks. It loads the definition once (so state the
callbacks keep lives as long as the pipeline) and answers JSON lines on stdin, one JSON line each
on stdout:

    {"id", "op": "pre", "step", "parameters", "nodes"}  -> {"id", "skip": true} | {"id", "parameters"}
    {"id", "op": "post", "step", "nodes"}               -> {"id"}
    {"id", "op": "retry", "step", "retries", "nodes"}   -> {"id", "retry": bool}
    {"id", "op": "status", "step", "previous", "nodes"} -> {"id"}

What a callback prints comes back as "output" in its answer (the runner shows it as a notice on
the step and in the step's log). A callback that raises is answered with {"id", "error": TRACEBACK}: the runner fails that step
with it. `nodes` carries every step's status so pipeline.get_processed_nodes() etc. answer.
$PIPEWRIGHT_PIPELINE_PARAMETERS holds the pipeline parameters as the run has them (a `--param`
changes them), for pipeline.get_parameters()."""
import contextlib
import inspect
import io
import json
import os
import sys
import traceback

from .. import batch, loader
from . import controller as controller_module
from . import overrides
from .controller import PipelineController


# The end of a callback's output that is kept (a notice is no log file).
MAX_OUTPUT = 64 * 1024


def find_controller(file, name):
    definition = loader.load(file)
    if controller_module.captured is not None:
        return controller_module.captured
    value = definition.globals.get(name)
    if inspect.isfunction(value):
        value = value()
    if isinstance(value, PipelineController):
        return value
    found = [v for v in definition.globals.values() if isinstance(v, PipelineController)]
    if len(found) == 1:
        return found[0]
    raise RuntimeError("no PipelineController found in %s" % file)


def _sync(pipeline, nodes):
    for name, state in (nodes or {}).items():
        step = pipeline._pc_steps.get(name)
        if step is None:
            continue
        node = step.node
        node.status = state.get("status", node.status)
        node.executed = state.get("executed")
        node.skip_job = node.status == "skipped"
        node.job_started = state.get("started")
        node.job_ended = state.get("ended")
        node.retries = state.get("retries", node.retries)


def _pre(pipeline, step, node, parameters):
    for callback in (pipeline._pc_pre, step.pre):
        if callback is None:
            continue
        if callback(pipeline, node, parameters) is False:
            return {"skip": True}
    return {"parameters": parameters}


def handle(pipeline, request):
    step = pipeline._pc_steps.get(request.get("step"))
    if step is None:
        return {"error": "no step %r in this pipeline" % request.get("step")}
    node = step.node
    _sync(pipeline, request.get("nodes"))
    op = request.get("op")
    if op == "pre":
        parameters = dict(request.get("parameters") or {})
        node.parameters = parameters
        return _pre(pipeline, step, node, parameters)
    if op == "post":
        for callback in (step.post, pipeline._pc_post):
            if callback is not None:
                callback(pipeline, node)
        return {}
    if op == "retry":
        retries = request.get("retries", 0)
        return {"retry": bool(step.retry(pipeline, node, retries)) if step.retry else False}
    if op == "status":
        if step.status is not None:
            step.status(pipeline, node, request.get("previous"))
        return {}
    return {"error": "unknown request %r" % op}


def main(argv):
    if len(argv) < 1:
        sys.stderr.write("usage: python3 -m pipewright.clearml.host FILE [NAME]\n")
        return 2
    out = batch.claim_stdout()  # the user's prints go to stderr, not into our replies

    def reply(obj):
        out.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
        out.flush()

    try:
        pipeline = find_controller(argv[0], argv[1] if len(argv) > 1 else "")
        pipeline._set_parameter_values(json.loads(os.environ.get(overrides.ENV) or "{}"))
    except BaseException:  # includes SystemExit from a script that exits while loading
        reply({"ready": False, "error": traceback.format_exc()})
        return 1
    reply({"ready": True, "steps": sorted(pipeline._pc_steps)})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        printed = io.StringIO()
        try:
            # What a callback prints is the controller's console in ClearML: it goes back with
            # the answer, and the runner shows it (a notice, the step's log).
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                answer = handle(pipeline, request)
        except Exception:
            answer = {"error": traceback.format_exc()}
        answer["id"] = request.get("id")
        if printed.getvalue():
            answer["output"] = printed.getvalue()[-MAX_OUTPUT:]
        reply(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
