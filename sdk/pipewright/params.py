"""Node params: names, defaults, which are inherited, and validation of user values."""
import re

from .errors import DefinitionError
from .image import Image

# JSON order of params (docs/pipeline-json.md).
ORDER = ("cpu", "gpu", "mem", "env", "image", "requires_docker", "max_time",
         "container_reuse_context", "skip", "suppress_errors", "stop_on_error",
         "max_concurrent", "doc", "title", "tags", "backend", "placement")
RANK = {name: i for i, name in enumerate(ORDER)}

DEFAULTS = {
    "cpu": 1, "gpu": 0, "mem": 2, "env": {}, "image": None, "requires_docker": False,
    "max_time": 14400, "container_reuse_context": None, "skip": False,
    "suppress_errors": False, "stop_on_error": True, "max_concurrent": None,
    "doc": None, "title": None, "tags": [], "backend": None, "placement": None,
}

# Looked up through the parents when not set (env is merged parent -> child). Pipewright's own
# backend (the backend profile a subtree runs on, e.g. its heavy steps on a swarm) and placement
# (swarm placement constraints, e.g. ["node.labels.gpu==true"]) are inherited too.
INHERITED = frozenset(ORDER[:8] + ("backend", "placement"))

# Left out of the JSON while unset, so definitions that never name one read as before.
OMITTED_WHEN_NONE = frozenset(["backend", "placement"])

# Params every node type accepts; stop_on_error and max_concurrent belong to some types only.
COMMON = frozenset(ORDER) - {"stop_on_error", "max_concurrent"} | {"same_container"}

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _whole(seconds):
    return int(seconds) if float(seconds).is_integer() else seconds


def parse_max_time(value):
    """Seconds from 90, 90.5, "90", "30m", "4h", "1d", "1h30m"; None when unparsable."""
    if _is_number(value):
        return _whole(value) if value > 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        seconds = float(text)
    elif text and re.fullmatch(r"(?:\d+(?:\.\d+)?\s*[smhd]\s*)+", text):
        seconds = sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))
    else:
        return None
    return _whole(seconds) if seconds > 0 else None


# Strings Conducto reads as booleans (its shared/types.py Bool): these are false, and so is
# every other string there; we take only the usual true words, so a typo is an error.
_FALSE_WORDS = frozenset(["", "0", "n", "none", "false", "f", "0.0"])
_TRUE_WORDS = frozenset(["1", "y", "yes", "true", "t", "on", "1.0"])


def parse_bool(value):
    """True/False from a bool or a boolean string ("False", "true", "0"...); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _FALSE_WORDS:
            return False
        if word in _TRUE_WORDS:
            return True
    return None


def _fail(name, value, expected):
    raise DefinitionError("%s=%r is invalid: expected %s" % (name, value, expected))


def validate(name, value):
    """The stored form of a param value; raises DefinitionError on a bad one (None = not set)."""
    if name == "cpu":
        if not _is_number(value) or value < 0:
            _fail(name, value, "a number >= 0")
    elif name == "gpu":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            _fail(name, value, "an integer >= 0")
    elif name == "mem":
        if not _is_number(value) or value <= 0:
            _fail(name, value, "a number > 0 (GB)")
    elif name == "env":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            _fail(name, value, "a dict of str to str")
        return dict(value)
    elif name == "image":
        if isinstance(value, str):
            return Image(value)
        if not isinstance(value, Image):
            _fail(name, value, "an image name (str) or co.Image")
    elif name in ("requires_docker", "skip", "suppress_errors", "stop_on_error"):
        flag = parse_bool(value)
        if flag is None:
            _fail(name, value, 'True or False (or a string such as "true", "False", "0")')
        return flag
    elif name == "max_time":
        seconds = parse_max_time(value)
        if seconds is None:
            _fail(name, value, 'seconds > 0 or a duration such as "30m", "4h", "1d", "1h30m"')
        return seconds
    elif name == "max_concurrent":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            _fail(name, value, "an integer >= 1")
    elif name == "container_reuse_context":
        if not isinstance(value, str) or not value.strip():
            _fail(name, value, "co.ContainerReuseContext.NEW or .GLOBAL (or a context name)")
    elif name == "backend":
        if not isinstance(value, str) or not value.strip():
            _fail(name, value, "the name of a backend profile (PIPEWRIGHT_BACKENDS or the pipewright.backends setting)")
        return value.strip()
    elif name == "placement":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not value or not all(
                isinstance(c, str) and re.search(r"(==|!=)", c) for c in value):
            _fail(name, value, 'swarm placement constraints such as "node.labels.gpu==true" (a string or a list of them)')
        return [c.strip() for c in value]
    elif name in ("doc", "title"):
        if not isinstance(value, str):
            _fail(name, value, "a string")
    elif name == "tags":
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(
                isinstance(t, str) for t in value):
            _fail(name, value, "a list of strings")
        return list(value)
    return value
