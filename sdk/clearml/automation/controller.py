"""`from clearml.automation.controller import PipelineController` (ClearML's module path)."""
from pipewright.clearml.controller import PipelineController

__all__ = ["PipelineController"]
