"""Node.on_done / on_error / on_queued / on_running / on_killed / on_state_change (Conducto's
node events). Kept beside the node, not in its slots: few nodes have callbacks, so a million
nodes cost nothing more."""
import json

from .callback import base
from .errors import DefinitionError

# node -> [(event, callback)], in the order they were registered.
_registered = {}

EVENTS = ("queued", "running", "done", "error", "killed", "state_change")


def _add(node, event, callback, method):
    if not isinstance(callback, base):
        raise DefinitionError("%s.%s(%r) is invalid: expected a callback such as "
                              "co.callback.retry(3)" % (node.path(), method, callback))
    try:
        json.dumps(callback.to_literal())
    except (TypeError, ValueError) as err:
        raise DefinitionError("%s.%s(%r): its arguments must be JSON values (str, numbers, "
                              "lists, dicts, nodes): %s" % (node.path(), method, callback, err)) \
            from None
    _registered.setdefault(node, []).append((event, callback))


def callbacks_of(node):
    """[{"event", "name", "args"}] of a node (JSON-ready), or None without any."""
    entries = _registered.get(node)
    if not entries:
        return None
    out = []
    for event, cb in entries:
        name, args = cb.to_literal()
        out.append({"event": event, "name": name, "args": args})
    return out


class CallbackMethods:
    """Mixed into Node."""
    __slots__ = ()

    def on_done(self, callback):
        """Run `callback` when this node enters the done state."""
        _add(self, "done", callback, "on_done")

    def on_error(self, callback):
        _add(self, "error", callback, "on_error")

    def on_queued(self, callback):
        _add(self, "queued", callback, "on_queued")

    def on_running(self, callback):
        _add(self, "running", callback, "on_running")

    def on_killed(self, callback):
        _add(self, "killed", callback, "on_killed")

    def on_state_change(self, callback):
        _add(self, "state_change", callback, "on_state_change")
