"""`serve --http` with Teams: `POST /api/messages` on the same edge as `/slack/events`, or alone
when Slack is not configured."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from bot.config import Settings
from bot.core import Bot
from integrations.teams.app import MESSAGES_PATH
from integrations.teams.build import build_teams_app
from integrations.web import Endpoint, WebServer, build_web_app

log = logging.getLogger(__name__)


def teams_routes(bot: Bot) -> dict[str, Endpoint]:
    """{"/api/messages": endpoint} when Teams is configured, else {}."""
    if not bot.services.settings.teams_enabled:
        return {}
    return {MESSAGES_PATH: build_teams_app(bot).endpoint()}


def make_teams_server(bot: Bot, host: str, port: int) -> WebServer:
    """The edge with Teams only (no Slack configured), not yet started."""
    db = bot.services.db

    def ready() -> bool:
        with db.session() as session:
            session.execute(text("SELECT 1"))
        return True

    settings = bot.services.settings
    app = build_web_app(teams_routes(bot), limits=settings.http, ready=ready)
    return WebServer(app, settings.http, host, port)


def serve_teams(args: argparse.Namespace, settings: Settings, open_bot: Callable[..., Any]) -> int:
    bot = open_bot(settings)
    stops = [] if args.no_worker else [start(bot, None)
                                       for start in bot.services.background]
    stop_event = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_event.set())
    server = make_teams_server(bot, args.host, args.port)
    url = f"http://{args.host}:{server.port}{MESSAGES_PATH}"
    log.info("serving Teams activities on %s", url)
    print(json.dumps({"listening": url}), flush=True)
    server.start()
    try:
        stop_event.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for stop in stops:
            if callable(stop):
                stop()
    return 0
