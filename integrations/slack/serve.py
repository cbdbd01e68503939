"""`norcrin-bot serve`: Slack over Socket Mode, or the Events API over HTTP at /slack/events.

HTTP runs on the ASGI edge (`integrations.web`: Hypercorn + Starlette) that will also host Teams;
it answers GET /health (alive) and GET /ready (database reachable) for load balancers.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from bot.config import ConfigError, Settings
from integrations.slack.app import SlackRuntime, build_slack_app
from integrations.slack.http import EVENTS_PATH, slack_endpoint
from integrations.slack.inbox import AnswerWorkers, InboxWriter
from integrations.web import WebServer, build_web_app
from storage.inbox import inbox_database

log = logging.getLogger(__name__)


def make_http_server(
    runtime: SlackRuntime, host: str, port: int, *, answering: AnswerWorkers | None = None
) -> WebServer:
    """The edge app with /slack/events, not yet started (`.start()`; `.port` is bound).
    `answering`: Events API callbacks go to the inbox for these answer processes."""
    settings = runtime.bot.services.settings
    db = runtime.bot.services.db
    to_inbox = (
        InboxWriter(inbox_database(db), runtime.bot.services.clock, on_stored=answering.ring)
        if answering is not None else None
    )

    def ready() -> bool:
        with db.session() as session:
            session.execute(text("SELECT 1"))
        return True

    routes = {EVENTS_PATH: slack_endpoint(runtime, settings.slack_signing_secret or "",
                                          hand_off=to_inbox.put if to_inbox else None)}
    if settings.teams_enabled:  # the Teams SDK is heavy: imported only when configured
        from integrations.teams.serve import teams_routes

        routes.update(teams_routes(runtime.bot))
    app = build_web_app(
        routes,
        limits=settings.http,
        ready=ready,
    )
    return WebServer(app, settings.http, host, port)


def _workers(args: argparse.Namespace) -> int:
    """`--workers N` (default: one per core); 0 answers in the edge process itself."""
    count = getattr(args, "workers", None)
    if count is None:
        return os.cpu_count() or 1
    if count < 0:
        raise ConfigError("--workers must be 0 or more.")
    return int(count)


def serve(args: argparse.Namespace, settings: Settings, open_bot: Callable[..., Any]) -> int:
    if settings.teams_app_id and not settings.teams_enabled:
        log.warning("TEAMS_APP_ID is set without TEAMS_APP_PASSWORD or TEAMS_CERT_PATH: "
                    "Teams activities are not served")
    if args.http and settings.teams_enabled and not settings.slack_enabled:
        from integrations.teams.serve import serve_teams  # Teams alone (heavy SDK, on demand)

        return serve_teams(args, settings, open_bot)
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
            count = _workers(args)
            lease = float(getattr(args, "lease", 30.0) or 30.0)
            answering = (
                AnswerWorkers(open_bot, settings, count, inbox_db=inbox_database(bot.services.db),
                              lease=lease).start() if count else None
            )
            server = make_http_server(runtime, args.host, args.port, answering=answering)
            gc.collect()
            gc.freeze()  # the bot's start-up heap is never garbage: keep collections off it
            url = f"http://{args.host}:{server.port}{EVENTS_PATH}"
            log.info("serving Slack events on %s (%d answer processes)", url, count)
            print(json.dumps({"listening": url}), flush=True)
            server.start()
            try:
                stop_event.wait()
            finally:
                server.stop()  # no more acks, then the answer processes finish what they hold
                if answering is not None:
                    answering.stop()
    except KeyboardInterrupt:
        pass
    finally:
        for stop in stops:
            if callable(stop):
                stop()
        runtime.pool.shutdown(wait=True, cancel_futures=False)
    return 0
