"""co.integrations.slack.Slack, as Conducto's: message() reports that Slack is not configured."""
from .notice import not_configured


class Slack:
    def message(self, recipient, text=None, blocks=None, thread_info=None, token=None):
        """Conducto posts to its Slack integration; here: a notice, and an empty reply."""
        if text is None and blocks is None:
            raise ValueError("Must specify at least one of text and blocks")
        summary = text if text is not None else "%d block(s)" % len(blocks)
        not_configured("Slack message to %s" % (recipient,), str(summary)[:200])
        return {}


class AsyncSlack(Slack):
    async def message(self, *args, **kwargs):
        return Slack.message(self, *args, **kwargs)
