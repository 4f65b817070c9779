"""References in step parameters and commands, as ClearML writes them:

    ${stage1.artifacts.mydata.url}   a path to the artifact, readable in the step's container
    ${stage1.artifacts.mydata}       the same
    ${stage1.parameters.Args/x}      a parameter of stage1 as it ran
    ${stage1.id}                     stage1's task id
    ${stage1.answer}                 a function step's return value `answer` (its artifact)
    ${pipeline.lr}                   a pipeline parameter (add_parameter)
    ${Args/x}                        in a command: this step's own parameter

ClearML's ${stage1.models.output.-1.url} is refused: there is no model registry here.
A reference to another step makes it a parent of the step (as in ClearML). The runner resolves
them when the step starts (runner/clearml/references.ts)."""
import re

REF = re.compile(r"\$\{([^{}]+)\}")


def kind_of(inner):
    """("pipeline", name) | ("own", "Section/name") | ("step", step name) | (None, None)."""
    dot, slash = inner.find("."), inner.find("/")
    if slash != -1 and (dot == -1 or slash < dot):
        return "own", inner
    if dot <= 0:
        return None, None  # ${HOME}: a shell variable, left alone
    head = inner[:dot]
    if head == "pipeline":
        return "pipeline", inner[dot + 1:]
    return "step", head


def _inner_refs(value):
    """The text inside every ${...} of a value (str, or lists/dicts of them), in order."""
    found = []

    def walk(v):
        if isinstance(v, str):
            found.extend(m.group(1) for m in REF.finditer(v))
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item)

    walk(value)
    return found


def pipeline_params_in(value):
    """Names of the pipeline parameters a value refers to (${pipeline.NAME})."""
    return [name for kind, name in map(kind_of, _inner_refs(value)) if kind == "pipeline"]


def steps_in(value):
    """Names of the steps a value (str, or lists/dicts of them) refers to, in order."""
    found = []
    for name, _field in step_fields_in(value):
        if name not in found:
            found.append(name)
    return found


def step_fields_in(value):
    """(step name, what follows `step.`) for every step reference in a value (str, list, dict)."""
    found = []
    for inner in _inner_refs(value):
        kind, name = kind_of(inner)
        if kind == "step":
            found.append((name, inner[len(name) + 1:]))
    return found


def field_problem(step, field, returns):
    """Why `${step.FIELD}` names nothing of a step with these function returns (None: it is fine)."""
    if field.startswith("models."):
        return ("models are not supported (there is no model registry): store the model as an "
                "artifact (upload_artifact, or a function_return) and refer to "
                "${%s.artifacts.NAME.url}" % step)
    if field == "id" or field.startswith("artifacts.") or field.startswith("parameters."):
        return None
    if field in ("artifacts", "parameters"):
        return "%s needs a name: ${%s.%s.NAME}" % (field, step, field)
    if returns is None:
        return ("step %r is a task step: refer to ${%s.id}, ${%s.artifacts.NAME} or "
                "${%s.parameters.Section/NAME}" % (step, step, step, step))
    if field in returns:
        return None
    return "step %r has no return value %r (function_return: %s)" % (
        step, field, ", ".join(returns) or "none")


def section_key(key):
    """ClearML parameter names carry a section: `lr` is `Args/lr`."""
    key = str(key)
    return key if "/" in key else "Args/" + key


def env_name(key):
    """`Args/lr` -> PIPEWRIGHT_PARAM_ARGS_LR (the step's environment)."""
    return "PIPEWRIGHT_PARAM_" + re.sub(r"[^A-Za-z0-9]", "_", key).upper()
