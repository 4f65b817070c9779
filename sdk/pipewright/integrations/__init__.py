"""co.integrations: Conducto's Slack and git integrations (import the one you use, or reach it
as co.integrations.slack / co.integrations.git).

They need Conducto's service; Pipewright has none, so what would talk to it prints a clear
"not configured" notice on stderr (the node's log) and goes on, and nothing fails at definition
time."""
from . import git, slack  # noqa: F401

__all__ = ["git", "slack"]
