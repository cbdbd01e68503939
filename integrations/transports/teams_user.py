"""`teams-user:ENTRA_OBJECT_ID`: a proactive 1:1 post in Teams to someone who installed the bot
(or wrote to it), through the Bot Connector. Posts can be edited in place.

The sender is `integrations.teams.outbox.TeamsSender` (no hidden retries; a post whose outcome
is unknown is never sent twice). People of the Teams surface are reached here directly.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.destinations import Sender, Transport
from bot.replies import Person

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import Services

# An Entra object id is a GUID; tests and other tenants' tools use shorter opaque ids, so any
# id of letters, digits and dashes is taken.
_OBJECT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,79}")


class TeamsUserTransport(Transport):
    kinds = ("teams-user",)
    usage = "teams-user:ENTRA_OBJECT_ID"
    surface = "teams"
    editable_kinds = ("teams-user",)

    def validate(self, kind: str, address: str) -> str | None:
        if not _OBJECT_ID.fullmatch(address):
            return "a Teams user is an Entra object id (a GUID)."
        return None

    def connect(self, services: Services) -> Sender:
        # lazy: heavy optional dependency (the Teams SDK)
        from integrations.teams.outbox import TeamsSender

        return TeamsSender.from_services(services)

    def enabled(self, settings: Settings) -> bool:
        return settings.teams_enabled

    def reach(self, person: Person) -> str | None:
        """A Teams user in their 1:1 chat with the bot (the user id is the Entra object id)."""
        if person.platform == "teams" and _OBJECT_ID.fullmatch(person.user_id or ""):
            return f"teams-user:{person.user_id}"
        return None
