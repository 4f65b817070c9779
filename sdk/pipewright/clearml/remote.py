"""`task.execute_remotely()` outside a pipeline step: ClearML enqueues the script's task for an
agent and ends the local process. Here the runner is the agent: the script becomes a pipeline of
one step that runs `python3 SCRIPT` in a container (its connected parameters as the step's, so
`task.connect()` there gets them), and this process is replaced by `pipewright run SCRIPT`. When
the runner evaluates the script (capture mode) the same call gives it that one-step pipeline."""
import os
import re
import sys

from .. import context, handoff
from ..errors import DefinitionError


def _script():
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.abspath(path) if path else None


def one_step_pipeline(task, script):
    """The PipelineController a script's execute_remotely() stands for."""
    from .controller import PipelineController
    from .task import Task, _task_id
    folder = context.definition_dir or os.path.dirname(script)
    rel = os.path.relpath(script, folder).replace(os.sep, "/")
    name = task.name or os.path.splitext(os.path.basename(script))[0]
    step = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "task"
    template = Task(_task_id(task.project, name), task.project, name,
                    command="python3 %s" % rel, parameters=dict(task.parameters))
    template.script = rel
    Task._registry[template.id] = template
    pipe = PipelineController(name=name, project=task.project or None)
    pipe.add_step(step, base_task_id=template.id)
    return pipe


def hand_over(task):
    script = _script()
    if script is None:
        raise DefinitionError("execute_remotely(): the runner runs a script file; this Python "
                              "session has none")
    if context.capture_main:  # the runner evaluates the script: this is its pipeline
        one_step_pipeline(task, script).start()  # raises MainCalled
    sys.stdout.flush()
    sys.stderr.flush()
    problem = handoff.run_with_cli(script, None, [])  # returns only if it could not
    raise SystemExit("execute_remotely(): %s" % problem)
