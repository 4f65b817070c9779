"""DefinitionError: a mistake in a pipeline definition, located at the user's line."""
import os

from .frames import column_of, user_frame


def _abs(file):
    return file if not file or file.startswith("<") else os.path.abspath(file)


class DefinitionError(Exception):
    """An invalid pipeline; file/line default to the first stack frame outside the SDK."""

    def __init__(self, message, file=None, line=None, column=None, kind="definition"):
        if file is None:
            f = user_frame()
            if f is not None:
                file, line = f.f_code.co_filename, f.f_lineno
                column = column_of(f.f_code, f.f_lasti)
        super().__init__(message)
        self.message = message
        self.file = _abs(file)
        self.line = line
        self.column = column
        self.kind = kind
        self.also = []  # further errors found in the same check, reported with this one

    def __str__(self):
        if self.file:
            return "%s:%s: %s" % (self.file, self.line, self.message)
        return self.message


def together(errors):
    """The first of several DefinitionErrors, carrying the others (theirs flattened): one raise
    reports them all."""
    flat = []
    for error in errors:
        flat.append(error)
        flat.extend(error.also)
        error.also = []
    first = flat[0]
    first.also = flat[1:]
    return first


class ArgumentError(DefinitionError):
    """A bad command-line argument for a pipeline function (reported like a definition error)."""


class MainCalled(BaseException):
    """Raised by co.main() while the loader runs a file, carrying its arguments back.

    A BaseException so that a user's `except Exception` cannot swallow it."""

    def __init__(self, default, options):
        super().__init__("co.main")
        self.default = default
        self.options = options
