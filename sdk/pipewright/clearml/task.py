"""`Task`, after ClearML's: at definition time a registry of step templates (base tasks) that
`PipelineController.add_step` clones; inside a running step the step itself (`Task.init()`,
`Task.current_task()`), with its parameters and artifacts, and `Task.get_task(id)` for the
artifacts of the pipeline's other steps."""
import hashlib
import json
import os
import pickle
import shutil

from ..errors import DefinitionError
from ..frames import user_frame
from .logger import Logger
from .refs import section_key
from .task_types import TaskTypes


def _task_id(project, name):
    return hashlib.sha1(("%s\0%s" % (project, name)).encode("utf-8")).hexdigest()


class Artifact:
    """A stored artifact of a step: `url` is a path readable in any step's container."""

    def __init__(self, name, url, kind="file", sha256=None, preview=None):
        self.name, self.url, self.type, self.sha256, self.preview = name, url, kind, sha256, preview

    def get_local_copy(self, extract_archive=True, **_ignored):
        return self.url

    def get(self, **_ignored):
        """The object: unpickled for Python objects, parsed for .json, the path otherwise."""
        if self.url.endswith(".pkl"):
            with open(self.url, "rb") as f:
                return pickle.load(f)
        if self.url.endswith(".json"):
            with open(self.url, encoding="utf-8") as f:
                return json.load(f)
        return self.url

    def __repr__(self):
        return "<Artifact %s %s>" % (self.name, self.url)


class Task:
    """A ClearML task. Definition time: `Task.create(...)` registers a template; in a step's
    container: `Task.init()` / `Task.current_task()` is the running step."""

    TaskTypes = TaskTypes
    _registry = {}   # id -> Task (templates made by Task.create)
    _current = None  # the running step, in its container

    def __init__(self, task_id, project_name, task_name, command=None, script=None, image=None,
                 parameters=None, env=None, packages=None, file=None, line=None):
        self.id = task_id
        self.project = project_name
        self.name = task_name
        self.command = command
        self.script = script
        self.image = image
        self.parameters = dict(parameters or {})
        self.env = dict(env or {})
        self.packages = list(packages or [])
        self._file, self._line = file, line
        self._step = None      # input of the running step (in its container)
        self._artifacts = None

    # --- definition time ----------------------------------------------------------------------

    @classmethod
    def create(cls, project_name=None, task_name=None, task_type=None, repo=None, branch=None,
               commit=None, script=None, working_directory=None, packages=None,
               requirements_file=None, docker=None, docker_args=None,
               docker_bash_setup_script=None, argparse_args=None, base_task_id=None,
               add_task_init_call=True, command=None, image=None, parameters=None, env=None):
        """Registers a step template. `command` is a shell command (`${Args/x}` is replaced by
        the step's parameter, shell-quoted); `script` a Python file run as
        `python3 SCRIPT --x VALUE ...` for every Args/ parameter. `image` (or `docker`) is the
        container image; `parameters` (or `argparse_args`, pairs) the default parameters."""
        f = user_frame()
        file, line = (f.f_code.co_filename, f.f_lineno) if f is not None else (None, None)
        if not task_name or not isinstance(task_name, str):
            raise DefinitionError("Task.create needs task_name=")
        if command is None and script is None:
            raise DefinitionError("Task.create(%r) needs command= (a shell command) or script= "
                                  "(a Python file)" % task_name)
        if command is not None and (not isinstance(command, str) or not command.strip()):
            raise DefinitionError("Task.create(%r): command must be a non-empty string"
                                  % task_name)
        params = {}
        for key, value in (argparse_args or []):
            params[section_key(key)] = value
        if parameters is not None:
            if not isinstance(parameters, dict):
                raise DefinitionError("Task.create(%r): parameters must be a dict" % task_name)
            for key, value in parameters.items():
                params[section_key(key)] = value
        if packages is not None and isinstance(packages, str):
            packages = [packages]
        project = project_name or ""
        task_id = base_task_id or _task_id(project, task_name)
        task = cls(task_id, project, task_name, command=command, script=script,
                   image=image or docker, parameters=params, env=env, packages=packages,
                   file=file, line=line)
        cls._registry[task_id] = task
        return task

    @classmethod
    def get_task(cls, task_id=None, project_name=None, task_name=None, **_ignored):
        """A registered template (definition time), or a step of the running pipeline (in a
        step's container: by id, or by task_name = step name)."""
        if task_id is not None and task_id in cls._registry:
            return cls._registry[task_id]
        if task_id is None:
            for task in reversed(list(cls._registry.values())):
                if task.name == task_name and (project_name is None
                                               or task.project == project_name):
                    return task
        found = _pipeline_step(task_id, task_name)
        if found is not None:
            return found
        if task_id is None and task_name is not None:
            from .controller import _script_template  # a workspace script's Task.init
            found = _script_template(project_name, task_name, "Task.get_task")
            if found is not None:
                return found
        raise ValueError("no task %s" % (task_id or "%s/%s" % (project_name, task_name)))

    # --- in a running step ----------------------------------------------------------------------

    @classmethod
    def init(cls, project_name=None, task_name=None, *args, **kwargs):
        """The running step (in a pipeline step); a local stand-in elsewhere."""
        current = cls.current_task()
        if current is not None:
            return current
        cls._current = cls(_task_id(project_name or "", task_name or ""), project_name or "",
                           task_name or "", parameters={})
        return cls._current

    @classmethod
    def running_locally(cls):
        """False inside a pipeline step (ClearML: run by an agent), True elsewhere."""
        return not os.environ.get("PIPEWRIGHT_STEP_INPUT")

    def execute_remotely(self, queue_name=None, clone=False, exit_process=True):
        """Inside a pipeline step: nothing (the step is the remote execution). Outside one, as
        ClearML's agent would: the script runs as a one-step pipeline in a container (this process
        becomes `pipewright run SCRIPT`; see remote.py)."""
        if not Task.running_locally():
            return None
        from .remote import hand_over
        return hand_over(self)

    @classmethod
    def current_task(cls):
        if cls._current is None:
            path = os.environ.get("PIPEWRIGHT_STEP_INPUT")
            if path and os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    step = json.load(f)
                task = cls(step["id"], step.get("project", ""), step["name"],
                           parameters=step.get("parameters"))
                task._step = step
                cls._current = task
        return cls._current

    def get_parameters(self, *args, **kwargs):
        """Flat {"Args/x": value}."""
        return dict(self.parameters)

    def get_parameter(self, name, default=None):
        return self.parameters.get(section_key(name), default)

    def get_parameters_as_dict(self, *args, **kwargs):
        out = {}
        for key, value in self.parameters.items():
            section, _, name = key.partition("/")
            out.setdefault(section, {})[name] = value
        return out

    def set_parameter(self, name, value, description=None, value_type=None):
        self.parameters[section_key(name)] = value

    def connect(self, mutable, name=None):
        """Fills a dict (or an object's attributes) with the step's parameters of section `name`,
        cast to each value's type, and returns it. As in ClearML a dict without a name is
        section General, an argparse namespace Args (`Args/x` is also read for a General dict:
        Task.create(parameters={"x": ...}) names it so)."""
        is_namespace = type(mutable).__name__ == "Namespace"
        section = name or ("Args" if is_namespace else "General")
        target = mutable if isinstance(mutable, dict) else getattr(mutable, "__dict__", None)
        if target is None:
            return mutable
        for key in list(target):
            full = "%s/%s" % (section, key)
            fallback = "Args/%s" % key if name is None and section == "General" else None
            if full in self.parameters:
                target[key] = _cast(self.parameters[full], target[key])
            elif fallback in self.parameters:
                target[key] = _cast(self.parameters[fallback], target[key])
                self.parameters[full] = target[key]
            else:
                self.parameters[full] = target[key]
        return mutable

    def get_logger(self):
        return Logger.current_logger()

    @property
    def task_type(self):
        return TaskTypes.custom

    def reload(self):
        return self

    @property
    def models(self):
        """{"input": [], "output": [OutputModel...]}: the models this process made (no registry)."""
        from .model import OutputModel
        return {"input": [], "output": list(OutputModel.created)}

    @property
    def artifacts(self):
        if self._artifacts is None:
            self._artifacts = {}
        return self._artifacts

    def upload_artifact(self, name, artifact_object, metadata=None, delete_after_upload=False,
                        **_ignored):
        """Stores an artifact of the running step: a file (a path) is copied; any other object
        is pickled, with a JSON view beside it when it is JSON-serializable."""
        folder = os.environ.get("PIPEWRIGHT_STEP_ARTIFACTS")
        if not folder:
            raise RuntimeError("upload_artifact works inside a pipeline step only")
        store_artifact(folder, name, artifact_object)
        return True

    def flush(self, *args, **kwargs):
        return True

    def close(self):
        pass

    def __repr__(self):
        return "<Task %s %s/%s>" % (self.id, self.project, self.name)


def _cast(text, like):
    if isinstance(like, bool):
        return str(text).strip().lower() in ("1", "true", "yes", "on") \
            if isinstance(text, str) else bool(text)
    for t in (int, float):
        if isinstance(like, t) and not isinstance(like, bool):
            try:
                return t(text)
            except (TypeError, ValueError):
                return text
    return text


def store_artifact(folder, name, obj):
    """Writes artifact `name` under folder/name/; returns the main file's path."""
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise ValueError("artifact name %r is invalid" % (name,))
    target = os.path.join(folder, name)
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    path_like = getattr(obj, "__fspath__", None)
    if isinstance(obj, str) and os.path.isfile(obj) or path_like is not None and \
            os.path.isfile(os.fspath(obj)):
        src = os.fspath(obj)
        main = os.path.join(target, os.path.basename(src))
        shutil.copyfile(src, main)
    else:
        main = os.path.join(target, name + ".pkl")
        with open(main, "wb") as f:
            pickle.dump(obj, f)
        try:
            text = json.dumps(obj, ensure_ascii=False, indent=1)
        except (TypeError, ValueError):
            text = None
        if text is not None:
            with open(os.path.join(target, name + ".json"), "w", encoding="utf-8") as f:
                f.write(text)
    with open(os.path.join(target, ".main"), "w", encoding="utf-8") as f:
        f.write(os.path.basename(main))
    return main


def _pipeline_step(task_id, task_name):
    """A step of the running pipeline from the results in $PIPEWRIGHT_DATA/clearml."""
    data = os.environ.get("PIPEWRIGHT_DATA")
    root = os.path.join(data, "clearml") if data else None
    if not root or not os.path.isdir(root):
        return None
    real_root = os.path.realpath(root)
    for step in sorted(os.listdir(root)):
        result_file = os.path.join(root, step, "result.json")
        # Steps write this folder; the controller host reads it as the user: no links followed.
        if os.path.islink(os.path.join(root, step)) or os.path.islink(result_file) or \
                not os.path.isfile(result_file) or step == "storage":
            continue
        try:
            with open(result_file, encoding="utf-8") as f:
                result = json.load(f)
        except (OSError, ValueError):
            continue
        if not isinstance(result, dict):
            continue
        if (task_id is not None and result.get("id") == task_id) or \
                (task_id is None and step == task_name):
            task = Task(result.get("id"), "", step, parameters=result.get("parameters"))
            task._artifacts = {}
            for name, info in (result.get("artifacts") or {}).items():
                path = os.path.join(root, step, str(info.get("file", "")))
                if not os.path.realpath(path).startswith(real_root + os.sep):
                    continue  # a link, or a path out of the data folder
                task._artifacts[name] = Artifact(name, path, info.get("type"), info.get("sha256"),
                                                 info.get("preview"))
            return task
    return None
