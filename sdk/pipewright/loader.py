"""Load a definition file and pick the pipeline it defines."""
import importlib
import importlib.util
import inspect
import linecache
import os
import sys
import tokenize
import types

from . import callables, context, notebook
from .errors import DefinitionError, MainCalled
from .node import Node

_NODE_NAMES = ("Node", "Serial", "Parallel", "Exec", "Lazy")


class Definition:
    """A definition file's module globals, and what its co.main() call said."""

    def __init__(self, file, globals_, default=None, options=None):
        self.file = os.path.abspath(file)
        self.globals = globals_
        self.default = default
        self.options = options or {}

    @property
    def stem(self):
        """The file's name without extension; a package's __main__.py: the package's."""
        if os.path.basename(self.file) == "__main__.py":
            return os.path.basename(os.path.dirname(self.file))
        return os.path.splitext(os.path.basename(self.file))[0]

    def default_function(self):
        default = self.default
        if isinstance(default, str):  # co.main(default="run") names it
            default = self.globals.get(default)
        return default


def entry_file(path):
    """The definition file of path: path itself, or a package folder's __main__.py (the
    `python -m PACKAGE` entry point); DefinitionError when a folder has none."""
    path = os.path.abspath(path)
    if not os.path.isdir(path):
        return path
    main = os.path.join(path, "__main__.py")
    if not os.path.isfile(main):
        raise DefinitionError("a folder without __main__.py: name a definition file, or the "
                              "folder of a package run as `python -m PACKAGE`", file=path, line=1)
    return main


def _package_of(file):
    """(package name, folder to put on sys.path) for a package's __main__.py, else None. The
    package is the chain of folders with __init__.py above the file, as `python -m a.b` sees it."""
    if os.path.basename(file) != "__main__.py":
        return None
    folder = os.path.dirname(file)
    names = [os.path.basename(folder)]
    parent = os.path.dirname(folder)
    while os.path.isfile(os.path.join(parent, "__init__.py")) and os.path.dirname(parent) != parent:
        names.insert(0, os.path.basename(parent))
        parent = os.path.dirname(parent)
    return ".".join(names), parent


def _new_main_module(file):
    """A fresh __main__ module for file; for a package's __main__.py, one that sits in its
    package (its __init__.py run first) so that `from . import utils` works as under `python -m`."""
    module = types.ModuleType("__main__")
    module.__file__ = file
    package = _package_of(file)
    # The file's own imports work as under `python FILE`; a package's __main__.py gets the folder
    # above the package too, first, as under `python -m PACKAGE` (and its own, as `python DIR`).
    folders = [os.path.dirname(file)] + ([package[1]] if package is not None else [])
    for folder in folders:
        if folder not in sys.path:
            sys.path.insert(0, folder)
    if package is not None:
        name = package[0]
        top = sys.modules.get(name.split(".")[0])
        if top is not None and package[1] not in [os.path.dirname(os.path.abspath(p))
                                                  for p in getattr(top, "__path__", [])]:
            # Imported already from elsewhere (a folder named json): it would not be this one.
            raise DefinitionError("the package folder %s is named like the module %s, already "
                                  "imported from %s: rename the folder" % (
                                      os.path.dirname(file), top.__name__,
                                      getattr(top, "__file__", None) or "Python itself"),
                                  file=file, line=1)
        importlib.import_module(name)
        module.__package__ = name
        module.__spec__ = importlib.util.spec_from_file_location(name + ".__main__", file)
    return module


def load(file, source=None):
    """Run file as __main__ (so `if __name__ == "__main__": co.main(...)` is reached), with
    co.main() reporting its arguments instead of acting. source, if given, is the file's text
    (an editor's unsaved buffer): it is run in place of the file on disk, under file's name.
    file may be a package folder (its __main__.py runs inside the package) or a notebook."""
    file = entry_file(file)
    context.definition_dir = os.path.dirname(file)
    if source is None:
        if notebook.is_notebook(file):
            source = notebook.read_source(file)
        else:
            with tokenize.open(file) as f:
                source = f.read()
    else:
        source = notebook.source_of(file, source.lstrip("\ufeff"))
        # Tracebacks quote the buffer, not the file on disk (mtime None: never re-read).
        linecache.cache[file] = (len(source), None, source.splitlines(True), file)
    code = compile(source, file, "exec")
    module = _new_main_module(file)
    sys.modules["__main__"] = module
    sys.argv = [file]
    definition = Definition(file, module.__dict__)
    context.capture_main = True
    try:
        exec(code, module.__dict__)
    except MainCalled as called:
        definition.default, definition.options = called.default, called.options
    finally:
        context.capture_main = False
    return definition


def module_root(definition):
    """The module-level tree: a Node in the globals that has no parent."""
    roots = {}
    for key, value in definition.globals.items():
        if isinstance(value, Node) and value._parent is None:
            roots.setdefault(id(value), (value, []))[1].append(key)
    if len(roots) == 1:
        return next(iter(roots.values()))[0]
    for preferred in ("root", "pipeline"):
        value = definition.globals.get(preferred)
        if isinstance(value, Node) and value._parent is None:
            return value
    if not roots:
        raise DefinitionError("no pipeline found: call co.main(default=FUNC), name a function, or "
                              "create a module-level root node", file=definition.file, line=1)
    first = min((node for node, _ in roots.values()), key=lambda n: n._line or 0)
    raise DefinitionError("several unrelated root nodes (%s): name the pipeline `root` or call "
                          "co.main(default=FUNC)" % ", ".join(sorted(
                              names[0] for _, names in roots.values())),
                          file=definition.file, line=first._line or 1)


def _module_root_or_hint(definition):
    try:
        return module_root(definition)
    except DefinitionError as error:
        names = [p["name"] for p in list_pipelines(definition)]
        if names and error.message.startswith("no pipeline found"):
            error.message = "no pipeline function given: name one of %s" % ", ".join(names)
            error.args = (error.message,)
        raise


def _location(definition, func):
    if func is not None and hasattr(func, "__code__"):
        return func.__code__.co_filename, func.__code__.co_firstlineno
    return definition.file, 1


def pick(definition, func_name=None, argv=()):
    """(pipeline name, result, function) for FUNC and its --arg=value list."""
    func = None
    if func_name is not None:
        func = definition.globals.get(func_name)
        if func is None and func_name == definition.stem and not argv:
            return func_name, module_root(definition), None
        if not inspect.isfunction(func):
            raise DefinitionError("%s is not a function of this file" % func_name
                                  if func is not None else "no function named %r" % func_name,
                                  *_location(definition, None))
        if func_name.startswith("_"):
            raise DefinitionError("%s cannot be called from the command line: its name starts "
                                  "with '_'" % func_name, *_location(definition, func))
    else:
        func = definition.default_function()
        if func is None:
            if argv:
                raise DefinitionError("arguments %s given, but no function to pass them to"
                                      % " ".join(argv), file=definition.file, line=1)
            return definition.stem, _module_root_or_hint(definition), None
        if not callable(func):
            raise DefinitionError("co.main(default=%r) is not a function" % (func,),
                                  file=definition.file, line=1)
        func_name = func.__name__
    result = callables.call(func, callables.parse_call(func, list(argv)))
    if isinstance(result, Node):
        apply_main_options(result, definition.options)
    return func_name, result, func


def apply_main_options(root, options):
    """co.main(cpu=..., env=..., ...) as defaults on the root: what the root sets itself wins."""
    own = root._params or {}
    for key, value in options.items():
        if key == "env":
            merged = dict(value)
            merged.update(own.get("env", {}))
            root.set_param("env", merged)
        elif key not in own:
            root.set_param(key, value)


def _returns_node(func):
    hint = callables.return_annotation(func)
    if inspect.isclass(hint):
        return issubclass(hint, Node)
    return isinstance(hint, str) and hint.split(".")[-1] in _NODE_NAMES


def list_pipelines(definition):
    """[{"name", "line", "default"}] for the file's public pipeline functions (by return
    annotation, or co.main's default), or its module-level tree under the file's stem."""
    default = definition.default_function()
    found = []
    for name, value in definition.globals.items():
        if (inspect.isfunction(value) and not name.startswith("_")
                and os.path.abspath(value.__code__.co_filename) == definition.file
                and (value is default or _returns_node(value))):
            found.append({"name": name, "line": value.__code__.co_firstlineno,
                          "default": value is default})
    if default is None:
        try:
            root = module_root(definition)
        except DefinitionError:
            root = None
        if root is not None:
            found.append({"name": definition.stem, "line": root._line or 1, "default": True})
    return sorted(found, key=lambda entry: entry["line"])
