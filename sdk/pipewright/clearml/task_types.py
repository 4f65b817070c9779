"""ClearML's task types (Task.TaskTypes): recorded on steps, they change nothing in how a step
runs."""
import enum


class TaskTypes(str, enum.Enum):
    training = "training"
    testing = "testing"
    inference = "inference"
    data_processing = "data_processing"
    application = "application"
    monitor = "monitor"
    controller = "controller"
    optimizer = "optimizer"
    service = "service"
    qc = "qc"
    custom = "custom"

    def __str__(self):
        return self.value
