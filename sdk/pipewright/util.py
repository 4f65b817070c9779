"""co.util: Conducto's helpers for building trees (nodes per month or date) and node docs taken
from the definition's own source (magic_doc). Standard library only."""
import inspect
import os
import re
import sys

from .errors import DefinitionError
from .node import Parallel
from .text import unindent

# Conducto's Bool: these strings are false, any other value is true.
_FALSE_WORDS = frozenset(["", "0", "n", "none", "false", "f", "0.0"])


def env_bool(key):
    """The environment variable key read as a boolean, as Conducto reads it (unset is False)."""
    value = os.getenv(key)
    return value is not None and value.strip().lower() not in _FALSE_WORDS


def mkdirs(base_node, path, nodeType=None):
    """The node at path under base_node, creating missing ones as nodeType (co.Parallel)."""
    node_type = Parallel if nodeType is None else nodeType
    node = base_node
    for part in str(path).split("/"):
        if not part:  # "" is base_node itself
            continue
        if part not in node.children:
            node[part] = node_type()
        node = node[part]
    return node


def makenestednodes(baseNode, values, func, makeLeafNode=False, sort=True, reverse=False,
                    nodeType=None):
    """Yields (node, value) for each value, the node at path func(index, value, values) under
    baseNode (its parent when makeLeafNode is False, so the caller adds the leaf)."""
    if sort:
        values = sorted(values, reverse=reverse)
    for index, value in enumerate(values):
        path = str(func(index, value, values))
        if not makeLeafNode:
            path = "/".join(path.split("/")[:-1])
        yield mkdirs(baseNode, path, nodeType=nodeType), value


def makeyyyymmnodes(baseNode, yyyymms, makeLeafNode=False, reverse=True, nodeType=None):
    """Yields (node, yyyymm), newest first: with 10 months or more, grouped under a node per
    year ("2019"), so node[yyyymm] = ... makes base/2019/201903."""
    def path(index, yyyymm, values):
        return str(yyyymm) if len(values) < 10 else "%s/%s" % (str(yyyymm)[:4], yyyymm)

    return makenestednodes(baseNode, yyyymms, path, makeLeafNode=makeLeafNode, sort=True,
                           reverse=reverse, nodeType=nodeType)


def makedatenodes(baseNode, dates, makeLeafNode=False, reverse=True, nodeType=None):
    """Like makeyyyymmnodes for dates: grouped by month past 10 dates, by year and month past
    10 months."""
    dates = list(dates)
    months = set(str(date)[:7] for date in dates)

    def path(index, date, values):
        if len(values) <= 10:
            return str(date)
        if len(months) < 10:
            return "%s/%s" % (str(date)[:7], date)
        return "%s/%s/%s" % (str(date)[:4], str(date)[:7], date)

    return makenestednodes(baseNode, dates, path, makeLeafNode=makeLeafNode, sort=True,
                           reverse=reverse, nodeType=nodeType)


def _caller_function(frame):
    name = frame.f_code.co_name
    func = frame.f_globals.get(name)
    if not inspect.isfunction(func) or func.__code__ is not frame.f_code:
        raise DefinitionError("co.util.magic_doc() without func= must be called in a "
                              "module-level function (it documents that function); here it is "
                              "called in %s" % name)
    return func


def magic_doc(*, func=None, doc_only=False, comment=False):
    """A node doc from source code, as Conducto's magic_doc: the calling function's docstring
    (else the module's) and then its source without the docstring as a Python code block;
    doc_only: the docstring alone; comment: the block of # comments just above the call (or
    above func)."""
    if func is None:
        frame = sys._getframe(1)
        func, line = _caller_function(frame), frame.f_lineno
    else:
        line = func.__code__.co_firstlineno
    try:
        if comment:
            return _comment_before(func, line)
        doc = func.__doc__
        if doc is not None:
            code = _without_docstring(inspect.getsource(func), doc)
        else:
            doc = func.__globals__.get("__doc__") or ""
            code = inspect.getsource(func)
    except OSError as e:  # source not on disk (code typed at a prompt, a zip without source)
        raise DefinitionError("co.util.magic_doc(): cannot read the source of %s: %s"
                              % (func.__name__, e))
    pretty = unindent(doc)
    return pretty if doc_only else "%s\n\n```python\n%s\n```" % (pretty, code)


def _without_docstring(code, doc):
    """code with its docstring (and the blank line it leaves) taken out, as Conducto does."""
    unescaped = code.replace("\\\\", "\\")
    for quote in ('"""', "'''", '"', "'"):
        for text in (code, unescaped):
            literal = quote + doc + quote
            if literal in text:
                return re.sub("\n\\s+\n", "\n", text.replace(literal, "", 1), 1)
    return code


def _comment_before(func, line):
    """The block of # comment lines nearest above line (1-based), unindented."""
    lines, _ = inspect.findsource(func)
    end = min(line - 1, len(lines) - 1)
    while end >= 0 and lines[end].lstrip()[:1] != "#":
        end -= 1
    start = end
    while start >= 0 and lines[start].lstrip()[:1] == "#":
        start -= 1
    comments = [text.expandtabs().lstrip()[1:] for text in lines[start + 1:end + 1]]
    while comments and not comments[0].strip():
        del comments[0]
    while comments and not comments[-1].strip():
        del comments[-1]
    return unindent("".join(comments))
