"""`from clearml import PipelineController, Task` for pipelines run by Pipewright (a shim over
pipewright.clearml; see docs/clearml.md). Only the pipeline API is provided."""
from pipewright.clearml import PipelineController, Task
from pipewright.clearml.task import Artifact
from pipewright.clearml import PipelineDecorator, TaskTypes

__all__ = ["PipelineController", "Task", "Artifact", "PipelineDecorator", "TaskTypes"]
