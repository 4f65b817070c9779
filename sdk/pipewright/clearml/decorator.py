"""PipelineDecorator, after ClearML's: a pipeline written as ordinary Python.

    @PipelineDecorator.component(return_values=["data"], cache=True)
    def load(url): ...

    @PipelineDecorator.pipeline(name="p", project="examples", version="1.0")
    def my_pipeline(url="..."):
        data = load(url)           # a step starts; `data` is a LazyResult
        print(train(data))         # train waits for load (a DAG edge); print waits for train

    if __name__ == "__main__":
        my_pipeline(url="...")

Calling the pipeline function hands the file to the runner (`pipewright run`): its body runs in the
run's controller node (decorated_host.py, on the host, as ClearML's run_locally() controller),
each component call adds a step to the run's tree, run in its own container like a function step
of PipelineController. While the file is evaluated (`pipewright tree`, the editor), the call only
reports the pipeline: its controller node, its parameters and its components.
`PipelineDecorator.debug_pipeline()` runs the components as plain functions in this process."""
import functools
import hashlib
import inspect
import json
import os
import re
import subprocess
import sys

from .. import context
from ..errors import DefinitionError, MainCalled
from ..frames import user_frame
from ..node import Exec, Parallel

# (pipeline definition, its kwargs) of the call the loader caught: the controller host runs it.
captured = None


def unwrap(func):
    """The function a decorator wraps: __wrapped__, else the one function its closure holds (a
    decorator without functools.wraps, as ClearML's decorated_pipeline_step_decorators.py)."""
    seen = set()
    while id(func) not in seen:
        seen.add(id(func))
        inner = getattr(func, "__wrapped__", None)
        if inner is None:
            cells = [c.cell_contents for c in (getattr(func, "__closure__", None) or ())
                     if _cell_has_function(c)]
            inner = cells[0] if len(cells) == 1 else None
        if inner is None:
            return func
        func = inner
    return func


def _cell_has_function(cell):
    try:
        return inspect.isfunction(cell.cell_contents)
    except ValueError:  # an empty cell
        return False


def _returns(value, where):
    if value is None:
        return ["return_object"]
    names = [value] if isinstance(value, str) else list(value)
    for name in names:
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise DefinitionError("%s: return_values=%r: each name must be a non-empty string "
                                  "without '/'" % (where, value))
    return names


class Component:
    """What @PipelineDecorator.component said about a function."""

    def __init__(self, func, name, returns, cache, packages, parents, queue, docker, task_type,
                 helper_functions, time_limit, retry, continue_behaviour, frame):
        self.func = func                  # what the step calls (the decorated object)
        self.inner = unwrap(func)         # the user's function: name, source, signature
        self.name = name or self.inner.__name__
        self.where = "component %r" % self.name
        self.returns = _returns(returns, self.where)
        self.cache = bool(cache)
        self.packages = [packages] if isinstance(packages, str) else \
            (list(packages) if packages and not isinstance(packages, bool) else None)
        self.parents = list(parents or [])
        self.queue = queue
        self.docker = docker
        self.task_type = str(task_type) if task_type is not None else None
        self.helper_functions = list(helper_functions or [])
        self.time_limit = time_limit
        self.retry = retry
        self.continue_behaviour = dict(continue_behaviour or {})
        self.file = os.path.abspath(self.inner.__code__.co_filename)
        self.line = frame.f_lineno if frame else self.inner.__code__.co_firstlineno
        try:
            self.arg_names = list(inspect.signature(self.inner).parameters)
            self.signature = inspect.signature(self.inner)
        except (TypeError, ValueError):
            self.arg_names, self.signature = [], None
        try:
            source = inspect.getsource(self.inner)
        except (OSError, TypeError):
            source = repr(self.inner.__code__.co_code)
        for helper in self.helper_functions:
            try:
                source += inspect.getsource(helper)
            except (OSError, TypeError):
                pass
        self.code_hash = hashlib.sha256(source.encode("utf-8")).hexdigest()
        self.wrapper = None
        self.callbacks = {"pre": None, "post": None, "status": None}

    def global_name(self):
        """The name the step finds the component by in its module (the file run in the step)."""
        module = sys.modules.get(getattr(self.inner, "__module__", None) or "__main__")
        for key, value in (vars(module).items() if module else ()):
            if value is self.wrapper:
                return key
        return self.inner.__name__

    def kwargs(self, args, kwargs):
        """{parameter: value} of a call, defaults filled in (ClearML passes them too)."""
        if self.signature is None:
            return dict(kwargs)
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError("%s(): %s" % (self.name, error))
        bound.apply_defaults()
        out = {}
        for name, value in bound.arguments.items():
            kind = self.signature.parameters[name].kind
            if kind == inspect.Parameter.VAR_KEYWORD:
                out.update(value)
            elif kind == inspect.Parameter.VAR_POSITIONAL:
                for i, item in enumerate(value):
                    out[str(i)] = item
            else:
                out[name] = value
        return out


class PipelineDefinition:
    """What @PipelineDecorator.pipeline said about a function."""

    def __init__(self, func, name, project, version, default_queue, pipeline_execution_queue,
                 add_pipeline_tags, docker, packages, abort_on_failure, add_run_number,
                 retry_on_failure, return_value, frame):
        self.func = func
        self.name = name
        self.project = project or ""
        self.version = version
        self.default_queue = default_queue
        self.pipeline_execution_queue = pipeline_execution_queue
        self.add_pipeline_tags = bool(add_pipeline_tags)
        self.docker = docker
        self.packages = packages
        self.abort_on_failure = bool(abort_on_failure)
        self.add_run_number = bool(add_run_number)
        self.retry_on_failure = retry_on_failure
        self.return_value = return_value
        self.file = os.path.abspath(func.__code__.co_filename)
        self.line = frame.f_lineno if frame else func.__code__.co_firstlineno

    def kwargs(self, args, kwargs):
        try:
            bound = inspect.signature(self.func).bind(*args, **kwargs)
        except TypeError as error:
            raise DefinitionError("%s(): %s" % (self.func.__name__, error),
                                  file=self.file, line=self.line)
        bound.apply_defaults()
        return dict(bound.arguments)

    def root(self, kwargs):
        """The pipeline as the tree shows it before it runs: the controller node (named after
        the pipeline function), which runs the body and adds the steps."""
        return DecoratedRoot(self, kwargs)


def _json_parameters(kwargs, where):
    out = {}
    for key, value in kwargs.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise DefinitionError("%s: pipeline argument %s=%r is not JSON-serializable (pipeline "
                                  "arguments are run parameters: str, numbers, lists, dicts)"
                                  % (where, key, value))
        out[key] = value
    return out


class _ControllerExec(Exec):
    """The node that runs the pipeline body (the runner runs it on the host, see
    runner/clearml/decoratedController.ts); its `"decorated"` object says what to run."""

    def __init__(self, command, spec):
        Exec.__init__(self, command)
        self._decorated = spec

    @property
    def _EXTRA_JSON(self):
        return ', "decorated": ' + json.dumps(self._decorated, ensure_ascii=False, sort_keys=True)


class DecoratedRoot(Parallel):
    def __init__(self, definition, kwargs):
        self._setup(None, None, None, {"title": definition.name})
        self._file, self._line = definition.file, definition.line
        self._definition = definition
        # As a PipelineController's add_parameter entries: `--param NAME=VALUE` sets them
        # (overrides.py), cast to the type of the call's value.
        self._pc_params = {
            key: {"default": value, "type": None, "file": definition.file, "line": definition.line}
            for key, value in _json_parameters(kwargs, "pipeline %r" % definition.name).items()}
        if definition.docker:
            self.set_param("image", definition.docker)
        # The components this pipeline can reach (defined in its file, or imported into it).
        reachable = set(id(v) for v in definition.func.__globals__.values())
        components = []
        for c in PipelineDecorator._components:
            if (c.file == definition.file or id(c.wrapper) in reachable) \
                    and c.name not in components:
                components.append(c.name)
        function = definition.func.__name__
        spec = {"file": definition.file, "function": function, "components": components}
        # Shown by the tree (before the run adds the steps): what runs, and the components.
        node = _ControllerExec("python3 -m pipewright.clearml.decorated_host %s %s  "
                               "# components: %s" % (os.path.basename(definition.file), function,
                                  ", ".join(components) or "none"), spec)
        node._file, node._line = definition.file, definition.line
        node.set_param("doc", "pipeline %s: its body adds a step for each component call "
                       "(components: %s)" % (definition.name, ", ".join(components) or "none"))
        node.set_param("cpu", 0.25)
        node.set_param("mem", 0.25)
        self._add(function, node)

    def __bool__(self):
        return True

    @property
    def _EXTRA_JSON(self):
        d = self._definition
        spec = {"name": d.name, "project": d.project, "version": d.version,
                "abort_on_failure": d.abort_on_failure, "add_run_number": d.add_run_number,
                "default_queue": d.default_queue or PipelineDecorator._default_execution_queue,
                "parameters": {k: v.get("value", v["default"]) for k, v in self._pc_params.items()},
                "callbacks": {"pre": False, "post": False}}
        return ', "controller": ' + json.dumps(spec, ensure_ascii=False, sort_keys=True)


class PipelineDecorator(object):
    """ClearML's PipelineDecorator: `component` and `pipeline` decorators and the run modes."""

    _components = []                  # every component of the definition, in order
    _default_execution_queue = None
    _debug_execute_step_function = False
    _debug_execute_step_process = False
    _session = None                   # the running pipeline body's session (controller side)

    @classmethod
    def component(cls, _func=None, return_values=("return_object",), name=None, cache=False,
                  packages=None, parents=None, execution_queue=None, continue_on_fail=False,
                  docker=None, docker_args=None, docker_bash_setup_script=None, task_type=None,
                  auto_connect_frameworks=None, auto_connect_arg_parser=None, repo=None,
                  repo_branch=None, repo_commit=None, helper_functions=None,
                  monitor_metrics=None, monitor_artifacts=None, monitor_models=None,
                  retry_on_failure=None, pre_execute_callback=None, post_execute_callback=None,
                  status_change_callback=None, tags=None, output_uri=None, draft=False,
                  working_dir=None, continue_behaviour=None, stage=None, time_limit=None,
                  **_ignored):
        """A function becomes a pipeline component: called in a pipeline body it adds a step
        that runs it in a container; it returns LazyResult(s), one per return value name."""
        frame = user_frame()
        behaviour = dict(continue_behaviour or {})
        if continue_on_fail:
            behaviour.setdefault("continue_on_fail", True)

        def decorate(func):
            if not callable(func) or not hasattr(unwrap(func), "__code__"):
                raise DefinitionError("PipelineDecorator.component decorates a function, not %r"
                                      % (func,))
            component = Component(func, name, return_values, cache, packages, parents,
                                  execution_queue, docker, task_type, helper_functions,
                                  time_limit, retry_on_failure, behaviour, frame)
            for what, value in (("pre_execute_callback", pre_execute_callback),
                                ("post_execute_callback", post_execute_callback),
                                ("status_change_callback", status_change_callback)):
                if value is not None and not callable(value):
                    raise DefinitionError("%s: %s=%r is not callable"
                                          % (component.where, what, value))
            component.callbacks = {"pre": pre_execute_callback, "post": post_execute_callback,
                                   "status": status_change_callback}

            @functools.wraps(component.inner)
            def wrapper(*args, **kwargs):
                session = cls._session
                if session is None:
                    # Inside a step (or outside any pipeline): the function itself runs.
                    return func(*args, **kwargs)
                return session.call(component, args, kwargs)

            wrapper._pw_component = component
            component.wrapper = wrapper
            cls._components.append(component)
            return wrapper

        return decorate if _func is None else decorate(_func)

    @classmethod
    def pipeline(cls, _func=None, name=None, project=None, version=None, return_value=None,
                 default_queue=None, pool_frequency=0.2, add_pipeline_tags=False,
                 target_project=None, abort_on_failure=False, pipeline_execution_queue="services",
                 multi_instance_support=False, add_run_number=True, args_map=None,
                 start_controller_locally=False, retry_on_failure=None, docker=None,
                 docker_args=None, docker_bash_setup_script=None, packages=None, repo=None,
                 repo_branch=None, repo_commit=None, artifact_serialization_function=None,
                 artifact_deserialization_function=None, output_uri=None,
                 skip_global_imports=False, working_dir=None, enable_local_imports=True,
                 **_ignored):
        """The pipeline's logic: calling the function runs the pipeline (see the module doc)."""
        frame = user_frame()

        def decorate(func):
            if not inspect.isfunction(func):
                raise DefinitionError("PipelineDecorator.pipeline decorates a function, not %r"
                                      % (func,))
            definition = PipelineDefinition(
                func, name or func.__name__, project, version, default_queue,
                pipeline_execution_queue, add_pipeline_tags, docker, packages, abort_on_failure,
                add_run_number, retry_on_failure, return_value, frame)

            @functools.wraps(func)
            def run_pipeline(*args, **kwargs):
                return cls._run(definition, definition.kwargs(args, kwargs))

            run_pipeline._pw_pipeline = definition
            return run_pipeline

        return decorate if _func is None else decorate(_func)

    @classmethod
    def _run(cls, definition, kwargs):
        if definition.default_queue:
            cls.set_default_execution_queue(definition.default_queue)
        if context.capture_main:  # evaluated (tree, the controller host, a step): report it
            global captured
            captured = (definition, kwargs)
            root = definition.root(kwargs)

            def pipeline():
                return root
            pipeline.__name__ = definition.func.__name__
            raise MainCalled(pipeline, {})
        if cls._session is not None:  # a pipeline called by a running pipeline: its logic, here
            return definition.func(**kwargs)
        if cls._debug_execute_step_function:
            from .sessions import DebugSession
            return DebugSession(definition).run(kwargs)
        definition.root(kwargs)  # the arguments must be run parameters
        return _hand_off(definition)

    @classmethod
    def set_default_execution_queue(cls, default_execution_queue):
        """Where steps without execution_queue run (recorded; the local engine runs them all)."""
        cls._default_execution_queue = str(default_execution_queue) \
            if default_execution_queue else None

    @classmethod
    def run_locally(cls):
        """Steps run on this machine: the local Docker engine, one container each (the
        controller runs here anyway)."""
        cls._debug_execute_step_process = True
        cls._debug_execute_step_function = False

    @classmethod
    def debug_pipeline(cls):
        """Steps run as plain functions in this process, each when its result is first used."""
        cls._debug_execute_step_process = True
        cls._debug_execute_step_function = True

    @classmethod
    def get_current_pipeline(cls):
        return cls._session

    @classmethod
    def get_logger(cls):
        """The logger of the current task: the step's inside a component, else the pipeline's."""
        from . import task as task_module
        task = task_module.Task.current_task()
        if task is not None:
            return task.get_logger()
        return _PrintLogger()

    @classmethod
    def upload_artifact(cls, name, artifact_object, metadata=None, delete_after_upload=False,
                        auto_pickle=None, preview=None, wait_on_upload=False,
                        serialization_function=None, sort_keys=True):
        """Stores an artifact: inside a component, with the step's artifacts; in the pipeline
        body, with the pipeline's (its data folder: clearml/.pipeline/artifacts)."""
        if cls._session is not None:
            return cls._session.upload_artifact(name, artifact_object)
        folder = os.environ.get("PIPEWRIGHT_STEP_ARTIFACTS")
        if not folder:
            raise ValueError("upload_artifact(%r): not in a pipeline or a component" % (name,))
        from .task import store_artifact
        store_artifact(folder, name, artifact_object)
        return True


class _PrintLogger(object):
    """The pipeline body's logger: reports go to its output (the controller node's log)."""

    def report_scalar(self, title, series, value, iteration=0, **_ignored):
        print("scalar %s/%s [%s] = %s" % (title, series, iteration, value))

    def report_text(self, msg, *args, **_ignored):
        print(msg)

    def report_table(self, title, series, iteration=0, table_plot=None, **_ignored):
        print("table %s/%s [%s]:\n%s" % (title, series, iteration, table_plot))

    def flush(self):
        sys.stdout.flush()


def _hand_off(definition):
    """`python3 FILE`: the runner runs the file (`pipewright run FILE --json`); the body's output
    and each step's end are printed here; a failed pipeline raises."""
    from .. import handoff
    cli = handoff.find_cli()
    if cli is None:
        raise RuntimeError("cannot run pipeline %r: the Pipewright CLI was not found; set "
                           "PIPEWRIGHT_CLI to the path of cli.js" % definition.name)
    main = sys.modules.get("__main__")
    file = os.path.abspath(getattr(main, "__file__", None) or definition.file)
    command = [os.environ.get("PIPEWRIGHT_NODE", "node"), cli, "run", file, "--json"]
    from . import overrides
    given, _ = overrides.from_argv(sys.argv[1:])  # python3 FILE --param NAME=VALUE
    for text in given:
        command += [overrides.FLAG, text]
    controller = "/" + definition.func.__name__
    state = pipeline_id = None
    last_line = {}  # path -> the last line a step printed: why it failed
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            cwd=os.path.dirname(file))
    for raw in proc.stdout:
        try:
            event = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            continue
        kind = event.get("type")
        if pipeline_id is None and event.get("pipeline"):
            pipeline_id = event["pipeline"]
            sys.stderr.write("pipeline %s started (pipewright show %s)\n"
                             % (pipeline_id, pipeline_id))
        if kind == "log" and event.get("path") == controller:
            sys.stdout.write(event.get("text", ""))
            sys.stdout.flush()
        elif kind == "log":
            lines = [l for l in event.get("text", "").splitlines() if l.strip()]
            if lines:  # an exception's last line says most, else the last line
                errors = [l for l in lines if re.match(r"^[\w.]*(Error|Exception)\b", l)]
                last_line[event.get("path")] = (errors or lines)[-1]
        elif kind == "execution-end" and event.get("path") != controller:
            execution = event.get("execution") or {}
            why = execution.get("message") or ""
            if event.get("state") != "done" and not why:
                why = last_line.get(event.get("path"), "")
            sys.stderr.write("step %s: %s%s\n" % (event.get("path", "")[1:], event.get("state"),
                                                  (": " + why) if why else ""))
        elif kind == "execution-end":
            state = event.get("state")
    proc.wait()
    if proc.returncode != 0 or state not in (None, "done"):
        raise RuntimeError("pipeline %r failed (pipewright run exited with %d)"
                           % (definition.name, proc.returncode))
    return None
