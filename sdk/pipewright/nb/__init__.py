"""co.nb: notebook-style output from inside a node's command, as Conducto's `co.nb`.

    with co.nb.cell():
        # ## Load the data
        df = load()              # the comment prints as markdown, the code as a python block

    co.nb.matplotlib_inline()    # plt.show() saves each figure to the pipeline's data, prints ![plot](url)

Both print Conducto's `<ConductoMarkdown>…</ConductoMarkdown>` blocks into the node's log.
Standard library only; matplotlib_inline needs matplotlib in the node's image (as in Conducto).
"""
import ast
import contextlib
import linecache
import sys
import textwrap

IN_MARKDOWN = False

__all__ = ["cell", "matplotlib_inline", "IN_MARKDOWN"]


def _with_block(filename, lineno):
    """The `with` statement at `lineno` of `filename` and its source lines."""
    lines = linecache.getlines(filename)
    if not lines:
        raise RuntimeError("co.nb.cell: the source of %s is not readable" % filename)
    for node in ast.walk(ast.parse("".join(lines), filename)):
        if isinstance(node, ast.With) and node.lineno == lineno:
            return node, lines
    raise RuntimeError("co.nb.cell: no 'with' statement at %s:%d" % (filename, lineno))


def _cell_markdown(filename, lineno):
    node, lines = _with_block(filename, lineno)
    end = getattr(node, "end_lineno", None) or node.body[-1].lineno
    block = textwrap.dedent("".join(lines[node.lineno:end])).strip("\n").splitlines()
    # Comment lines at the top are the cell's markdown; the rest its code.
    comment = []
    while block and block[0].lstrip().startswith("#"):
        comment.append(block.pop(0).lstrip()[1:])
    code = "\n".join(block)
    text = "\n".join(comment)
    if code.strip() and code.strip() != "pass":
        text += "\n```python\n%s\n```" % code
    return text


@contextlib.contextmanager
def cell():
    """Prints the `with` block's leading comments as markdown and its code as a python block; what it prints goes inside."""
    caller = sys._getframe(2)  # contextmanager's __enter__ is one frame in
    global IN_MARKDOWN
    print("\n<ConductoMarkdown>%s" % _cell_markdown(caller.f_code.co_filename, caller.f_lineno), flush=True)
    IN_MARKDOWN = True
    try:
        yield
    finally:
        sys.stdout.flush()
        print("</ConductoMarkdown>", flush=True)
        IN_MARKDOWN = False


def matplotlib_inline():
    """Makes plt.show() put each figure in the pipeline's data and print it as markdown."""
    import matplotlib

    matplotlib.use("module://pipewright.nb.backend_matplotlib")
