"""`python3 -m pipewright.outline FILE [--source-stdin]`: a definition's pipelines and nodes from
its syntax alone (Python's ast). It NEVER runs the file: this is the view of an untrusted
workspace. Prints one JSON object:

    {"isDefinition": bool,
     "pipelines": [{"name", "line", "default"}],
     "symbols": [{"name", "kind": "function" | "node", "line", "column", "endLine",
                  "type"?, "detail"?, "children": [...]}],
     "error"?: {"file", "line", "column", "message", "kind": "syntax"}}

What it recognises: `import conducto as co` / `import pipewright` / `from conducto import Exec`;
node constructors `co.Serial(...)`, `Exec(...)`; `root["a"] = ...` (also "a/b"); `with co.Serial(
name="x") as v:` and `co.Exec(..., name="y")` inside it; `co.main(default=f)`; functions annotated
to return a node (`-> co.Serial`). Lines are 1-based, columns 1-based."""
import ast
import json
import os
import re
import sys

from .text import unindent

SDK_MODULES = ("pipewright", "conducto")
NODE_TYPES = ("Serial", "Parallel", "Exec", "Lazy")
_RETURN_NAMES = NODE_TYPES + ("Node",)
_INDEX = getattr(ast, "Index", ())  # Python 3.8 wraps subscripts in ast.Index
_IMPORT_RE = re.compile(r"^[ \t]*(?:from[ \t]+(?:pipewright|conducto|clearml)\b|import[ \t]+[^#\n]*"
                        r"\b(?:pipewright|conducto|clearml)\b)", re.M)


class _Imports:
    """How the file refers to the SDK: module aliases (`co`) and names imported from it."""

    def __init__(self, tree):
        self.modules = set()
        self.names = {}  # local name -> SDK name (Serial, Exec, main, ...)
        self.found = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    if top in SDK_MODULES:
                        self.found = True
                        if alias.asname:
                            if alias.name in SDK_MODULES:
                                self.modules.add(alias.asname)
                        else:
                            self.modules.add(top)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] in SDK_MODULES:
                self.found = True
                for alias in node.names:
                    if alias.name == "*":
                        for name in NODE_TYPES + ("main", "Node"):
                            self.names.setdefault(name, name)
                    else:
                        self.names[alias.asname or alias.name] = alias.name

    def sdk_name(self, expr):
        """`co.Exec` or `Exec` (imported from the SDK) -> "Exec"; else None."""
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) \
                and expr.value.id in self.modules:
            return expr.attr
        if isinstance(expr, ast.Name):
            return self.names.get(expr.id)
        return None

    def node_type(self, call):
        if isinstance(call, ast.Call):
            name = self.sdk_name(call.func)
            if name in NODE_TYPES:
                return name
        return None


def _string(expr):
    if isinstance(expr, _INDEX):  # Python 3.8 subscripts
        expr = expr.value
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    return None


def _keyword(call, name):
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _segment(source, expr):
    if isinstance(expr, _INDEX):
        expr = expr.value
    text = ast.get_source_segment(source, expr) if source is not None else None
    return "[%s]" % (text.replace("\n", " ") if text else "?")


def _from(node, path):
    """(start node, names) of a key split at '/': a leading '/' starts at the root."""
    if len(path) > 1 and path[0] == "":
        return node.top(), path[1:]
    return node, path


class _Sym:
    __slots__ = ("name", "kind", "type", "line", "column", "end_line", "detail", "children",
                 "attached", "var", "up")

    def __init__(self, kind, name, line, column, end_line=None, type_=None, detail=None):
        self.kind, self.name, self.line, self.column = kind, name, line, column
        self.end_line, self.type, self.detail = end_line or line, type_, detail
        self.children, self.attached, self.var, self.up = [], False, None, None

    def top(self):
        node = self
        while node.up is not None:
            node = node.up
        return node

    def child(self, name):
        for c in self.children:
            if c.name == name:
                return c
        return None

    def to_json(self):
        out = {"name": self.name, "kind": self.kind, "line": self.line, "column": self.column,
               "endLine": self.end_line}
        if self.type:
            out["type"] = self.type
        if self.detail:
            out["detail"] = self.detail
        out["children"] = [c.to_json() for c in self.children]
        return out


class _Scope:
    """The nodes one function body (or the module body) builds, by following its statements."""

    def __init__(self, imports, source):
        self.imports, self.source = imports, source
        self.vars = {}   # variable -> _Sym
        self.nodes = []  # every node made here, in order
        self.open = []   # `with` nodes
        self.returned = None

    def roots(self):
        roots = [n for n in self.nodes if not n.attached]
        for n in roots:
            if len(roots) == 1 or n is self.returned:
                n.name = "/"
            else:
                n.name = n.var or n.name
        return roots

    def make(self, call):
        kind = self.imports.node_type(call)
        if kind is None:
            return None
        detail = kind
        if kind in ("Exec", "Lazy") and call.args:
            first = call.args[0]
            command = _string(first)
            if command is not None:
                lines = unindent(command).splitlines()  # as the node will store it
                detail = "%s %s" % (kind, lines[0] if lines else "")
            elif isinstance(first, ast.JoinedStr):
                detail = "%s %s" % (kind, _segment(self.source, first)[1:-1])
            elif isinstance(first, (ast.Name, ast.Attribute)):
                detail = "%s %s()" % (kind, first.id if isinstance(first, ast.Name) else first.attr)
        sym = _Sym("node", "(%s)" % kind, call.lineno, call.col_offset + 1,
                   getattr(call, "end_lineno", None), kind, detail)
        self.nodes.append(sym)
        name = _keyword(call, "name")
        if name is not None:
            text = _string(name)
            label = text if text is not None else _segment(self.source, name)
            if self.open:
                self._attach(self.open[-1], [label], sym)
            else:
                sym.name = label
        return sym

    def value(self, expr):
        """The node an expression stands for (a constructor, a variable, root["a"])."""
        if isinstance(expr, ast.Call):
            return self.make(expr)
        if isinstance(expr, ast.Name):
            return self.vars.get(expr.id)
        if isinstance(expr, ast.Subscript):
            parent = self.value(expr.value)
            key = _string(expr.slice)
            if parent is not None and key is not None:
                node, parts = _from(parent, key.split("/"))
                for part in parts:
                    node = node.child(part) if node is not None else None
                return node
        return None

    def _attach(self, parent, path, sym):
        parent, path = _from(parent, path)
        for part in path[:-1]:
            nxt = parent.child(part)
            if nxt is None:
                break
            parent = nxt
        if sym.attached:  # the same variable added twice: show it again under its new name
            sym = _Sym("node", sym.name, sym.line, sym.column, sym.end_line, sym.type, sym.detail)
        sym.name, sym.attached, sym.up = path[-1], True, parent
        parent.children.append(sym)

    def assign(self, target, sym):
        if isinstance(target, ast.Name):
            self.vars[target.id] = sym
            if sym.var is None:
                sym.var = target.id
        elif isinstance(target, ast.Subscript):
            parent = self.value(target.value)
            if parent is not None:
                key = _string(target.slice)
                path = key.split("/") if key else [_segment(self.source, target.slice)]
                self._attach(parent, path, sym)
        elif isinstance(target, (ast.Tuple, ast.List)):
            pass  # a, b = ... : not followed

    def body(self, statements):
        for stmt in statements:
            self.statement(stmt)

    def statement(self, stmt):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return
        if isinstance(stmt, ast.Assign):
            sym = self.value(stmt.value)
            if sym is not None:
                for target in stmt.targets:
                    self.assign(target, sym)
            else:
                self._calls(stmt.value)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            sym = self.value(stmt.value)
            if sym is not None:
                self.assign(stmt.target, sym)
        elif isinstance(stmt, ast.Expr):
            if self.value(stmt.value) is None:
                self._calls(stmt.value)
        elif isinstance(stmt, ast.Return) and stmt.value is not None:
            sym = self.value(stmt.value)
            if sym is not None:
                self.returned = sym
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            pushed = 0
            for item in stmt.items:
                sym = self.value(item.context_expr)
                if sym is not None:
                    if item.optional_vars is not None:
                        self.assign(item.optional_vars, sym)
                    self.open.append(sym)
                    pushed += 1
            self.body(stmt.body)
            del self.open[len(self.open) - pushed:]
        else:
            for field in ("body", "orelse", "finalbody"):
                self.body(getattr(stmt, field, None) or [])
            for handler in getattr(stmt, "handlers", None) or []:
                self.body(handler.body)

    def _calls(self, expr):
        """Constructors inside other calls, e.g. parent.append(co.Exec(..., name="x")) in a with."""
        if isinstance(expr, ast.Call):
            for arg in list(expr.args) + [kw.value for kw in expr.keywords]:
                if self.value(arg) is None:
                    self._calls(arg)


def _first_line(func):
    return min([func.lineno] + [d.lineno for d in func.decorator_list])


def _returns_node(imports, func):
    hint = func.returns
    if hint is None:
        return False
    text = _string(hint)
    if text is not None:
        return text.split(".")[-1].strip() in _RETURN_NAMES
    return imports.sdk_name(hint) in _RETURN_NAMES


def _main_default(imports, tree):
    """The name co.main(default=...) gives, wherever the call is."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and imports.sdk_name(node.func) == "main":
            default = _keyword(node, "default")
            if default is None and node.args:
                default = node.args[0]
            if isinstance(default, ast.Name):
                return default.id
            return _string(default) if default is not None else None
    return None


def outline(source, file):
    """The outline dict of source (the text of file)."""
    stem = os.path.splitext(os.path.basename(file))[0]
    try:
        tree = ast.parse(source, file)
    except SyntaxError as e:
        return {"isDefinition": bool(_IMPORT_RE.search(source)), "pipelines": [], "symbols": [],
                "error": {"file": file, "line": e.lineno or 1, "column": e.offset or 1,
                          "message": e.msg, "kind": "syntax"}}
    except (ValueError, MemoryError, RecursionError) as e:  # null bytes, absurd nesting
        return {"isDefinition": bool(_IMPORT_RE.search(source)), "pipelines": [], "symbols": [],
                "error": {"file": file, "line": 1, "column": 1, "message": str(e),
                          "kind": "syntax"}}
    imports = _Imports(tree)
    if not imports.found:
        return {"isDefinition": False, "pipelines": [], "symbols": []}
    default = _main_default(imports, tree)
    pipelines, symbols = [], []
    module = _Scope(imports, source)
    module.body(tree.body)
    module_roots = module.roots()
    for stmt in tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        is_pipeline = not stmt.name.startswith("_") and (
            stmt.name == default or _returns_node(imports, stmt))
        scope = _Scope(imports, source)
        scope.body(stmt.body)
        if is_pipeline:
            pipelines.append({"name": stmt.name, "line": _first_line(stmt),
                              "default": stmt.name == default})
        if is_pipeline or scope.nodes:
            func = _Sym("function", stmt.name, _first_line(stmt), stmt.col_offset + 1,
                        getattr(stmt, "end_lineno", None),
                        detail="pipeline" if is_pipeline else None)
            func.children = scope.roots()
            symbols.append(func)
    if default is None and module_roots:
        root = next((r for r in module_roots if r.var in ("root", "pipeline")), module_roots[0])
        pipelines.append({"name": stem, "line": root.line, "default": True})
    symbols.extend(module_roots)
    symbols.sort(key=lambda s: s.line)
    pipelines.sort(key=lambda p: p["line"])
    return {"isDefinition": True, "pipelines": pipelines,
            "symbols": [s.to_json() for s in symbols]}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    files = [a for a in argv if not a.startswith("--")]
    if len(files) != 1 or any(a not in ("--source-stdin",) for a in argv if a.startswith("--")):
        sys.stderr.write("usage: python3 -m pipewright.outline FILE [--source-stdin]\n")
        return 2
    file = os.path.abspath(files[0])
    if "--source-stdin" in argv:
        source = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    else:
        try:
            with open(file, "rb") as f:
                source = f.read().decode("utf-8", errors="replace")
        except OSError as e:
            sys.stderr.write("pipewright.outline: %s\n" % e)
            return 2
    result = outline(source.lstrip("\ufeff"), file)
    out = getattr(sys.stdout, "buffer", None)
    text = json.dumps(result, ensure_ascii=False) + "\n"
    if out is not None:  # UTF-8 whatever the locale (-I ignores PYTHONIOENCODING)
        out.write(text.encode("utf-8"))
        out.flush()
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
