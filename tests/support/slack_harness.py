"""The real bolt app behind the real HTTP edge (Hypercorn, real sockets), as Slack drives it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bot.core import Bot
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_signing import SlackClientHTTP

SIGNING_SECRET = "test-signing-secret"


@dataclass
class SlackHarness:
    """The real bolt app behind a real HTTP server, talking to the fake Slack Web API."""

    url: str
    http: SlackClientHTTP
    fake: FakeSlackAPI
    bot: Bot
    runtime: Any


@contextmanager
def serve_slack(bot: Bot, fake: FakeSlackAPI) -> Iterator[SlackHarness]:
    """Serve `bot`'s real bolt app over HTTP on a free port; its Web API calls go to `fake`."""
    from integrations.slack.app import build_slack_app
    from integrations.slack.client import make_web_client
    from integrations.slack.serve import make_http_server

    runtime = build_slack_app(bot, client=make_web_client(bot.services.settings))
    server = make_http_server(runtime, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{server.port}/slack/events"
    try:
        yield SlackHarness(url, SlackClientHTTP(url, SIGNING_SECRET), fake, bot, runtime)
    finally:
        server.stop()
        runtime.pool.shutdown(wait=True)
