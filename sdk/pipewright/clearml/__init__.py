"""ClearML-style pipelines: `PipelineController` (a DAG of steps) and `Task` (step templates).

    from pipewright import PipelineController, Task    # or: from clearml import ...
See docs/clearml.md."""
from .controller import PipelineController
from .task import Task
from .decorator import PipelineDecorator
from .task_types import TaskTypes

__all__ = ["PipelineController", "Task", "PipelineDecorator", "TaskTypes"]
