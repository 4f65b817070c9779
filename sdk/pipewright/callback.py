"""co.callback: what the runner does when a node enters a state (Conducto's callback.py).

Register one with node.on_error(co.callback.retry(3)) and the like (node_callbacks.py). Each is
a name and keyword arguments, written to the pipeline JSON as {"event", "name", "args"}; the
runner carries them out (runner/callbacks/): retry, retry_then_skip, retry_with_double_mem,
handle_memory_errors and skip_some_errors for real; email, slack_status, github_status and
github_pipeline_status need an outside service, so the runner reports them as not configured."""
from .errors import DefinitionError


class base:
    """A callback: its name and arguments (Conducto's callback.base)."""

    def __init__(self, name, **kwargs):
        self.name = name
        self.kwargs = kwargs

    def to_literal(self):
        """[name, args], nodes given as arguments written as their paths (as in Conducto)."""
        from .node import Node
        args = {k: (v.path() if isinstance(v, Node) else v) for k, v in self.kwargs.items()}
        return [self.name, args]

    def __repr__(self):
        return "co.callback.%s(%s)" % (self.name, ", ".join(
            "%s=%r" % kv for kv in sorted(self.kwargs.items())))


def _count(func, name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DefinitionError("co.callback.%s(%s=%r) is invalid: expected an integer >= 0"
                              % (func, name, value))
    return value


def _flags(inherited, user_display):
    return {"inherited": bool(inherited), "user_display": bool(user_display)}


def _parse(cb_literal):
    """A callback from its [name, args] form."""
    name, cb_kwargs = cb_literal
    func = _BY_NAME.get(name)
    if func is None:
        raise DefinitionError("unknown callback %r" % (name,))
    return func(**cb_kwargs)


def deserialize_into_node(target):
    return base("deserialize_into_node", target=target)


def retry(max_num_retries, *, inherited=False, user_display=True):
    """If the node does not succeed, run it again, at most max_num_retries times."""
    return base("retry", max_num_retries=_count("retry", "max_num_retries", max_num_retries),
                **_flags(inherited, user_display))


def retry_then_skip(max_num_retries, *, inherited=False, user_display=True):
    """retry, then skip the node when it still fails."""
    return base("retry_then_skip",
                max_num_retries=_count("retry_then_skip", "max_num_retries", max_num_retries),
                **_flags(inherited, user_display))


def retry_with_double_mem(max_num_retries, *, inherited=False, user_display=True):
    """retry with twice the memory each time (capped at what the machine has)."""
    return base("retry_with_double_mem",
                max_num_retries=_count("retry_with_double_mem", "max_num_retries",
                                       max_num_retries),
                **_flags(inherited, user_display))


def skip_some_errors(max_num_errors, *, inherited=False, user_display=True):
    """If at most max_num_errors Exec nodes below failed, skip them (their errors are ignored)."""
    return base("skip_some_errors",
                max_num_errors=_count("skip_some_errors", "max_num_errors", max_num_errors),
                **_flags(inherited, user_display))


def email(to=None, cc=None, *, inherited=False, user_display=True):
    """A summary email (needs a mail service: reported as not configured)."""
    return base("email", to=to, cc=cc, **_flags(inherited, user_display))


def slack_status(recipient, message=None, node_summary=False, *, inherited=False,
                 user_display=True):
    """A Slack message (needs Conducto's Slack integration: reported as not configured)."""
    return base("slack_status", recipient=recipient, message=message,
                node_summary=node_summary, **_flags(inherited, user_display))


def github_status(url, sha, *, inherited=False, user_display=True):
    return base("github_status", url=url, sha=sha, **_flags(inherited, user_display))


def github_pipeline_status(url, sha, *, inherited=False, user_display=True):
    return base("github_pipeline_status", url=url, sha=sha, **_flags(inherited, user_display))


def handle_memory_errors(mem_limits=(8, 32), max_duration=3600, *, inherited=False,
                         user_display=True):
    """After an out-of-memory error, retry with more memory within mem_limits (GB): below the
    lower bound always, up to the upper bound once; not when the run took max_duration s."""
    try:
        low, high = (float(x) for x in mem_limits)
    except (TypeError, ValueError):
        raise DefinitionError("co.callback.handle_memory_errors(mem_limits=%r) is invalid: "
                              "expected (low, high) in GB" % (mem_limits,)) from None
    if not 0 < low <= high:
        raise DefinitionError("co.callback.handle_memory_errors(mem_limits=%r) is invalid: "
                              "expected 0 < low <= high" % (mem_limits,))
    if isinstance(max_duration, bool) or not isinstance(max_duration, (int, float)) \
            or max_duration <= 0:
        raise DefinitionError("co.callback.handle_memory_errors(max_duration=%r) is invalid: "
                              "expected seconds > 0" % (max_duration,))
    return base("handle_memory_errors", mem_limits=[low, high], max_duration=max_duration,
                **_flags(inherited, user_display))


_BY_NAME = {f.__name__: f for f in (
    deserialize_into_node, retry, retry_then_skip, retry_with_double_mem, skip_some_errors,
    email, slack_status, github_status, github_pipeline_status, handle_memory_errors)}
