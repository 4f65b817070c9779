"""The one notice every integration prints for what needs a service Pipewright does not have."""
import sys


def not_configured(what, detail=""):
    """Says on stderr (the node's log) that `what` was not done, and why."""
    text = "pipewright: %s: not configured (Pipewright has no Conducto service to send it " \
           "through); not sent" % what
    sys.stderr.write(text + (": " + detail if detail else "") + "\n")
    sys.stderr.flush()
