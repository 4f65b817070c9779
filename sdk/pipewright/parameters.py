"""A pipeline function's parameters as the editor asks for them: name, kind (from the
annotation, else the default, else str, as the command line reads them), whether it is required,
and its default as command-line text (absent when None or not writable as text)."""
import inspect

from . import callables


def describe(func):
    """[{"name", "kind", "required", ("element"), ("type"), ("default")}] of func's named
    parameters; *args and **kwargs are left out (no input box can stand for them)."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return []
    kinds = callables.param_kinds(func)
    described = []
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        base, elem = kinds[p.name]
        entry = {"name": p.name, "kind": base, "required": p.default is p.empty}
        if base == "list" and elem:
            entry["element"] = elem
        if base == "custom":
            entry["type"] = elem.__name__
        if p.default is not p.empty and p.default is not None:
            try:
                entry["default"] = callables.format_arg(kinds[p.name], p.default,
                                                        "default of %s" % p.name)
            except Exception:  # a default no command line can carry (or a to_str() that fails)
                pass
        described.append(entry)
    return described
