"""`from clearml.automation import PipelineController` (ClearML's own import path)."""
from pipewright.clearml import PipelineController

__all__ = ["PipelineController"]
