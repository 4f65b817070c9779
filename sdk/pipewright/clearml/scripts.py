"""Task scripts in the workspace: ClearML finds a pipeline step's base task on its server by
project and name, registered when the script ran `Task.init(project_name, task_name)` once. Here
the workspace is read instead (statically, nothing is run): every Python file under the
definition's folder whose module calls `Task.init` with constant project and task names (string
literals, or module-level names bound to one) is a
template that runs `python3 FILE`. The dicts it connects (`task.connect(args)`, under General/,
or `name="Section"`) give the template's default parameters."""
import ast
import os

# Folders that hold no user scripts, and are large: never walked.
_SKIP = {"node_modules", ".git", "__pycache__", ".venv", "venv", "env", ".tox", "site-packages",
         "dist", "build"}
MAX_FILES = 2000
MAX_FOLDERS = 2000  # a data folder of many small files must not make every evaluation slow
MAX_BYTES = 1 << 20


def _const(node, names=None):
    """A string constant, or a module-level name bound to one (PROJECT = "examples")."""
    if isinstance(node, ast.Name) and names:
        return names.get(node.id)
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _string_names(tree):
    found = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], ast.Name):
            value = _const(stmt.value)
            if value is not None:
                found[stmt.targets[0].id] = value
    return found


def _is_task_init(call):
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == "init" and \
        isinstance(func.value, ast.Name) and func.value.id == "Task"


def _init_names(call, names):
    """(project, task name) of a Task.init call whose names are constants, else None."""
    args = {"project_name": call.args[0] if len(call.args) > 0 else None,
            "task_name": call.args[1] if len(call.args) > 1 else None}
    for kw in call.keywords:
        if kw.arg in args:
            args[kw.arg] = kw.value
    project, name = _const(args["project_name"], names), _const(args["task_name"], names)
    return (project or "", name) if name else None


def _literal_dicts(tree):
    """`NAME = {...literal...}` assignments (anywhere: under `if __name__ == "__main__":` too)."""
    found = {}
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Dict):
            try:
                value = ast.literal_eval(stmt.value)
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, dict):
                found[stmt.targets[0].id] = value
    return found


def _connected(tree, dicts):
    """{"General/x": default, ...} of `something.connect(DICT[, name=...])` calls."""
    params = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect" and node.args):
            continue
        target = node.args[0]
        value = None
        if isinstance(target, ast.Name):
            value = dicts.get(target.id)
        elif isinstance(target, ast.Dict):
            try:
                value = ast.literal_eval(target)
            except (ValueError, SyntaxError):
                value = None
        if not isinstance(value, dict):
            continue
        section = "General"
        name = node.args[1] if len(node.args) > 1 else None
        for kw in node.keywords:
            if kw.arg == "name":
                name = kw.value
        if name is not None:
            section = _const(name) or section
        for key, default in value.items():
            params["%s/%s" % (section, key)] = default
    return params


def scan_file(path):
    """[(project, task name, line, parameters)] of the Task.init calls in one file."""
    try:
        if os.path.getsize(path) > MAX_BYTES:
            return []
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return []
    if "Task.init" not in text:
        return []
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError):
        return []
    found = []
    params = None
    strings = _string_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_task_init(node):
            names = _init_names(node, strings)
            if names is None:
                continue
            if params is None:
                params = _connected(tree, _literal_dicts(tree))
            found.append((names[0], names[1], node.lineno, dict(params)))
    return found


def find(folder, project, name, exclude=()):
    """[(path, line, parameters)] of the scripts under folder that Task.init(project, name);
    project None matches any."""
    matches = []
    seen = folders = 0
    excluded = {os.path.abspath(p) for p in exclude}
    for root, dirs, files in os.walk(folder):
        folders += 1
        if folders > MAX_FOLDERS:
            return matches
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith("."))
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            seen += 1
            if seen > MAX_FILES:
                return matches
            path = os.path.join(root, file)
            if os.path.abspath(path) in excluded:
                continue
            for p, n, line, params in scan_file(path):
                if n == name and (project is None or p == project):
                    matches.append((path, line, params))
    return matches
