"""Where a keyword argument of the user's call is written: a param error (`cpuu=2`) points at the
keyword, not at the start of the call. Parses the user's file once per version of its text."""
import ast
import linecache
import sys

from .errors import _abs
from .frames import user_frame

_trees = {}  # filename -> (source, tree or None)


def _tree(filename, frame):
    lines = linecache.getlines(filename, frame.f_globals)
    if not lines:
        return None
    source = "".join(lines)
    known = _trees.get(filename)
    if known is not None and known[0] == source:
        return known[1]
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        tree = None
    _trees[filename] = (source, tree)
    return tree


def _call_start(frame):
    """(line, 0-based column) where the executing call begins (3.11+), else None."""
    positions = getattr(frame.f_code, "co_positions", None)
    if positions is None or frame.f_lasti < 0:
        return None
    for i, pos in enumerate(positions()):
        if i == frame.f_lasti // 2:
            return (pos[0], pos[2]) if pos[0] is not None and pos[2] is not None else None
    return None


def _keyword(call, key):
    for kw in call.keywords:
        if kw.arg == key:
            return kw
    return None


def keyword_position(key, frame=None):
    """(line, 1-based column) of `key=` in the call the user's frame is making, or None when the
    keyword is not written there (a **dict, a call made elsewhere)."""
    frame = frame or user_frame()
    if frame is None:
        return None
    tree = _tree(frame.f_code.co_filename, frame)
    if tree is None:
        return None
    start = _call_start(frame)
    line = frame.f_lineno
    best = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _keyword(node, key) is None:
            continue
        if start is not None:
            if (node.lineno, node.col_offset) == start:
                best = node
                break
            continue
        # Before 3.11 only the line is known: the innermost call with the keyword spanning it.
        end = getattr(node, "end_lineno", node.lineno)
        if node.lineno <= line <= end and (best is None or end - node.lineno < best.end_lineno - best.lineno):
            best = node
    if best is None:
        return None
    kw = _keyword(best, key)
    if sys.version_info >= (3, 9):
        return kw.lineno, kw.col_offset + 1
    # 3.8: keywords carry no position; `key=` is written just before its value.
    return kw.value.lineno, max(1, kw.value.col_offset - len(key))


def point_at_keyword(error, key):
    """Moves a DefinitionError about param `key` to where the user wrote `key=`, when found."""
    frame = user_frame()
    position = keyword_position(key, frame)
    if position is not None and error.file == _abs(frame.f_code.co_filename):
        error.line, error.column = position
    return error
