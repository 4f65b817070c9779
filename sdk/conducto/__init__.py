"""The Conducto name for the Pipewright SDK, so `import conducto as co` definitions work as-is."""
from pipewright import *  # noqa: F401,F403
from pipewright import __all__, __version__  # noqa: F401
