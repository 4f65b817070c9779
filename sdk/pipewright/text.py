"""Text helpers shared by node commands and co.util: Conducto's unindent."""
import re

_INDENTS = re.compile(r"\n( *)\S")


def unindent(text):
    """text without the common indent of its lines after the first, stripped, as Conducto's
    log.unindent: tabs become 4 spaces; the first line (right after the opening quotes) does
    not count; text without such lines is returned unchanged. So an indented heredoc in a
    triple-quoted command ends at its (now unindented) terminator."""
    text = text.replace("\t", "    ")
    indents = [len(m) for m in _INDENTS.findall(text)]
    if not indents:
        return text
    return text.replace("\n" + " " * min(indents), "\n").strip()
