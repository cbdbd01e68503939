"""`console:PERSON`: the terminal inbox. The outbox row itself is the message; `chat` shows it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.destinations import Sender, Transport
from bot.replies import Person, Reply

if TYPE_CHECKING:
    from bot.core import Services

MAX_PERSON = 200


class ConsoleSender:
    """Nothing to send: `storage.outbox.console_inbox` hands the row to the person's terminal."""

    def send(
        self, kind: str, target: str, reply: Reply, *, key: str, look_since: datetime | None
    ) -> str | None:
        return "console"

    def edit(self, kind: str, target: str, ref: str, reply: Reply) -> str | None:
        return ref


class ConsoleTransport(Transport):
    kinds = ("console",)
    usage = "console:PERSON"
    surface = "console"
    editable_kinds = ("console",)

    def validate(self, kind: str, address: str) -> str | None:
        if len(address) > MAX_PERSON or not address.isprintable():
            return f"a terminal inbox is a person id or name (printable, up to {MAX_PERSON})."
        return None

    def connect(self, services: Services) -> Sender:
        return ConsoleSender()

    def reach(self, person: Person) -> str | None:
        """Anyone: the terminal inbox is there even when no chat surface knows the person."""
        return f"console:{person.person_id or person.user_id}"
