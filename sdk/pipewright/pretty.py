"""Tree text of a pipeline, as Conducto printed it:

/
├─0 Build   echo build
└─1 Test
  ├─ app   echo test app
  └─ backend   echo test backend

Serial indices are zero-padded to the width of the last one (├─00 … └─16), as Conducto's client
pads them.
"""


def _command(node):
    command = getattr(node, "_command", None)
    return "" if command is None else "   " + command.replace("\n", "\\n")


def tree_lines(root):
    """Yield the lines one by one (a million-node tree is never one string)."""
    yield "/" + _command(root)
    stack = [(list(root._children.values()), 0, "", root._NUMBERED)] if root._children else []
    while stack:
        kids, i, prefix, numbered = stack[-1]
        if i == len(kids):
            stack.pop()
            continue
        stack[-1] = (kids, i + 1, prefix, numbered)
        node, last = kids[i], i == len(kids) - 1
        index = str(i).zfill(len(str(len(kids) - 1))) if numbered else ""
        yield "%s%s%s %s%s" % (prefix, "└─" if last else "├─", index, node._name, _command(node))
        if node._children:
            stack.append((list(node._children.values()), 0, prefix + ("  " if last else "│ "),
                          node._NUMBERED))


def tree_text(root):
    return "\n".join(tree_lines(root))


def write_tree(root, out):
    buffer = []
    for line in tree_lines(root):
        buffer.append(line)
        if len(buffer) >= 4096:
            out.write("\n".join(buffer) + "\n")
            buffer = []
    if buffer:
        out.write("\n".join(buffer) + "\n")
