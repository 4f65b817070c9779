"""Pipeline parameters given when a run starts: `pipewright run FILE --param NAME=VALUE`, and
`python3 pipeline.py --param NAME=VALUE` (start() passes them on to the runner). The value
replaces the add_parameter default: it is what ${pipeline.NAME} resolves to and what
get_parameters() says, in the callbacks too (the runner gives the controller host the values in
$PIPEWRIGHT_PIPELINE_PARAMETERS)."""
import json

from ..errors import ArgumentError

FLAG = "--param"
ENV = "PIPEWRIGHT_PIPELINE_PARAMETERS"

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
_TYPES = {"bool": bool, "int": int, "float": float, "str": str, "list": list, "dict": dict}


def from_argv(argv):
    """(the `NAME=VALUE` texts of every --param, the other words) of a command line."""
    given, rest = [], []
    words = iter(argv)
    for word in words:
        if word == FLAG:
            value = next(words, None)
            if value is None:
                raise ArgumentError("--param needs NAME=VALUE", file="<command line>", line=1)
            given.append(value)
        elif word.startswith(FLAG + "="):
            given.append(word[len(FLAG) + 1:])
        else:
            rest.append(word)
    return given, rest


def _type_of(entry):
    hint = entry.get("type")
    if isinstance(hint, str):
        hint = _TYPES.get(hint.lower())
    if isinstance(hint, type) and hint in _TYPES.values():
        return hint
    default = entry.get("default")
    return None if default is None else type(default)


def cast(text, entry):
    """The value of a --param text for a parameter: cast to its param_type, else to its default's
    type (a text for a str or None default). Raises ValueError saying what was expected."""
    kind = _type_of(entry)
    if kind is None or kind is str:
        return text
    if kind is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError("expected true or false")
    if kind in (int, float):
        return kind(text)
    value = json.loads(text)
    if not isinstance(value, kind):
        raise ValueError("expected a JSON %s" % kind.__name__)
    return value


def apply(controller, given):
    """Sets the parameters of `NAME=VALUE` texts on a PipelineController; ArgumentError (at the
    line of its add_parameter, or of the controller) for an unknown name or a bad value."""
    params = controller._pc_params
    for text in given:
        name, eq, value = text.partition("=")
        if not eq or not name:
            raise ArgumentError("--param %s: expected NAME=VALUE" % text,
                                file=controller._file, line=controller._line)
        entry = params.get(name)
        if entry is None:
            raise ArgumentError("--param %s: the pipeline has no parameter %r (add_parameter: %s)"
                                % (text, name, ", ".join(sorted(params)) or "none"),
                                file=controller._file, line=controller._line)
        try:
            entry["value"] = cast(value, entry)
        except ValueError as e:
            raise ArgumentError("--param %s: %s (the default is %r)" % (text, e, entry["default"]),
                                file=entry["file"], line=entry["line"])


def check_target(result, given, file):
    """--param is for the parameters of a PipelineController, or of a PipelineDecorator pipeline
    (its function's arguments); anything else is an error."""
    from .controller import PipelineController
    from .decorator import DecoratedRoot
    if not isinstance(result, (PipelineController, DecoratedRoot)):
        raise ArgumentError("--param sets parameters of a PipelineController (add_parameter); this "
                            "pipeline is not one (a pipeline function takes --NAME=VALUE)",
                            file=file, line=1)
    apply(result, given)
