"""Pipewright's Python SDK: container pipelines as trees of nodes, in the Conducto style.

    import pipewright as co      # or: import conducto as co
    root = co.Serial()
    root["Build"] = co.Exec("make")
"""
from . import data
from .errors import DefinitionError
from .image import Image
from .main import main
from .node import Exec, Lazy, Node, Parallel, Serial
from .clearml import PipelineController, Task  # noqa: E402  (ClearML-style DAGs)

__all__ = ["data", "DefinitionError", "Exec", "Image", "Lazy", "Node", "Parallel", "Serial", "main"]
__version__ = "0.1.0"
