"""References in step parameters and commands, as ClearML writes them:

    ${stage1.artifacts.mydata.url}   a path to the artifact, readable in the step's container
    ${stage1.artifacts.mydata}       the same
    ${stage1.parameters.Args/x}      a parameter of stage1 as it ran
    ${stage1.id}                     stage1's task id
    ${stage1.answer}                 a function step's return value `answer` (its artifact)
    ${pipeline.lr}                   a pipeline parameter (add_parameter)
    ${Args/x}                        in a command: this step's own parameter

A reference to another step makes it a parent of the step (as in ClearML). The runner resolves
them when the step starts (extension/runner/clearml/references.ts)."""
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


def steps_in(value):
    """Names of the steps a value (str, or lists/dicts of them) refers to, in order."""
    found = []

    def walk(v):
        if isinstance(v, str):
            for m in REF.finditer(v):
                kind, name = kind_of(m.group(1))
                if kind == "step" and name not in found:
                    found.append(name)
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item)

    walk(value)
    return found


def section_key(key):
    """ClearML parameter names carry a section: `lr` is `Args/lr`."""
    key = str(key)
    return key if "/" in key else "Args/" + key


def env_name(key):
    """`Args/lr` -> PIPEWRIGHT_PARAM_ARGS_LR (the step's environment)."""
    return "PIPEWRIGHT_PARAM_" + re.sub(r"[^A-Za-z0-9]", "_", key).upper()
