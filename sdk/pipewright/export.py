"""Streaming writer of the pipeline JSON (docs/pipeline-json.md): one node per line.

Effective params are serialized once per distinct context (the nearest ancestor that sets an
inherited param) and shared by every node that sets nothing of its own, so a million siblings cost
one json.dumps, not a million."""
import io
import json
import os
from json.encoder import encode_basestring as _quote  # C-accelerated; returns '"..."'

from . import dag
from .node_callbacks import callbacks_of
from .params import DEFAULTS, INHERITED, OMITTED_WHEN_NONE, ORDER, RANK

_CACHE_LIMIT = 1024   # per-context caches are cleared past this (nodes with unique settings)
_CHUNK = 2000         # nodes per write


class _Context:
    """Effective inherited params at a point of the tree, and the JSON derived from them."""
    __slots__ = ("values", "plain", "derived", "strings")

    def __init__(self, values):
        self.values = values    # effective inherited params (env already merged)
        self.plain = None       # params JSON of a node that sets nothing itself
        self.derived = {}       # own inherited settings -> child _Context
        self.strings = {}       # own non-inherited settings -> params JSON


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    if isinstance(value, list):
        return tuple(value)
    return value  # scalars, or an Image (hashed by identity)


def _params_json(values, own):
    out = {}
    for key in ORDER:
        if key in INHERITED:
            value = values[key]
        else:
            value = own[key] if own is not None and key in own else DEFAULTS[key]
        if value is None and key in OMITTED_WHEN_NONE:
            continue
        out[key] = value.to_json() if key == "image" and value is not None else value
    return json.dumps(out, ensure_ascii=False)


def _plain(ctx):
    if ctx.plain is None:
        ctx.plain = _params_json(ctx.values, None)
    return ctx.plain


def _resolve(ctx, own):
    """(context for the node's children, the node's params JSON)."""
    inherited = tuple((k, _freeze(v)) for k, v in own.items() if k in INHERITED)
    if inherited:
        sub = ctx.derived.get(inherited)
        if sub is None:
            values = dict(ctx.values)
            for key, value in own.items():
                if key == "env":
                    values["env"] = dict(values["env"])
                    values["env"].update(value)
                elif key in INHERITED:
                    values[key] = value
            if len(ctx.derived) >= _CACHE_LIMIT:
                ctx.derived.clear()
            sub = ctx.derived[inherited] = _Context(values)
        ctx = sub
    local = tuple((k, _freeze(v)) for k, v in own.items() if k not in INHERITED)
    if not local:
        return ctx, _plain(ctx)
    text = ctx.strings.get(local)
    if text is None:
        if len(ctx.strings) >= _CACHE_LIMIT:
            ctx.strings.clear()
        text = ctx.strings[local] = _params_json(ctx.values, own)
    return ctx, text


def write_pipeline(root, out, name, file):
    """Write the pipeline rooted at root to the text stream out. Checks parents= first, so an
    error is raised before anything is written."""
    dag.check(root)
    sets, sources = {}, {}

    def set_json(own):
        key = tuple(own)
        text = sets.get(key)
        if text is None:
            text = sets[key] = json.dumps(sorted(own, key=RANK.__getitem__))
        return text

    def source_json(node):
        head = sources.get(node._file)
        if head is None:
            head = sources[node._file] = '{"file": %s, "line": ' % (
                "null" if node._file is None else _quote(_abs(node._file)))
        return "%s%s}" % (head, "null" if node._line is None else node._line)

    def line(node, path, prefix, pctx):
        own = node._params
        ctx, params = (pctx, _plain(pctx)) if own is None else _resolve(pctx, own)
        parents = "[]" if node._deps is None else json.dumps(
            [prefix + n for n in dag.dep_names(node)], ensure_ascii=False)
        command = getattr(node, "_command", None)
        callbacks = callbacks_of(node)
        extra = node._EXTRA_JSON if callbacks is None else '%s, "callbacks": %s' % (
            node._EXTRA_JSON, json.dumps(callbacks, ensure_ascii=False))
        return ctx, '{"path": %s, "type": "%s"%s, "params": %s, "set": %s, "parents": %s, ' \
                    '"source": %s%s}' % (
                        _quote(path), node._TYPE,
                        "" if command is None else ', "command": ' + _quote(command),
                        params, "[]" if own is None else set_json(own), parents,
                        source_json(node), extra)

    out.write('{"pipewright": 1, "name": %s, "file": %s, "nodes": [\n'
              % (_quote(name), _quote(file)))
    ctx, text = line(root, "/", "", _Context({k: DEFAULTS[k] for k in INHERITED}))
    lines = [text]
    stack = [(iter(root._children.values()), "/", ctx)] if root._children else []
    while stack:
        kids, prefix, pctx = stack[-1]
        for node in kids:
            path = prefix + node._name
            ctx, text = line(node, path, prefix, pctx)
            if len(lines) >= _CHUNK:  # flush before appending, so the last line is never flushed
                out.write(",\n".join(lines) + ",\n")
                lines = []
            lines.append(text)
            if node._children:
                stack.append((iter(node._children.values()), path + "/", ctx))
                break  # descend; this iterator resumes when the child's subtree is done
        else:
            stack.pop()
    out.write(",\n".join(lines) + "\n]}\n")


_abs_cache = {}


def _abs(file):
    path = _abs_cache.get(file)
    if path is None:
        path = _abs_cache[file] = file if file.startswith("<") else os.path.abspath(file)
    return path


def pipeline_json(root, name, file):
    out = io.StringIO()
    write_pipeline(root, out, name, file)
    return out.getvalue()
