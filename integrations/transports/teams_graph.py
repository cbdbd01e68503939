"""`teams:TEAM_ID/CHANNEL_ID`: a Teams channel message through Microsoft Graph (editable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.destinations import Sender, Transport
from integrations.graph.teams import GraphSender, graph_link

if TYPE_CHECKING:
    from bot.core import Services


class TeamsGraphTransport(Transport):
    kinds = ("teams",)
    usage = "teams:TEAM/CHANNEL"
    editable_kinds = ("teams",)

    def validate(self, kind: str, address: str) -> str | None:
        team, _, channel = address.partition("/")
        if not team.strip() or not channel.strip() or any(c.isspace() for c in address):
            return "Teams destinations are teams:TEAM_ID/CHANNEL_ID."
        return None

    def connect(self, services: Services) -> Sender:
        return GraphSender(graph_link(services).gateway(), services.settings)
