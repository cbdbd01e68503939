"""`slack:CHANNEL` and `slack-user:USER` (a DM): chat.postMessage / chat.update.

The sender is `integrations.slack.outbox.SlackSender` (no hidden retries; looks for an earlier
try by the outbox key in message metadata before posting again).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.destinations import Sender, Transport
from bot.replies import Person

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import Services

# Channel ids (C…, G…, D…) or a channel name; user ids (U…, W…). No spaces, no markup.
_CHANNEL = re.compile(r"#?[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
_USER = re.compile(r"[A-Za-z0-9]{1,40}")
# A bare id that is a Slack user's rather than a directory person's: U… or W…, upper case.
_BARE_USER = re.compile(r"[UW][A-Z0-9]+")


class SlackTransport(Transport):
    kinds = ("slack", "slack-user")
    usage = "slack:CHANNEL, slack-user:USER"
    surface = "slack"
    editable_kinds = ("slack", "slack-user")

    def validate(self, kind: str, address: str) -> str | None:
        if kind == "slack-user":
            return None if _USER.fullmatch(address) else "a Slack user is an id such as U0123ABC."
        if not _CHANNEL.fullmatch(address):
            return "a Slack channel is an id such as C0123ABC (or a channel name, no spaces)."
        return None

    def connect(self, services: Services) -> Sender:
        # lazy: heavy optional dependency (slack_sdk)
        from integrations.slack.outbox import SlackSender

        return SlackSender.from_settings(services.settings)

    def reach(self, person: Person) -> str | None:
        """A Slack user by DM; people of other surfaces are not reachable here."""
        if person.platform == "slack" and _USER.fullmatch(person.user_id or ""):
            return f"slack-user:{person.user_id}"
        return None

    def recognise(self, user_id: str) -> str | None:
        """`U0123ABC` (a meeting's `--owner`) is a Slack user, reached by DM."""
        return f"slack-user:{user_id}" if _BARE_USER.fullmatch(user_id) else None

    def enabled(self, settings: Settings) -> bool:
        return settings.slack_enabled
