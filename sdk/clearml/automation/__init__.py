"""`from clearml.automation import PipelineController, PipelineDecorator` (a shim over
pipewright.clearml)."""
from pipewright.clearml import PipelineController, PipelineDecorator

__all__ = ["PipelineController", "PipelineDecorator"]
