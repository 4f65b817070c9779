"""Checks of parents= (DAG edges among the children of a Parallel), done when the tree is
complete because a sibling may be added after the node that names it."""
from .errors import DefinitionError, together


def _error(node, message):
    return DefinitionError(message, file=node._file, line=node._line)


def dep_names(node):
    return [d if isinstance(d, str) else d._name for d in node._deps]


def check(root):
    """Raise DefinitionError, at the line of the node naming it, for any bad parents= entry.
    Every container is checked: the errors of all of them are raised together (each at its line)."""
    if root._deps is not None:
        raise _error(root, "parents= is set on the root node, which has no siblings")
    errors = []
    stack = [root] if root._children else []
    while stack:
        node = stack.pop()
        # A PipelineController first: its steps' references become parents, and a reference to a
        # step that does not exist is better reported as such than as a parents= entry.
        references = getattr(node, "_check_references", None)
        if references is not None:
            try:
                references()
            except DefinitionError as error:
                errors.append(error)
        named = None
        for child in node._children.values():
            if child._deps is not None:
                named = named or []
                named.append(child)
            if child._children:
                stack.append(child)
        if named:
            try:
                _check_siblings(node, named)
            except DefinitionError as error:
                errors.append(error)
    if errors:
        raise together(errors)


def _check_siblings(parent, nodes):
    if parent._TYPE != "Parallel":
        raise _error(nodes[0], "%s has parents=, but only children of a Parallel may; %s is a %s"
                     % (nodes[0].path(), parent.path(), parent._TYPE))
    kids = parent._children
    graph = {}
    for node in nodes:
        for dep in node._deps:
            if isinstance(dep, str) and dep not in kids:
                raise _error(node, "parents entry %r of %s is not a sibling: %s has no child %r"
                             % (dep, node.path(), parent.path(), dep))
            if not isinstance(dep, str) and dep._parent is not parent:
                where = dep.path() if dep._parent is not None else "not in the tree"
                raise _error(node, "parents entry %r of %s is not a sibling (it is %s)"
                             % (dep, node.path(), where))
        graph[node._name] = dep_names(node)
    cycle = _find_cycle(graph, [n._name for n in nodes])
    if cycle:
        raise _error(kids[cycle[0]], "cycle among parents under %s: %s"
                     % (parent.path(), " -> ".join(cycle)))


def _find_cycle(graph, order):
    """A list of names [a, b, ..., a] forming a cycle, or None (iterative DFS)."""
    state = {}  # name -> 1 on the current path, 2 finished
    for start in order:
        if start in state:
            continue
        path, stack = [start], [iter(graph.get(start, ()))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph.get(nxt, ())))
    return None
