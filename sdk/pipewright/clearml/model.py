"""A minimal `OutputModel` / `InputModel`: there is no model registry here, so a model is a file
kept as an artifact of the running step (`update_weights`), found again by its id."""
import os
import uuid

from .task import store_artifact


class OutputModel:
    created = []  # in this process, for task.models["output"]

    def __init__(self, task=None, config_text=None, config_dict=None, label_enumeration=None,
                 name=None, tags=None, comment=None, framework=None, base_model_id=None,
                 **_ignored):
        self.id = base_model_id or uuid.uuid4().hex
        self.name = name or "model"
        self.task = task
        self.tags = list(tags or [])
        self.comment = comment
        self.framework = framework
        self.config_dict = config_dict
        self.config_text = config_text
        self.labels = label_enumeration
        self.url = None
        OutputModel.created.append(self)

    def connect(self, task=None, name=None, **_ignored):
        self.task = task
        if name:
            self.name = name

    def update_weights(self, weights_filename=None, upload_uri=None, **_ignored):
        """Stores the file as the running step's artifact `model-NAME` (in a step); returns
        its path."""
        folder = os.environ.get("PIPEWRIGHT_STEP_ARTIFACTS")
        if weights_filename is None or not folder:
            self.url = weights_filename
            return self.url
        self.url = store_artifact(folder, "model-%s" % self.name, weights_filename)
        return self.url

    def update_weights_package(self, weights_path=None, **kwargs):
        return self.update_weights(weights_path, **kwargs)

    def update_design(self, config_text=None, config_dict=None):
        self.config_text, self.config_dict = config_text, config_dict

    def __repr__(self):
        return "<OutputModel %s %s>" % (self.id, self.name)


class InputModel(OutputModel):
    def get_local_copy(self, **_ignored):
        return self.url
