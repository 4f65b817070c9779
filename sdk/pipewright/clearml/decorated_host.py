"""`python3 -m pipewright.clearml.decorated_host FILE FUNCTION`: the controller node of a
PipelineDecorator pipeline. The runner starts it (runner/clearml/decoratedController.ts) in place of
a container; it loads the definition, then runs the pipeline body with the arguments its
`__main__` call gave (a run's `--param NAME=VALUE` changes them, through
$PIPEWRIGHT_PIPELINE_PARAMETERS). The body's output goes to stderr: the node's log.

Requests, one JSON line each on stdout; each answered by one JSON line on stdin, same "id":
    {"op": "add", "node": PIPELINE NODE}          -> {} | {"error"}     a step, started when it may
    {"op": "wait", "name": STEP}                  -> {"state": done|error|killed|skipped,
                                                      "message"?}
    {"op": "artifact", "name": STEP, "artifact"}  -> {"data": BASE64, "type", "file"} | {"error"}
    {"op": "upload", "sha256", "data", "artifact"?} -> {"path": where steps read it} | {"error"}
The runner calls back (a component's pre/post/status/retry callbacks, as pipewright.clearml.host
answers a PipelineController's), one JSON line each on stdin, answered on stdout:
    {"call": N, "op", "step", "nodes", ...}        -> {"answer": N, ...} (host.py's replies)
Exit status 0 when the body returned, 1 when it raised (the traceback is in the log)."""
import json
import os
import sys
import traceback

from .. import batch, loader
from . import decorator
from .sessions import Channel, RunnerSession
from .whole_lines import WholeLines


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: python3 -m pipewright.clearml.decorated_host FILE FUNCTION\n")
        return 2
    out = batch.claim_stdout()  # the body's prints go to stderr, not into our requests
    # The body and callbacks (run in other threads) print at once: whole lines each.
    sys.stderr = sys.stdout = WholeLines(sys.stderr)
    replies = os.fdopen(os.dup(0), "r", encoding="utf-8")  # the body cannot read the replies
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull, encoding="utf-8")
    file, function = argv[0], argv[1]
    try:
        loader.load(file)
    except BaseException:  # includes SystemExit from a script that exits while loading
        traceback.print_exc()
        return 1
    if decorator.captured is None or decorator.captured[0].func.__name__ != function:
        sys.stderr.write("%s: the pipeline function %s() was not called when the file ran (call "
                         "it under `if __name__ == \"__main__\":`)\n" % (file, function))
        return 1
    definition, kwargs = decorator.captured
    given = json.loads(os.environ.get("PIPEWRIGHT_PIPELINE_PARAMETERS") or "{}")
    kwargs = dict(kwargs)
    kwargs.update({k: v for k, v in given.items() if k in kwargs})
    print("pipeline %s: %s(%s)" % (definition.name, function,
                                   ", ".join("%s=%r" % kv for kv in kwargs.items())))
    sys.stdout.flush()
    channel = Channel(out, replies)
    session = RunnerSession(definition, kwargs, channel, reserved={function})
    try:
        result = session.run(kwargs)
    except Exception:
        traceback.print_exc()
        channel.drain()
        return 1
    if definition.return_value and result is not None:
        session.upload_artifact(str(definition.return_value), result)
    channel.drain()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
