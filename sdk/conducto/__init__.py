"""The Conducto name for the Pipewright SDK, so `import conducto as co` definitions work as-is."""
from pipewright import *  # noqa: F401,F403
from pipewright import __all__, __version__  # noqa: F401

# Conducto's submodules under their Conducto names (`from conducto.integrations import slack`),
# the same module objects as Pipewright's, so classes and registries are shared.
import sys as _sys  # noqa: E402
import pipewright.integrations.git  # noqa: E402,F401
import pipewright.integrations.slack  # noqa: E402,F401

for _name in ("callback", "integrations", "integrations.git", "integrations.slack", "slack", "git"):
    _sys.modules["conducto." + _name] = _sys.modules["pipewright." + _name]
