"""Python functions as shell commands (`conducto FILE FUNC --n=5`) and the arguments back.

Arguments are typed by the function's hints, then by its defaults, else str: bool as true/false,
int, float, str, and lists of those as JSON (each shell-quoted). As in Conducto, a value with a
to_str() method is written as its text, and a parameter whose type has from_str() gets
TYPE.from_str(text) back (a "custom" kind)."""
import collections.abc
import inspect
import json
import os
import re
import shlex
import sys
import typing

from . import context
from .errors import ArgumentError, DefinitionError

_SCALARS = ("bool", "int", "float", "str")
_STR = ("str", None)
_LISTS = (list, tuple, collections.abc.Sequence, collections.abc.Iterable)


def _custom(cls):
    """("custom", cls) when cls reads itself from text (from_str), else None."""
    if inspect.isclass(cls) and callable(getattr(cls, "from_str", None)):
        return ("custom", cls)
    return None


def _kind_of_hint(hint):
    """(base, element) such as ("int", None) or ("list", "str"); None if the hint is no help."""
    custom = _custom(hint)
    if custom:
        return custom
    if isinstance(hint, str):  # unevaluated annotation (from __future__ import annotations)
        text = re.sub(r"^(?:typing\.)?Optional\[(.*)\]$", r"\1", hint.replace(" ", ""))
        m = re.fullmatch(
            r"(?:typing\.)?(?:List|list|Sequence|Tuple|tuple)(?:\[(\w+)(?:,\.\.\.)?\])?", text)
        if m:
            return ("list", m.group(1) if m.group(1) in _SCALARS else None)
        return (text, None) if text in _SCALARS else None
    if hint in (bool, int, float, str):
        return (hint.__name__, None)
    if hint in (list, tuple):
        return ("list", None)
    origin = getattr(hint, "__origin__", None)
    args = getattr(hint, "__args__", None) or ()
    if origin is typing.Union:
        rest = [a for a in args if a is not type(None)]
        return _kind_of_hint(rest[0]) if len(rest) == 1 else None
    if origin in _LISTS:
        elem = _kind_of_hint(args[0]) if args else None
        return ("list", elem[0] if elem and elem[0] in _SCALARS else None)
    return None


def _kind_of_value(value):
    custom = _custom(type(value))
    if custom:
        return custom
    for t in (bool, int, float, str):  # bool before int: True is an int too
        if isinstance(value, t):
            return (t.__name__, None)
    return ("list", None) if isinstance(value, (list, tuple)) else None


def _hints(func):
    try:
        return typing.get_type_hints(func)
    except Exception:  # unresolvable forward references: fall back to the raw annotations
        return dict(getattr(func, "__annotations__", None) or {})


def param_kinds(func):
    """{param name: kind} for every named parameter of func."""
    hints = _hints(func)
    kinds = {}
    for p in inspect.signature(func).parameters.values():
        kind = _kind_of_hint(hints[p.name]) if p.name in hints else None
        if kind is None and p.default is not p.empty and p.default is not None:
            kind = _kind_of_value(p.default)
        kinds[p.name] = kind or _STR
    return kinds


def return_annotation(func):
    hint = _hints(func).get("return")
    return hint if hint is not None else getattr(func, "__annotations__", {}).get("return")


# --- value <-> text -----------------------------------------------------------------------------

def _scalar_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _check_item(base, value, where):
    """value as a JSON-able item of kind base; raises DefinitionError when it does not fit."""
    ok = {
        "bool": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
        None: lambda v: isinstance(v, (bool, int, float, str)),
    }[base](value)
    if not ok:
        raise DefinitionError("%s: %r is not a %s" % (where, value, base or "bool/int/float/str"))
    return value


def _to_str(value, where):
    text = value.to_str()
    if not isinstance(text, str):
        raise DefinitionError("%s: %s.to_str() returned %r, not a string"
                              % (where, type(value).__name__, text))
    return text


def format_arg(kind, value, where):
    """Unquoted text of value for a parameter of kind."""
    base, elem = kind
    if callable(getattr(value, "to_str", None)) and not isinstance(value, str):
        return _to_str(value, where)
    if base == "custom":
        if isinstance(value, elem):
            return str(value)
        raise DefinitionError("%s: expected a %s (or a value with a to_str() method), got %r"
                              % (where, elem.__name__, value))
    if base == "list":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise DefinitionError("%s: expected a list, got %r" % (where, value))
        return json.dumps([_check_item(elem, v, where) for v in value], ensure_ascii=False)
    if base == "str":  # no type information: the function gets the text
        if isinstance(value, (list, tuple)):
            return json.dumps(list(value), ensure_ascii=False)
        return value if isinstance(value, str) else _scalar_text(_check_item(None, value, where))
    return _scalar_text(_check_item(base, value, where))


def parse_arg(kind, text, where, file=None, line=None):
    """Inverse of format_arg; raises ArgumentError (at file:line) on a bad value."""
    base, elem = kind
    if base == "custom":
        try:
            return elem.from_str(text)
        except Exception as e:
            raise ArgumentError("%s: %s.from_str(%r) failed: %s: %s"
                                % (where, elem.__name__, text, type(e).__name__, e), file, line)
    try:
        if base == "bool":
            low = text.strip().lower()
            if low in ("true", "1", "yes", "on"):
                return True
            if low in ("false", "0", "no", "off"):
                return False
            raise ValueError
        if base == "int":
            return int(text)
        if base == "float":
            return float(text)
        if base == "list":
            items = json.loads(text)
            if not isinstance(items, list):
                raise ValueError
            if elem == "float":
                return [float(_check_item("float", v, where)) for v in items]
            return [_check_item(elem, v, where) for v in items] if elem else items
        return text
    except (ValueError, DefinitionError):
        want = "a JSON list" + (" of %s" % elem if elem else "") if base == "list" else base
        raise ArgumentError("%s: %r is not %s %s" % (where, text, "an" if base == "int" else "a",
                                                        want), file, line)


# --- building commands ---------------------------------------------------------------------------

def check_callable(func):
    if not inspect.isfunction(func):
        raise DefinitionError("expected a command string or a Python function, got %r" % (func,))
    name = func.__name__
    if name.startswith("_") or "<" in name:
        raise DefinitionError("%s cannot be called from the command line: functions whose name "
                              "starts with '_' (and lambdas) are private" % name)
    if func.__qualname__ != name:
        raise DefinitionError("%s is not a module-level function; only those can be called from "
                              "the command line" % func.__qualname__)


def program_for(user_globals):
    """`conducto` if the definition imported conducto, `pipewright` if it imported pipewright."""
    conducto, pipewright = sys.modules.get("conducto"), sys.modules.get("pipewright")
    found_pipewright = False
    for value in (user_globals or {}).values():
        if value is conducto and conducto is not None:
            return "conducto"
        found_pipewright = found_pipewright or value is pipewright
    return "pipewright" if found_pipewright or conducto is None else "conducto"


def file_for(func):
    """func's file relative to the definition folder (basename when that folder is unknown)."""
    path = os.path.abspath(func.__code__.co_filename)
    base = context.definition_dir
    rel = os.path.relpath(path, base) if base else os.path.basename(path)
    return rel.replace(os.sep, "/")


def split_kwargs(func, kwargs, node_keys):
    """(function kwargs, node params) of co.Exec(func, ..., **kwargs), by Conducto's rule: a
    keyword named like one of func's parameters is the function's, even cpu= or image=; node
    params come in params={...}. Other keywords in node_keys are node params too (Pipewright
    also takes co.Exec(func, x, cpu=2) when func has no parameter cpu)."""
    check_callable(func)
    named = {p.name for p in inspect.signature(func).parameters.values()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    func_kwargs, node_kwargs = {}, {}
    extra = kwargs.get("params") if "params" not in named else None
    if extra is not None:
        if not isinstance(extra, dict):
            raise DefinitionError("params=%r is invalid: expected a dict of node params"
                                  % (extra,))
        node_kwargs.update(extra)
    for key, value in kwargs.items():
        if key == "params" and extra is not None:
            continue
        if key in named or key not in node_keys:
            func_kwargs[key] = value
        elif key in node_kwargs:
            raise DefinitionError("node param %r given twice (as a keyword and in params=)"
                                  % key)
        else:
            node_kwargs[key] = value
    return func_kwargs, node_kwargs


def command_for(func, args, kwargs, user_globals):
    """The shell command that calls func(*args, **kwargs) in a container."""
    check_callable(func)
    sig = inspect.signature(func)
    params = sig.parameters
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        for key in kwargs:
            if key not in params:
                raise DefinitionError("unknown param %r: not a node param and not a parameter of "
                                      "%s()" % (key, func.__name__))
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise DefinitionError("%s(): %s" % (func.__name__, e))
    kinds = param_kinds(func)
    parts = [program_for(user_globals), shlex.quote(file_for(func)), func.__name__]
    for name, value in bound.arguments.items():
        p = params[name]
        if p.kind == p.VAR_POSITIONAL:
            if value:
                raise DefinitionError("%s(): *%s cannot be passed on a command line"
                                      % (func.__name__, name))
            continue
        for key, val in (value.items() if p.kind == p.VAR_KEYWORD else [(name, value)]):
            where = "argument %s of %s()" % (key, func.__name__)
            if val is None:
                if p.default is None:
                    continue  # the function's own default
                raise DefinitionError("%s: None cannot be passed on a command line" % where)
            kind = kinds.get(key) or _kind_of_value(val) or _STR
            parts.append("--%s=%s" % (key, shlex.quote(format_arg(kind, val, where))))
    return " ".join(parts)


# --- calling from the command line ---------------------------------------------------------------

def parse_call(func, argv):
    """kwargs for func from ["--n=5", "--name", "x", "positional", ...]."""
    name = func.__name__
    file, line = func.__code__.co_filename, func.__code__.co_firstlineno
    params = inspect.signature(func).parameters
    kinds = param_kinds(func)
    any_key = any(p.kind == p.VAR_KEYWORD for p in params.values())
    kwargs, loose = {}, []
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if not (token.startswith("--") and len(token) > 2):
            loose.append(token)
            continue
        key, eq, text = token[2:].partition("=")
        key = key.replace("-", "_")
        p = params.get(key)
        if p is None and not eq and key.startswith("no_") and kinds.get(key[3:], _STR)[0] == "bool":
            key, text, eq = key[3:], "false", "="  # --no-flag, as Conducto's argparse has it
            p = params.get(key)
        if (p is None and not any_key) or (p is not None and p.kind in (p.VAR_POSITIONAL,
                                                                        p.VAR_KEYWORD)):
            raise ArgumentError("%s() has no parameter %r" % (name, key), file, line)
        kind = kinds.get(key, _STR)
        if not eq:
            if kind[0] == "bool" and (i >= len(argv) or argv[i].startswith("--")):
                text = "true"
            elif i < len(argv):
                text, i = argv[i], i + 1
            else:
                raise ArgumentError("%s(): --%s needs a value" % (name, key), file, line)
        if key in kwargs:
            raise ArgumentError("%s(): --%s given twice" % (name, key), file, line)
        kwargs[key] = parse_arg(kind, text, "argument %s of %s()" % (key, name), file, line)
    # Bare words fill the parameters in order, as Conducto's co.main binds them
    # (`python pipeline.py primes_up_to 200`); what is left goes to *args, if there is one.
    free = [p for p in params.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in kwargs]
    rest = next((p for p in params.values() if p.kind == p.VAR_POSITIONAL), None)
    if len(loose) > len(free) and rest is None:
        raise ArgumentError("%s() takes %s, got %d: %s" % (
            name, "no positional argument" if not free else "%d positional argument%s (%s)" % (
                len(free), "" if len(free) == 1 else "s", ", ".join(p.name for p in free)),
            len(loose), " ".join(map(shlex.quote, loose))),
            file, line)
    for p, text in zip(free, loose):
        kwargs[p.name] = parse_arg(kinds[p.name], text, "argument %s of %s()" % (p.name, name),
                                   file, line)
    if rest is not None and len(loose) > len(free):
        elem = kinds[rest.name] if kinds[rest.name][0] != "list" else _STR
        kwargs[rest.name] = [parse_arg(elem, text, "argument *%s of %s()" % (rest.name, name),
                                       file, line) for text in loose[len(free):]]
    missing = ["--" + p.name for p in params.values() if p.default is p.empty and p.name not in
               kwargs and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if missing:
        raise ArgumentError("%s() is missing %s" % (name, ", ".join(missing)), file, line)
    return kwargs


def call(func, kwargs):
    """func(**kwargs), passing positional-only parameters by position, and everything before
    *args by position when parse_call filled *args."""
    kwargs = dict(kwargs)
    params = list(inspect.signature(func).parameters.values())
    rest = next((p for p in params if p.kind == p.VAR_POSITIONAL and p.name in kwargs), None)
    args = []
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            args += kwargs.pop(p.name, [])
            break
        if p.name in kwargs and (p.kind == p.POSITIONAL_ONLY or rest is not None):
            args.append(kwargs.pop(p.name))
    return func(*args, **kwargs)
