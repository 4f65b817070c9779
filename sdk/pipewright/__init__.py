"""Pipewright's Python SDK: container pipelines as trees of nodes, in the Conducto style.

    import pipewright as co      # or: import conducto as co
    root = co.Serial()
    root["Build"] = co.Exec("make")
"""
import sys as _sys


def _take_start_folder():
    """Takes off sys.path, and returns, the folder Python put first when it started: the
    script's (`python FILE`), or the current one (`python -m pipewright FILE` run in the
    definition's folder). None when it put none there (-I, -P)."""
    flags, path = _sys.flags, _sys.path
    if flags.isolated or getattr(flags, "safe_path", False) or not path:
        return None
    if not isinstance(path[0], str) or path[0].endswith(".zip"):
        return None
    return path.pop(0)


# That folder may hold a definition named like a stdlib module (inspect.py, json.py): with it first
# on sys.path, the SDK's own imports would load the definition instead, and fail as a circular
# import. So the SDK imports all it needs with the folder out of the way, then puts it back, for
# the definition's own imports (the loader adds a definition's folder when it runs it).
_start_folder = _take_start_folder()
try:
    from . import stdlib  # noqa: F401
    from . import data
    from . import nb
    from .errors import DefinitionError
    from .image import Image
    from .main import main
    from .reuse import ContainerReuseContext, SameContainer
    from . import callback, integrations, slack, git
    from .node import Exec, Lazy, Node, Parallel, Serial
    from .clearml import PipelineController, Task  # (ClearML-style DAGs)
    from . import util
finally:
    if _start_folder is not None:
        _sys.path.insert(0, _start_folder)

__all__ = ["data", "nb", "DefinitionError", "Exec", "Image", "Lazy", "Node", "Parallel", "Serial", "main"]
__all__ += ["util"]  # co.util, Conducto's tree and doc helpers
__version__ = "0.1.0"
__all__ += ["ContainerReuseContext", "SameContainer", "callback", "integrations", "slack", "git"]
