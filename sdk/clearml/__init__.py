"""`from clearml import PipelineController, Task, ...` for pipelines run by Pipewright (a shim over
pipewright.clearml; see docs/clearml.md). The pipeline API (PipelineController, PipelineDecorator),
Task, Logger, StorageManager, Dataset and a minimal OutputModel are provided; there is no ClearML
server."""
from pipewright.clearml import PipelineController, PipelineDecorator, Task, TaskTypes
from pipewright.clearml.dataset import Dataset
from pipewright.clearml.logger import Logger
from pipewright.clearml.model import InputModel, OutputModel
from pipewright.clearml.storage import StorageManager
from pipewright.clearml.task import Artifact

__all__ = ["PipelineController", "PipelineDecorator", "Task", "Artifact", "TaskTypes", "Logger",
           "StorageManager", "Dataset", "OutputModel", "InputModel"]
