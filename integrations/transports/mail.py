"""`mail:ADDRESS[,ADDRESS]`: e-mail through Graph sendMail (one recipient in To, a list in Bcc).
Mail cannot be edited, so a changed agenda is not mailed twice."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.destinations import Sender, Transport
from integrations.graph.teams import GraphSender, graph_link

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import Services
    from bot.replies import Person

_ADDRESS = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
MAX_RECIPIENTS = 500


class MailTransport(Transport):
    kinds = ("mail",)
    usage = "mail:ADDRESS[,ADDRESS]"
    surface = "mail"  # a directory person's e-mail address is their handle here

    def validate(self, kind: str, address: str) -> str | None:
        addresses = [a.strip() for a in address.split(",") if a.strip()]
        bad = [a for a in addresses if not _ADDRESS.fullmatch(a)]
        if not addresses or bad:
            return "mail takes e-mail addresses separated by commas (mail:a@hus.no,b@hus.no)."
        if len(addresses) > MAX_RECIPIENTS:
            return f"at most {MAX_RECIPIENTS} addresses in one mail destination."
        return None

    def connect(self, services: Services) -> Sender:
        return GraphSender(graph_link(services).gateway(), services.settings)

    def reach(self, person: Person) -> str | None:
        """A directory person's own address (a `Person` of platform "mail")."""
        if person.platform == "mail" and _ADDRESS.fullmatch(person.user_id or ""):
            return f"mail:{person.user_id}"
        return None

    def enabled(self, settings: Settings) -> bool:
        """Mail goes out only with a Graph sender mailbox (`GRAPH_MAIL_SENDER`)."""
        return bool(settings.graph_mail_sender)
