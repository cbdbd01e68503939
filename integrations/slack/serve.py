"""`norcrin-bot serve`: Slack over Socket Mode, or the Events API over HTTP at /slack/events.

HTTP runs on the ASGI edge (`integrations.web`: Hypercorn + Starlette) that will also host Teams;
it answers GET /health (alive) and GET /ready (database reachable) for load balancers.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from bot.config import ConfigError, Settings
from integrations.slack.app import SlackRuntime, build_slack_app
from integrations.slack.http import EVENTS_PATH, slack_endpoint
from integrations.web import WebServer, build_web_app

log = logging.getLogger(__name__)


def make_http_server(runtime: SlackRuntime, host: str, port: int) -> WebServer:
    """The edge app with /slack/events, not yet started (`.start()`; `.port` is bound)."""
    settings = runtime.bot.services.settings
    db = runtime.bot.services.db

    def ready() -> bool:
        with db.session() as session:
            session.execute(text("SELECT 1"))
        return True

    app = build_web_app(
        {EVENTS_PATH: slack_endpoint(runtime, settings.slack_signing_secret or "")},
        limits=settings.http,
        ready=ready,
    )
    return WebServer(app, settings.http, host, port)


def serve(args: argparse.Namespace, settings: Settings, open_bot: Callable[..., Any]) -> int:
    socket_mode = bool(settings.slack_app_token) and not args.http
    if not socket_mode and not args.http:
        raise ConfigError(
            "set SLACK_APP_TOKEN for Socket Mode, or run `norcrin-bot serve --http --port N`."
        )
    settings.require_slack(socket_mode=socket_mode)
    bot = open_bot(settings)
    runtime = build_slack_app(bot, socket_mode=socket_mode)
    stops = []
    if not args.no_worker:
        for start in bot.services.background:
            stops.append(start(bot, runtime))
    stop_event = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_event.set())
    try:
        if socket_mode:
            # lazy: heavy optional dependency (Socket Mode)
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(runtime.app, settings.slack_app_token)
            handler.connect()
            log.info("connected to Slack over Socket Mode")
            stop_event.wait()
            handler.close()
        else:
            server = make_http_server(runtime, args.host, args.port)
            url = f"http://{args.host}:{server.port}{EVENTS_PATH}"
            log.info("serving Slack events on %s", url)
            print(json.dumps({"listening": url}), flush=True)
            server.start()
            try:
                stop_event.wait()
            finally:
                server.stop()
    except KeyboardInterrupt:
        pass
    finally:
        for stop in stops:
            if callable(stop):
                stop()
        runtime.pool.shutdown(wait=True, cancel_futures=False)
    return 0
