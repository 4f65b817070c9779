"""co.slack (Conducto's slack.py): text() and block() through the Slack integration, which is
not configured here (a notice on stderr)."""
import json as _json

from .integrations.slack import Slack


def text(recipient, text):
    Slack().message(recipient, text=text)


def block(recipient, json):
    Slack().message(recipient, blocks=_json.loads(json))
