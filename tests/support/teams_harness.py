"""Teams over real HTTP: our edge (Hypercorn) with the real Teams SDK behind it, the Bot
Framework stand-in on the other side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.core import Bot
from tests.support.teams_api import Activities, BotFrameworkStandIn


@dataclass
class TeamsHarness:
    url: str
    stand_in: BotFrameworkStandIn
    bot: Bot
    activities: Activities

    def post(self, activity: dict[str, Any], *, token: str | None = None,
             raw: bytes | None = None) -> httpx.Response:
        """POST an activity as the Bot Connector does (a fresh valid token unless given)."""
        if token is None:
            token = self.stand_in.inbound_token(service_url=activity.get("serviceUrl"))
        body = raw if raw is not None else json.dumps(activity).encode()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.post(self.url, content=body, headers=headers, timeout=15)


@contextmanager
def serve_teams_edge(bot: Bot, stand_in: BotFrameworkStandIn) -> Iterator[TeamsHarness]:
    """The edge with /api/messages (Teams only), on a free port."""
    from integrations.teams.handlers import forget_links
    from integrations.teams.serve import make_teams_server

    forget_links()
    server = make_teams_server(bot, "127.0.0.1", 0).start()
    try:
        yield TeamsHarness(f"http://127.0.0.1:{server.port}/api/messages", stand_in, bot,
                           Activities(stand_in.service_url))
    finally:
        server.stop()
