"""Errors as `FILE:LINE: message` (and a JSON line for the language server)."""
import json
import os
import sys
import traceback

from .errors import DefinitionError
from .frames import column_of, is_sdk_file


def describe(exc, file):
    """{"file", "line", "column", "message", "kind"} for an error raised while evaluating file.
    column is 1-based, 1 when Python does not record it."""
    if isinstance(exc, DefinitionError):
        info = (exc.file or file, exc.line or 1, exc.column, exc.message, exc.kind)
    elif isinstance(exc, SyntaxError):
        info = (os.path.abspath(exc.filename) if exc.filename else file, exc.lineno or 1,
                exc.offset, exc.msg, "syntax")
    else:
        info = (file, 1, None, _message(exc), "exception")
        frame = _user_traceback(exc, file)
        if frame is not None:
            code = frame.tb_frame.f_code
            info = (os.path.abspath(code.co_filename), frame.tb_lineno,
                    column_of(code, frame.tb_lasti), info[3], "exception")
    keys = ("file", "line", "column", "message", "kind")
    result = dict(zip(keys, info))
    result["column"] = result["column"] or 1
    also = getattr(exc, "also", None)
    if also:  # further errors of the same check, each at its own line
        result["also"] = [describe(e, file) for e in also]
    return result


def _message(exc):
    if isinstance(exc, SystemExit):
        return exit_message(exc)
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def exit_message(exc):
    """What sys.exit() in a definition means to an evaluation: it ended with no pipeline."""
    code = exc.code
    if code is None or isinstance(code, int):
        status = "%s, status %d" % ("sys.exit()" if code is None else "sys.exit(%d)" % code,
                                    code or 0)
    else:  # sys.exit("message"): Python prints the message and exits with status 1
        status = "sys.exit(%r), status 1" % (code,)
    return "the definition exited (%s) instead of producing a pipeline" % status


def _user_traceback(exc, file):
    """The deepest traceback entry in file, else the deepest outside the SDK and the stdlib."""
    best = fallback = None
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if os.path.abspath(name) == file:
            best = tb
        elif not is_sdk_file(name) and not name.startswith("<") and \
                not name.startswith(os.path.dirname(os.__file__)):
            fallback = tb
        tb = tb.tb_next
    return best or fallback


def report(exc, file, as_json, stream=None):
    stream = stream or sys.stderr
    info = describe(exc, file)
    if info["kind"] == "exception":  # the user's part of the traceback helps find the cause
        entries = [e for e in traceback.extract_tb(exc.__traceback__)
                   if not is_sdk_file(e.filename) and not e.filename.startswith("<frozen")]
        if entries:
            stream.write("Traceback (most recent call last):\n"
                         + "".join(traceback.format_list(entries)))
    for each in [info] + info.get("also", []):
        stream.write("%s:%s: %s\n" % (each["file"], each["line"], each["message"]))
    if as_json:
        stream.write(json.dumps({"error": info}) + "\n")
    stream.flush()
    return info
