"""Pipeline nodes: a compact tree after Conducto's pipeline.py.

Each node stores only the params given to it (inherited ones are looked up through the parents,
never copied) and where the user created it, so a million nodes stay cheap."""
import inspect
import types

from . import callables, context
from .errors import DefinitionError
from .frames import user_frame
from .keywords import point_at_keyword
from .node_callbacks import CallbackMethods
from .params import COMMON, DEFAULTS, INHERITED, ORDER, validate
from .reuse import resolve_alias
from .text import unindent

_NO_CHILDREN = types.MappingProxyType({})


def _check_name(name):
    if not isinstance(name, str) or not name:
        raise DefinitionError("node name %r is invalid: expected a non-empty string" % (name,))
    if "/" in name:
        raise DefinitionError("node name %r contains '/': a name is one path segment" % name)


def _segments(key, path):
    """Names along path, an absolute one ('/a/b') too. Conducto skips empty segments; we reject
    them ('a//b' is most likely a typo)."""
    parts = path.split("/")
    if parts[0] == "" and key.startswith("/"):
        parts = parts[1:]
    if not all(parts):
        raise DefinitionError("invalid node path %r: expected names joined by '/'" % (key,))
    return parts


def _check_deps(parents):
    if isinstance(parents, (str, Node)):
        parents = [parents]
    if not isinstance(parents, (list, tuple)) or not all(isinstance(p, (str, Node))
                                                         for p in parents):
        raise DefinitionError("parents=%r is invalid: expected a list of sibling names or nodes"
                              % (parents,))
    for p in parents:
        if isinstance(p, str):
            _check_name(p)
    return tuple(parents) or None


class Node(CallbackMethods):
    """Base of all nodes. Children are kept in insertion order; params only where set."""

    __slots__ = ("_name", "_parent", "_children", "_params", "_deps", "_file", "_line")
    _TYPE = "Node"
    _ALLOWED = COMMON      # params this node type accepts
    _NUMBERED = False      # tree text numbers the children of Serial and Lazy
    _OPEN = True           # children may be assigned by the user
    _EXTRA_JSON = ""        # extra fields of a node's JSON line (Lazy Execute, ClearML steps)

    def __init__(self, name=None, parents=None, **params):
        if type(self) is Node:
            raise DefinitionError("co.Node is abstract: use co.Serial, co.Parallel, co.Exec or "
                                  "co.Lazy")
        self._setup(user_frame(), name, parents, params)

    def _setup(self, frame, name, parents, params):
        """Construction shared by all types; joining an open `with` node comes last."""
        self._parent = self._children = self._name = None
        if frame is None:
            self._file = self._line = None
        else:
            self._file, self._line = frame.f_code.co_filename, frame.f_lineno
        self._params = self._check_params(params) if params else None
        self._deps = _check_deps(parents) if parents is not None else None
        if name is not None:
            _check_name(name)
            if context.open_nodes:
                context.open_nodes[-1]._add(name, self)
            else:
                self._name = name

    def _check_params(self, params):
        stored = None
        params = resolve_alias(params)
        for key, value in params.items():
            try:
                if key not in self._ALLOWED:
                    raise DefinitionError(self._unknown(key))
                if value is not None:  # None means "not given", as in Conducto's signatures
                    if stored is None:
                        stored = {}
                    stored[key] = validate(key, value)
            except DefinitionError as error:
                # Underlined on the keyword the user wrote (`cpuu=2`), not on the call.
                raise point_at_keyword(error, key)
        return stored

    def _unknown(self, key):
        if key in ORDER:
            owners = "Serial and Lazy" if key == "stop_on_error" else "Parallel"
            return "param %r applies to %s nodes only, not %s" % (key, owners, self._TYPE)
        return "unknown param %r for co.%s" % (key, self._TYPE)

    # --- tree ------------------------------------------------------------------------------------

    def _add(self, name, node):
        if not self._OPEN:
            raise DefinitionError("cannot add %r: %s node %s takes no children"
                                  % (name, self._TYPE, self.path()))
        if not isinstance(node, Node):
            raise DefinitionError("cannot add %r under %s: expected a node, got %s"
                                  % (name, self.path(), type(node).__name__))
        kids = self._children
        if kids is None:
            kids = self._children = {}
        elif name in kids:
            raise DefinitionError("duplicate child name %r under %s" % (name, self.path()))
        if node._parent is not None:
            raise DefinitionError("cannot add %r under %s: that node is already in the tree as "
                                  "%s, and a node has only one parent"
                                  % (name, self.path(), node.path()))
        up = self
        while up is not None:
            if up is node:
                raise DefinitionError("cannot add %r under %s: a node cannot contain itself"
                                      % (name, self.path()))
            up = up._parent
        node._name, node._parent = name, self
        kids[name] = node

    def _attach(self, name, node):
        """SDK-made children (a Lazy's Generate and Execute)."""
        if self._children is None:
            self._children = {}
        node._name, node._parent = name, self
        self._children[name] = node

    def _top(self):
        node = self
        while node._parent is not None:
            node = node._parent
        return node

    def __setitem__(self, key, node):
        """node["a"] = child; "a/b" assigns under an existing child, "/a/b" from the root."""
        if not isinstance(key, str):
            raise DefinitionError("invalid node path %r: expected names joined by '/'" % (key,))
        head, _, last = key.rpartition("/")
        if not last:
            raise DefinitionError("invalid node path %r: it must end with a node name" % (key,))
        parent = self._top() if key.startswith("/") else self
        for part in _segments(key, head) if head else ():
            kids = parent._children
            if kids is None or part not in kids:
                raise DefinitionError("cannot assign %r: %s has no child %r (create it first)"
                                      % (key, parent.path(), part))
            parent = kids[part]
        parent._add(last, node)

    def __getitem__(self, key):
        """node["a/b"]; a key starting with '/' is looked up from the root, as in Conducto."""
        if not isinstance(key, str):
            raise KeyError(key)
        node = self._top() if key.startswith("/") else self
        try:
            parts = _segments(key, key) if key != "/" else ()
        except DefinitionError:
            raise KeyError(key) from None
        for part in parts:
            kids = node._children
            if kids is None or part not in kids:
                raise KeyError(key)
            node = kids[part]
        return node

    def __contains__(self, key):
        try:
            self[key]
        except KeyError:
            return False
        return True

    def __len__(self):
        return len(self._children) if self._children else 0

    def __iter__(self):
        return iter(self._children or ())

    def keys(self):
        return self.children.keys()

    def values(self):
        return self.children.values()

    def items(self):
        return self.children.items()

    def __enter__(self):
        context.open_nodes.append(self)
        return self

    def __exit__(self, *exc):
        stack = context.open_nodes
        if stack and stack[-1] is self:
            stack.pop()
        else:
            context.open_nodes[:] = [n for n in stack if n is not self]
        return False

    @property
    def name(self):
        return self._name

    @property
    def parent(self):
        return self._parent

    @property
    def children(self):
        """Children by name, in the order they were added (read-only)."""
        return types.MappingProxyType(self._children) if self._children else _NO_CHILDREN

    @property
    def source(self):
        return {"file": self._file, "line": self._line}

    @property
    def type(self):
        return self._TYPE

    def path(self):
        names = []
        node = self
        while node._parent is not None:
            names.append(node._name)
            node = node._parent
        return "/" + "/".join(reversed(names))

    # --- params ----------------------------------------------------------------------------------

    def get_param(self, key):
        """Effective value: own, else inherited through the parents (env merged), else default."""
        if key == "env":
            env, chain, node = {}, [], self
            while node is not None:
                chain.append(node)
                node = node._parent
            for node in reversed(chain):
                if node._params and "env" in node._params:
                    env.update(node._params["env"])
            return env
        node = self if key in INHERITED else None
        while node is not None:
            if node._params and key in node._params:
                return node._params[key]
            node = node._parent
        if self._params and key in self._params:
            return self._params[key]
        default = DEFAULTS[key]
        return list(default) if isinstance(default, list) else default

    def set_param(self, key, value):
        if key not in self._ALLOWED:
            raise DefinitionError(self._unknown(key))
        if value is None:
            if self._params:
                self._params.pop(key, None)
            return
        value = validate(key, value)
        if self._params is None:
            self._params = {}
        self._params[key] = value

    def set(self, *, name=None, **params):
        """Sets params on a node already made (Conducto's Node.set): the way to give node params
        to an Exec of a function whose own arguments share their names. None leaves a param as
        it is. name= adds the node to the open `with` node. Returns None, as in Conducto."""
        checked = {key: self._check_params({key: value}) for key, value in params.items()}
        for stored in checked.values():
            if stored:
                if self._params is None:
                    self._params = {}
                self._params.update(stored)
        if name is not None:
            _check_name(name)
            if context.open_nodes:
                context.open_nodes[-1]._add(name, self)
            elif self._parent is None:
                self._name = name
            else:
                raise DefinitionError("cannot rename %s with set(name=%r): it is already in the "
                                      "tree" % (self.path(), name))

    def user_set(self):
        """Names of the params given on this node itself."""
        return [k for k in ORDER if self._params and k in self._params]

    # --- output ----------------------------------------------------------------------------------

    def pretty(self):
        from .pretty import tree_text
        return tree_text(self)

    def to_json(self, name="pipeline", file=""):
        from .export import pipeline_json
        return pipeline_json(self, name, file)

    def __repr__(self):
        return "<co.%s %s>" % (self._TYPE, self.path())


def _param_property(key):
    return property(lambda self: self.get_param(key),
                    lambda self, value: self.set_param(key, value),
                    doc="Effective %s (setting it validates and records it on this node)." % key)


for _key in ORDER:
    setattr(Node, _key, _param_property(_key))


class Serial(Node):
    """Runs its children one after another, stopping at the first error (stop_on_error)."""
    __slots__ = ()
    _TYPE = "Serial"
    _ALLOWED = COMMON | {"stop_on_error"}
    _NUMBERED = True


class Parallel(Node):
    """Runs its children at the same time (at most max_concurrent; parents= orders them)."""
    __slots__ = ()
    _TYPE = "Parallel"
    _ALLOWED = COMMON | {"max_concurrent"}


def _node_kwargs(kind, kwargs):
    """Node params of a node with a command string: kwargs plus Conducto's params= dict."""
    extra = kwargs.pop("params", None)
    if extra is None:
        return kwargs
    if not isinstance(extra, dict):
        raise DefinitionError("co.%s params=%r is invalid: expected a dict of node params"
                              % (kind, extra))
    twice = sorted(set(extra) & set(kwargs))
    if twice:
        raise DefinitionError("co.%s: node params given twice (as keywords and in params=): %s"
                              % (kind, ", ".join(twice)))
    return dict(kwargs, **extra)


def _shell_command(kind, command):
    """A command string as Conducto stores it: unindented (see text.unindent)."""
    if not isinstance(command, str):
        raise DefinitionError("co.%s command must be a string, got %r" % (kind, command))
    command = unindent(command)
    if not command.strip():
        raise DefinitionError("co.%s needs a non-empty command" % kind)
    return command


def _function_command(func, args, kwargs, node_keys, frame):
    """(command, node params) of an Exec/Lazy of a Python function."""
    func_kwargs, node_kwargs = callables.split_kwargs(func, kwargs, node_keys)
    command = callables.command_for(func, args, func_kwargs,
                                    frame.f_globals if frame is not None else None)
    return command, node_kwargs


class Exec(Node):
    """Runs a shell command, or a Python function as `conducto FILE FUNC --arg=value`.

    With a function, keyword arguments named like its parameters go to the function (as in
    Conducto, even cpu= or image=); node params then come by params={...} or .set()."""
    __slots__ = ("_command",)
    _TYPE = "Exec"
    _OPEN = False

    def __init__(self, command, *args, **kwargs):
        frame = user_frame()
        if isinstance(command, str):
            if args:
                raise DefinitionError("co.Exec with a command string takes no positional "
                                      "arguments (got %r)" % (args,))
            self._command = _shell_command("Exec", command)
            kwargs = _node_kwargs("Exec", kwargs)
        else:
            self._command, kwargs = _function_command(
                command, args, kwargs, self._ALLOWED | {"name", "parents"}, frame)
        name, parents = kwargs.pop("name", None), kwargs.pop("parents", None)
        self._setup(frame, name, parents, kwargs)

    @property
    def command(self):
        return self._command

    @command.setter
    def command(self, command):
        """Replaces the command (Conducto allows `node.command = "..."` after construction)."""
        self._command = _shell_command("Exec", command)


class _LazySerial(Serial):
    """A Lazy's Execute node; its children arrive when Generate has run."""
    __slots__ = ()
    _OPEN = False
    _EXTRA_JSON = ', "lazy": {"node_type": "Serial"}'


class _LazyParallel(Parallel):
    __slots__ = ()
    _OPEN = False
    _EXTRA_JSON = ', "lazy": {"node_type": "Parallel"}'


def _execute_class(node_type, func):
    if node_type is not None:
        if node_type in (Serial, "Serial"):
            return _LazySerial
        if node_type in (Parallel, "Parallel"):
            return _LazyParallel
        raise DefinitionError("node_type=%r is invalid: expected co.Serial or co.Parallel"
                              % (node_type,))
    hint = callables.return_annotation(func) if func is not None else None
    if inspect.isclass(hint) and issubclass(hint, Parallel):
        return _LazyParallel
    if isinstance(hint, str) and hint.split(".")[-1] == "Parallel":
        return _LazyParallel
    return _LazySerial


class Lazy(Node):
    """Builds part of the pipeline at run time: a Serial of Generate (runs the callable or
    command, which prints a pipeline) then Execute (that pipeline, of node_type)."""
    __slots__ = ()
    _TYPE = "Lazy"
    _ALLOWED = COMMON | {"stop_on_error"}
    _NUMBERED = True
    _OPEN = False

    def __init__(self, command, *args, **kwargs):
        frame = user_frame()
        func = None
        if isinstance(command, str):
            if args:
                raise DefinitionError("co.Lazy with a command string takes no positional "
                                      "arguments (got %r)" % (args,))
            kwargs = _node_kwargs("Lazy", kwargs)
        else:
            func = command
            command, kwargs = _function_command(
                func, args, kwargs, self._ALLOWED | {"name", "parents", "node_type"}, frame)
        name, parents = kwargs.pop("name", None), kwargs.pop("parents", None)
        node_type = kwargs.pop("node_type", None)
        execute_class = _execute_class(node_type, func)
        generate, execute = Exec(command), execute_class()
        self._setup(frame, name, parents, kwargs)
        for child in (generate, execute):
            child._file, child._line = self._file, self._line
        self._attach("Generate", generate)
        self._attach("Execute", execute)
