"""The Conducto name for the Pipewright SDK, so `import conducto as co` definitions work as-is."""
import importlib
import importlib.abc
import importlib.util
import sys

from pipewright import *  # noqa: F401,F403
from pipewright import __all__, __version__  # noqa: F401


class _SubmoduleAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import conducto.util` / `from conducto.data import pipeline`: the same module object as
    `pipewright.util`, never a second copy (a copy would have its own DefinitionError and state)."""

    PREFIX = __name__ + "."

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self.PREFIX):
            return None
        real = "pipewright." + fullname[len(self.PREFIX):]
        try:
            if importlib.util.find_spec(real) is None:
                return None
        except ImportError:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("pipewright." + spec.name[len(self.PREFIX):])

    def exec_module(self, module):
        pass  # already executed under its pipewright name


if not any(isinstance(f, _SubmoduleAlias) for f in sys.meta_path):
    sys.meta_path.insert(0, _SubmoduleAlias())
