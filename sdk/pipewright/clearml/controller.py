"""PipelineController, after ClearML's: a DAG of steps, each a clone of a template task (or a
Python function) with its parameters overridden.

The controller *is* a pipeline: a `Parallel` whose `Exec` children are the steps, with `parents`
edges and a `"step"` object each (docs/clearml.md), so `python3 -m pipewright FILE`, the language
server and the views show it as any other pipeline, and the runner runs it."""
import hashlib
import inspect
import json
import os
import shlex
import sys
import time

from .. import callables, context
from ..errors import DefinitionError, MainCalled, together
from ..frames import user_frame
from ..image import Image
from ..node import Exec, Parallel
from . import refs, scripts
from .task import Task, _task_id

STEP_MODULE = "python3 -m pipewright.clearml.step"

_DEFAULT_CONTINUE = {"continue_on_fail": False, "continue_on_abort": False,
                     "skip_children_on_fail": True, "skip_children_on_abort": True}

# The controller whose start() the loader caught (python3 -m pipewright, the callback host).
captured = None


class Node:
    """A step of the DAG, as ClearML's PipelineController.Node: its definition, and while the
    pipeline runs its state (`status`, `executed` = task id once done, `job_started`...)."""

    def __init__(self, name, base_task_id=None, queue=None, parents=None, timeout=None,
                 parameters=None, job_code_section=None, return_artifacts=None,
                 cache_executed_step=False, continue_on_fail=False, continue_behaviour=None):
        self.name = name
        self.base_task_id = base_task_id
        self.queue = queue
        self.parents = list(parents or [])
        self.timeout = timeout
        self.parameters = dict(parameters or {})
        self.job_code_section = job_code_section
        self.return_artifacts = list(return_artifacts or [])
        self.cache_executed_step = cache_executed_step
        self.continue_on_fail = continue_on_fail
        self.continue_behaviour = dict(continue_behaviour or _DEFAULT_CONTINUE)
        self.skip_job = False
        self.executed = None
        self.job = None
        self.job_started = None
        self.job_ended = None
        self.status = "pending"
        self.retries = 0

    def __repr__(self):
        return "<PipelineController.Node %s %s>" % (self.name, self.status)


class _Step:
    """What add_step/add_function_step said, beside the node it made."""

    def __init__(self, node, info, spec):
        self.node, self.info, self.spec = node, info, spec
        self.pre = self.post = self.status = self.retry = None
        self.exec = None  # the _StepExec: its line is the add_step call
        self.refers = None  # what may hold references: parameters (and a task's command)


class _StepExec(Exec):
    """A step's Exec node; its `"step"` object goes into the pipeline JSON."""

    def __init__(self, command, step_spec):
        Exec.__init__(self, command)
        self._step_spec = step_spec

    @property
    def _EXTRA_JSON(self):  # export.py appends this to the node's JSON line
        return ', "step": ' + json.dumps(self._step_spec, ensure_ascii=False, sort_keys=True)


class _MissingTemplate(DefinitionError):
    """add_step's template task does not exist (kept until the pipeline is complete)."""


def _retry_spec(value, where):
    if value is None:
        return None, None
    if callable(value):
        return None, value
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DefinitionError("%s: retry_on_failure=%r is invalid: expected an int >= 0 or a "
                              "callable(pipeline, node, retries) -> bool" % (where, value))
    return value, None


def _continue_spec(continue_on_fail, continue_behaviour, where):
    spec = dict(_DEFAULT_CONTINUE)
    spec["continue_on_fail"] = bool(continue_on_fail)
    if continue_behaviour is not None:
        if not isinstance(continue_behaviour, dict):
            raise DefinitionError("%s: continue_behaviour must be a dict" % where)
        for key, value in continue_behaviour.items():
            if key not in spec:
                raise DefinitionError("%s: unknown continue_behaviour key %r (known: %s)"
                                      % (where, key, ", ".join(sorted(spec))))
            spec[key] = bool(value)
    return spec


def _check_callback(value, what, where):
    if value is not None and not callable(value):
        raise DefinitionError("%s: %s=%r is not callable" % (where, what, value))
    return value


def _workspace():
    """The definition's folder: where task scripts are looked for (scripts.py)."""
    if context.definition_dir:
        return context.definition_dir
    f = user_frame()
    return os.path.dirname(os.path.abspath(f.f_code.co_filename)) if f else os.getcwd()


def _script_template(project, name, where):
    """A template for the workspace script that calls Task.init(project, name), registered like
    Task.create(script=...); None if there is none. Two such scripts are an error."""
    folder = _workspace()
    f = user_frame()
    found = scripts.find(folder, project, name,
                         exclude=[f.f_code.co_filename] if f is not None else ())
    if not found:
        return None
    if len(found) > 1:
        raise DefinitionError("%s: several scripts call Task.init(%r, %r): %s" % (
            where, project, name, ", ".join("%s:%d" % (os.path.relpath(p, folder), line)
                                             for p, line, _ in found)))
    path, line, params = found[0]
    rel = os.path.relpath(path, folder).replace(os.sep, "/")
    task = Task(_task_id(project or "", name), project or "", name,
                command="python3 %s" % shlex.quote(rel), parameters=params, file=path, line=line)
    task.script = rel
    Task._registry[task.id] = task
    return task


def _script_spec(rel):
    """{file, code_hash} of a task's script (the step cache key has the hash: an edited script
    runs again); None when there is no script or it cannot be read."""
    if not rel:
        return None
    try:
        with open(os.path.join(_workspace(), rel), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None
    return {"file": rel, "code_hash": digest}


def _unwrapped(function):
    """The function a decorator without functools.wraps hides in its closure (as ClearML looks
    for it), so its name and parameters are the step's; the definition's global of that name
    (the decorated one) is what the step calls."""
    seen = set()
    while id(function) not in seen and not hasattr(function, "__wrapped__"):
        seen.add(id(function))
        cells = getattr(function, "__closure__", None) or ()
        inner = next((c.cell_contents for c in cells
                      if inspect.isfunction(_cell(c))), None)
        if inner is None:
            break
        function = inner
    return inspect.unwrap(function)


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


class PipelineController(Parallel):
    """A DAG of steps. `add_step` clones a template task (Task.create), `add_function_step` runs a
    Python function in a container; `start()` runs the DAG through the Pipewright runner."""

    Node = Node

    def __init__(self, name, project=None, version=None, pool_frequency=None,
                 add_pipeline_tags=False, target_project=None, auto_version_bump=None,
                 abort_on_failure=False, add_run_number=True, retry_on_failure=None,
                 docker=None, packages=None, **_ignored):
        if not isinstance(name, str) or not name:
            raise DefinitionError("PipelineController needs a name")
        self._setup(user_frame(), None, None, {"title": name})
        self._pc_name = name
        self._pc_project = project or ""
        self._pc_version = version
        self._pc_abort = bool(abort_on_failure)
        self._pc_run_number = bool(add_run_number)
        self._pc_retry, self._pc_retry_cb = _retry_spec(retry_on_failure, "PipelineController")
        self._pc_params = {}
        self._pc_queue = None
        self._pc_steps = {}
        self._pc_missing = []  # missing templates, reported with the pipeline's other errors
        self._pc_pre = self._pc_post = None
        self._pc_image = docker
        self._pc_launch = None
        if docker is not None:
            self.set_param("image", docker)

    def __bool__(self):
        return True

    def __repr__(self):
        return "<PipelineController %s>" % self._pc_name

    @property
    def _EXTRA_JSON(self):
        spec = {
            "name": self._pc_name, "project": self._pc_project, "version": self._pc_version,
            "abort_on_failure": self._pc_abort, "add_run_number": self._pc_run_number,
            "default_queue": self._pc_queue,
            "parameters": self.get_parameters(),
            "callbacks": {"pre": self._pc_pre is not None, "post": self._pc_post is not None},
        }
        return ', "controller": ' + json.dumps(spec, ensure_ascii=False, sort_keys=True)

    # --- definition ---------------------------------------------------------------------------

    def add_parameter(self, name, default=None, description=None, param_type=None):
        """A pipeline parameter, referenced as ${pipeline.NAME}; a run may give it another value
        (`--param NAME=VALUE`, see overrides.py)."""
        if not isinstance(name, str) or not name:
            raise DefinitionError("add_parameter needs a name")
        frame = user_frame()
        self._pc_params[name] = {"default": default, "description": description,
                                 "type": param_type,
                                 "file": frame.f_code.co_filename if frame else None,
                                 "line": frame.f_lineno if frame else None}

    def get_parameters(self):
        """{name: value}: the value a run was given, else the default."""
        return {k: v.get("value", v["default"]) for k, v in self._pc_params.items()}

    def _set_parameter_values(self, values):
        """The values a run resolved (the controller host is told them by the runner)."""
        for name, value in (values or {}).items():
            if name in self._pc_params:
                self._pc_params[name]["value"] = value

    def set_default_execution_queue(self, default_execution_queue):
        """Where steps without execution_queue run. The local Docker engine runs every queue for
        now; the name is recorded for other engines."""
        self._pc_queue = default_execution_queue

    def _template(self, base_task_id, base_task_project, base_task_name, base_task_factory,
                  where):
        if base_task_factory is not None:
            task = base_task_factory(None)
            if not isinstance(task, Task):
                raise DefinitionError("%s: base_task_factory must return a Task" % where)
            return task
        if base_task_id is not None:
            task = Task._registry.get(base_task_id)
            if task is None:
                raise _MissingTemplate("%s: no task with id %r (create it with Task.create)"
                                       % (where, base_task_id))
            return task
        if base_task_name is None:
            raise DefinitionError("%s: give base_task_id, or base_task_project and "
                                  "base_task_name" % where)
        for task in reversed(list(Task._registry.values())):
            if task.name == base_task_name and (base_task_project is None
                                                or task.project == base_task_project):
                return task
        task = _script_template(base_task_project, base_task_name, where)
        if task is not None:
            return task
        raise _MissingTemplate("%s: no task %s/%s: create it with Task.create, or put a script "
                              "that calls Task.init(project_name=%r, task_name=%r) under %s"
                              % (where, base_task_project or "*", base_task_name,
                                 base_task_project or "", base_task_name, _workspace()))

    def add_step(self, name, base_task_id=None, parents=None, parameter_override=None,
                 configuration_overrides=None, task_overrides=None, execution_queue=None,
                 monitor_metrics=None, monitor_artifacts=None, monitor_models=None,
                 time_limit=None, base_task_project=None, base_task_name=None,
                 clone_base_task=True, continue_on_fail=False, pre_execute_callback=None,
                 post_execute_callback=None, cache_executed_step=False,
                 base_task_factory=None, retry_on_failure=None, status_change_callback=None,
                 recursively_parse_parameters=False, output_uri=None, continue_behaviour=None):
        """Adds a step that clones a template task, its parameters overridden (values may
        reference other steps: ${stage1.artifacts.data.url}, ...)."""
        where = "add_step(%r)" % (name,)
        try:
            task = self._template(base_task_id, base_task_project, base_task_name,
                                  base_task_factory, where)
        except _MissingTemplate as missing:
            # Reported when the pipeline is complete, with its other errors (a cycle among the
            # steps too), not alone: the step stands in, so the rest can be checked.
            self._pc_missing.append(missing)
            task = Task(base_task_id, base_task_project, base_task_name, command="false")
        params = dict(task.parameters)
        if parameter_override:
            if not isinstance(parameter_override, dict):
                raise DefinitionError("%s: parameter_override must be a dict" % where)
            for key, value in parameter_override.items():
                params[refs.section_key(key)] = value
        if task.command is not None:
            command, from_args = task.command, False
        else:
            command, from_args = "python3 %s" % task.script, True
        image = task.image
        if task.packages:
            image = Image(image.image if isinstance(image, Image) else image,
                          install_pip=task.packages)
        spec = {"kind": "task", "base_task_id": task.id, "project": task.project,
                "task_name": task.name, "parameters": params, "args_from_parameters": from_args}
        script = _script_spec(task.script)
        if script is not None:
            spec["script"] = script
        node_params = {"image": image, "env": task.env or None}
        self._check_fields(name, [params, command])
        self._add_step_node(name, command, spec, parents, [params, command],
                            execution_queue, time_limit, continue_on_fail, continue_behaviour,
                            cache_executed_step, retry_on_failure, pre_execute_callback,
                            post_execute_callback, status_change_callback, node_params,
                            Node(name, base_task_id=task.id, parameters=params))
        return True

    def add_function_step(self, name, function, function_kwargs=None, function_return=None,
                          project_name=None, task_name=None, task_type=None,
                          auto_connect_frameworks=None, auto_connect_arg_parser=None,
                          packages=None, repo=None, repo_branch=None, repo_commit=None,
                          helper_functions=None, docker=None, docker_args=None,
                          docker_bash_setup_script=None, parents=None, execution_queue=None,
                          monitor_metrics=None, monitor_artifacts=None, monitor_models=None,
                          time_limit=None, continue_on_fail=False, pre_execute_callback=None,
                          post_execute_callback=None, cache_executed_step=False,
                          retry_on_failure=None, status_change_callback=None, tags=None,
                          output_uri=None, draft=False, working_dir=None,
                          continue_behaviour=None):
        """Adds a step running `function(**function_kwargs)` in a container; its return values
        become the artifacts named in function_return (${name.RETURN} in later steps)."""
        where = "add_function_step(%r)" % (name,)
        if not callable(function) or not hasattr(function, "__code__"):
            raise DefinitionError("%s: function must be a Python function" % where)
        function = _unwrapped(function)
        callables.check_callable(function)
        sig = inspect.signature(function)
        kwargs = {p.name: p.default for p in sig.parameters.values()
                  if p.default is not p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                             p.KEYWORD_ONLY)}
        if function_kwargs:
            for key in function_kwargs:
                if key not in sig.parameters:
                    raise DefinitionError("%s: %s() has no parameter %r"
                                          % (where, function.__name__, key))
            kwargs.update(function_kwargs)
        missing = [p.name for p in sig.parameters.values() if p.default is p.empty
                   and p.name not in kwargs and p.kind not in (p.VAR_POSITIONAL,
                                                               p.VAR_KEYWORD)]
        if missing:
            raise DefinitionError("%s: %s() needs %s (function_kwargs)"
                                  % (where, function.__name__, ", ".join(missing)))
        for key, value in kwargs.items():
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                raise DefinitionError("%s: function_kwargs[%r]=%r is not JSON-serializable"
                                      % (where, key, value))
        returns = function_return or []
        if isinstance(returns, str):
            returns = [returns]
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            source = repr(function.__code__.co_code)
        params = {"kwargs/" + k: v for k, v in kwargs.items()}
        file = callables.file_for(function)
        spec = {"kind": "function", "base_task_id": None, "project": project_name or "",
                "task_name": task_name or name, "parameters": params,
                "args_from_parameters": False,
                "function": {"file": file, "name": function.__name__, "returns": list(returns),
                             "code_hash": hashlib.sha256(source.encode("utf-8")).hexdigest()}}
        image = docker
        if packages:
            if isinstance(packages, str):
                packages = [packages]
            image = Image(docker, install_pip=list(packages))
        command = "%s %s %s" % (STEP_MODULE, file, function.__name__)
        self._check_fields(name, params)
        self._add_step_node(name, command, spec, parents, params,
                            execution_queue, time_limit, continue_on_fail, continue_behaviour,
                            cache_executed_step, retry_on_failure, pre_execute_callback,
                            post_execute_callback, status_change_callback,
                            {"image": image, "tags": tags},
                            Node(name, parameters=params, job_code_section=function.__name__,
                                 return_artifacts=returns))
        return True

    def _check_fields(self, name, value, complete=False, where=None):
        """A reference to a step must name something it has: a return value of a function step,
        or id / artifacts.NAME / parameters.NAME (never models). While steps are being added, a
        step not added yet is let be; `complete` (the whole pipeline): it is an unknown step, and
        every ${pipeline.NAME} must be a parameter."""
        where = where or {}

        def error(message):
            return DefinitionError("step %r refers to %s" % (name, message), **where)

        for step, field in refs.step_fields_in(value):
            known = self._pc_steps.get(step)
            if known is None and complete:
                raise error("${%s.%s}, but there is no step %r in this pipeline (steps: %s)"
                            % (step, field, step, ", ".join(self._pc_steps)))
            function = known.spec.get("function") if known else None
            returns = function["returns"] if function else None
            if known is None and not field.startswith("models."):
                continue  # a step added later: checked when the pipeline is complete
            problem = refs.field_problem(step, field, returns)
            if problem:
                raise error("${%s.%s}, but %s" % (step, field, problem))
        for param in refs.pipeline_params_in(value) if complete else ():
            if param not in self._pc_params:
                raise error("${pipeline.%s}, but the pipeline has no parameter %r (add_parameter: "
                            "%s)" % (param, param, ", ".join(self._pc_params) or "none"))

    def _check_references(self):
        """Called when the pipeline is complete (dag.check, before its parents= checks): every
        reference names a step, and something it has, and pipeline parameters that exist. The
        error is at the line of the referring step. Missing templates first, all raised together."""
        errors = list(self._pc_missing)
        for name, step in self._pc_steps.items():
            try:
                self._check_fields(name, step.refers, complete=True,
                                   where={"file": step.exec._file, "line": step.exec._line})
            except DefinitionError as error:
                errors.append(error)
        if errors:
            raise together(errors)

    def _add_step_node(self, name, command, spec, parents, refers, queue, time_limit,
                       continue_on_fail, continue_behaviour, cache, retry, pre, post, status,
                       node_params, node):
        where = "step %r" % (name,)
        if name in self._pc_steps:
            raise DefinitionError("duplicate step name %r" % (name,))
        if isinstance(parents, str):
            parents = [parents]
        parents = list(parents or [])
        for ref in refs.steps_in(refers):
            if ref == name:
                raise DefinitionError("%s refers to itself" % where)
            if ref not in parents:
                parents.append(ref)  # a reference to a step makes it a parent, as in ClearML
        retries, retry_cb = _retry_spec(retry, where)
        if retry is None:
            retries, retry_cb = self._pc_retry, self._pc_retry_cb
        behaviour = _continue_spec(continue_on_fail, continue_behaviour, where)
        if time_limit is not None and (isinstance(time_limit, bool)
                                       or not isinstance(time_limit, (int, float))
                                       or time_limit <= 0):
            raise DefinitionError("%s: time_limit=%r is invalid: expected seconds > 0"
                                  % (where, time_limit))
        spec.update({
            "name": name, "queue": queue, "time_limit": time_limit, "cache": bool(cache),
            "retry": retries, "retry_callback": retry_cb is not None,
            "callbacks": {"pre": pre is not None, "post": post is not None,
                          "status": status is not None},
        })
        spec.update(behaviour)
        step_node = _StepExec(command, spec)
        for key, value in node_params.items():
            if value:
                step_node.set_param(key, value)
        if time_limit is not None:
            step_node.set_param("max_time", time_limit)
        if behaviour["continue_on_fail"]:
            step_node.set_param("suppress_errors", True)
        step_node._deps = tuple(parents) or None
        self._add(name, step_node)
        node.parents, node.queue, node.timeout = parents, queue or self._pc_queue, time_limit
        node.cache_executed_step = bool(cache)
        node.continue_on_fail = behaviour["continue_on_fail"]
        node.continue_behaviour = behaviour
        step = _Step(node, None, spec)
        step.pre = _check_callback(pre, "pre_execute_callback", where)
        step.post = _check_callback(post, "post_execute_callback", where)
        step.status = _check_callback(status, "status_change_callback", where)
        step.retry = retry_cb
        step.exec, step.refers = step_node, refers
        self._pc_steps[name] = step

    # --- the DAG ------------------------------------------------------------------------------

    def get_pipeline_dag(self):
        """{step name: Node}, each Node with its parents' names."""
        return {name: step.node for name, step in self._pc_steps.items()}

    def get_processed_nodes(self):
        """Nodes that finished (completed, failed, skipped, cached, aborted)."""
        return [s.node for s in self._pc_steps.values()
                if s.node.status in ("completed", "failed", "skipped", "cached", "aborted")]

    def get_running_nodes(self):
        return [s.node for s in self._pc_steps.values()
                if s.node.status in ("queued", "running")]

    # --- running ------------------------------------------------------------------------------

    def start(self, queue=None, step_task_created_callback=None,
              step_task_completed_callback=None, wait=True, run_remotely=False,
              force_refresh=False, **_ignored):
        """Runs the pipeline through the Pipewright runner (locally, in Docker). As in ClearML it
        waits for the pipeline's end; a pipeline that did not complete ends the process with
        status 1 (ClearML's start() ends the local process too). wait=False: the control logic
        follows in a background thread and start() returns True at once (the process still
        exits 1 if the pipeline fails after the script ended). step_task_created_callback(
        pipeline, node, parameters) runs before every step (False skips it),
        step_task_completed_callback(pipeline, node) after. force_refresh=True runs cached
        steps again."""
        if step_task_created_callback is not None:
            self._pc_pre = _check_callback(step_task_created_callback,
                                           "step_task_created_callback", "start()")
        if step_task_completed_callback is not None:
            self._pc_post = _check_callback(step_task_completed_callback,
                                            "step_task_completed_callback", "start()")
        if context.capture_main:  # being evaluated (tree, --json, the callback host): stop here
            global captured
            captured = self
            main = sys.modules.get("__main__")
            if main is not None and any(v is self for v in vars(main).values()):
                raise MainCalled(None, {})

            def pipeline():
                return self
            pipeline.__name__ = "pipeline"
            raise MainCalled(pipeline, {})
        from .launch import Launch
        if self._pc_launch is not None and self._pc_launch.is_running():
            raise RuntimeError("the pipeline is already running")
        self._pc_launch = Launch(self, force_refresh=force_refresh)
        self._pc_launch.start()
        if wait:
            self.wait()
            if not self.is_successful():
                raise SystemExit(1)
        return True

    def start_locally(self, run_pipeline_steps_locally=False, force_refresh=False):
        """Runs the pipeline and waits for it to end (a failed pipeline: exit status 1)."""
        self.start(wait=True, force_refresh=force_refresh)

    def wait(self, timeout=None):
        """Waits for the pipeline to end; timeout in minutes. True if it ended."""
        if self._pc_launch is None:
            return True
        return self._pc_launch.wait(None if timeout is None else timeout * 60)

    def stop(self, timeout=None, mark_failed=False, mark_aborted=False):
        """Stops the pipeline: its running steps are killed."""
        if self._pc_launch is not None:
            self._pc_launch.stop(None if timeout is None else timeout * 60)

    def is_running(self):
        return self._pc_launch is not None and self._pc_launch.is_running()

    def is_successful(self):
        return self._pc_launch is not None and self._pc_launch.state == "done"

    def elapsed(self):
        """Minutes since the controller started; negative before it starts."""
        if self._pc_launch is None or self._pc_launch.started is None:
            return -1.0
        end = self._pc_launch.ended or time.time()
        return (end - self._pc_launch.started) / 60.0

    @property
    def id(self):
        return self._pc_launch.pipeline_id if self._pc_launch else None
