"""`python3 -m pipewright FILE --all`: import the file once, then evaluate every pipeline of
`--list` that needs no arguments, one JSON line per pipeline (the language server's view).

    {"name", "line", "default", "document": {pipeline JSON}}
    {"name", "line", "default", "error": {"file", "line", "column", "message", "kind"}}

A function's line also has "parameters" (pipewright.parameters.describe): what the editor asks for.

A pipeline function with required parameters is not called: its line has an error
"f() needs --n (no default value)" and "needs": ["n"].
Anything the user's code prints goes to stderr: stdout carries only these lines."""
import inspect
import json
import os
import sys

from . import context, export, loader, parameters, report
from .errors import DefinitionError
from .node import Node


def set_memory_limit(megabytes):
    """Cap the address space (RLIMIT_AS) of this process; silently a no-op where unsupported."""
    try:
        import resource
    except ImportError:  # Windows
        return False
    limit = int(megabytes) * 1024 * 1024
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError, AttributeError):
        return False
    return True


def claim_stdout():
    """A text stream on the real stdout; fd 1 (and sys.stdout) then point at stderr, so that
    prints of the user's code, and of processes it starts, cannot mix into our JSON lines."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def _required(func):
    """Names of the parameters func needs from the command line (no default)."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.default is p.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _entry_line(entry, document_text=None):
    head = json.dumps(entry, ensure_ascii=False)
    if document_text is None:
        return head
    # The pipeline JSON is one node per line; its strings never hold a raw newline.
    return '%s, "document": %s}' % (head[:-1], document_text.replace("\n", ""))


def evaluate(definition, entry):
    """(entry dict, pipeline JSON text or None) for one pipeline of --list."""
    name = entry["name"]
    result = dict(entry)
    func = definition.globals.get(name)
    if inspect.isfunction(func):
        result["parameters"] = parameters.describe(func)
        needs = _required(func)
        if needs:
            code = func.__code__
            result["error"] = {"file": os.path.abspath(code.co_filename),
                               "line": code.co_firstlineno, "column": 1,
                               "message": "%s() needs %s (no default value%s)" % (
                                   name, ", ".join("--" + n for n in needs),
                                   "s" if len(needs) > 1 else ""),
                               "kind": "definition"}
            result["needs"] = needs
            return result, None
    del context.open_nodes[:]  # a `with` left open by an earlier pipeline's exception
    try:
        if name == definition.stem and not inspect.isfunction(func):
            # The module-level tree (named after the file even when a global has that name).
            picked, root, func = name, loader.module_root(definition), None
        else:
            picked, root, func = loader.pick(definition, name)
        if not isinstance(root, Node):
            code = getattr(func, "__code__", None)
            raise DefinitionError("%s() returned %s, not a pipeline node" % (
                picked, type(root).__name__), code.co_filename if code else definition.file,
                code.co_firstlineno if code else entry["line"])
        return result, export.pipeline_json(root, picked, definition.file)
    except KeyboardInterrupt:
        raise
    except (Exception, SystemExit) as e:  # the user's code may raise anything, even exit
        result["error"] = report.describe(e, definition.file)
        return result, None


def run_all(file, source=None, errors_json=False):
    """Evaluate every pipeline of file; returns the exit status (3: the file itself failed)."""
    out = claim_stdout()
    try:
        try:
            definition = loader.load(file, source)
            entries = loader.list_pipelines(definition)
        except KeyboardInterrupt:
            raise
        except (Exception, SystemExit) as e:  # sys.exit() at import is an error here too
            report.report(e, file, errors_json)
            return 3
        for entry in entries:
            result, text = evaluate(definition, entry)
            out.write(_entry_line(result, text) + "\n")
            out.flush()
        return 0
    finally:
        out.flush()
