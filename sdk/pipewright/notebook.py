"""A Jupyter notebook (.ipynb) as a definition: its code cells, in order, are the Python source.

Line numbers point into the .ipynb file itself: Jupyter writes each source line of a cell as its
own JSON string on its own line, so code line k is placed (with blank lines in between cells) at
the line of the file that holds it, and a traceback's `NOTEBOOK.ipynb:LINE` opens on that very
string. A notebook whose cells are stored otherwise (one string per cell) gets the code cells
joined one after another, each after a `# cell N` comment line: the lines count in that text.
IPython magics (`%matplotlib`, `!pip install`) become comments; they mean nothing to a pipeline."""
import json
import os
import re

from .errors import DefinitionError


def is_notebook(file):
    return os.path.splitext(file)[1].lower() == ".ipynb"


def read_source(file):
    with open(file, encoding="utf-8-sig") as f:
        return source_of(file, f.read())


def source_of(file, text):
    """Python source for file's text: text itself unless file is a notebook."""
    if not is_notebook(file):
        return text
    try:
        document = json.loads(text)
    except ValueError as e:
        raise DefinitionError("not a Jupyter notebook (invalid JSON: %s)" % e.msg, file=file,
                              line=getattr(e, "lineno", 1), kind="syntax")
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        raise DefinitionError("not a Jupyter notebook (no \"cells\" list; nbformat 4 is read)",
                              file=file, line=1, kind="syntax")
    cells = [cell for cell in cells if isinstance(cell, dict)]
    placed = _placed(text, cells)
    if placed is not None:
        return placed
    return _joined([_lines(cell.get("source", "")) for cell in cells
                    if cell.get("cell_type") == "code"])


def _lines(source):
    if isinstance(source, list):
        text = "".join(s for s in source if isinstance(s, str))
    else:
        text = source if isinstance(source, str) else ""
    return [_without_magic(line) for line in text.splitlines()]


_MAGIC = re.compile(r"^(\s*)([%!].*)$")


def _without_magic(line):
    return _MAGIC.sub(r"\1pass  # \2", line)


def _joined(cells):
    out = []
    for n, lines in enumerate(cells, 1):
        out.append("# cell %d" % n)
        out.extend(lines)
    return "\n".join(out) + "\n"


def _placed(text, cells):
    """The code cells' lines at the lines of text that hold them, or None if the file is not laid
    out with each source line as a JSON string of its own, on its own line, after `"source": [`."""
    file_lines = text.splitlines()
    out, at = [], 0
    for cell in cells:
        source = cell.get("source", "")
        anchor = next((i for i in range(at, len(file_lines))
                       if file_lines[i].lstrip().startswith('"source": [')), None)
        if anchor is None or not isinstance(source, list):
            return None
        at = anchor + 1
        if cell.get("cell_type") != "code":
            continue
        for j, entry in enumerate(source):
            if (not isinstance(entry, str) or "\n" in entry.rstrip("\n")
                    or anchor + 1 + j >= len(file_lines)
                    or not _holds(file_lines[anchor + 1 + j], entry)):
                return None
        lines = _lines(source)
        out.extend([""] * (anchor + 1 - len(out)))
        out.extend(lines)
        at = anchor + 1 + len(source)
    return "\n".join(out) + "\n"


def _holds(file_line, entry):
    """Is file_line the JSON string entry (`"x = 1\\n",`)?"""
    stripped = file_line.strip().rstrip(",")
    try:
        return json.loads(stripped) == entry
    except ValueError:
        return False
