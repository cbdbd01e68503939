"""`norcrin-bot serve`: Slack over Socket Mode, or the Events API over HTTP at /slack/events.

The HTTP server is threaded (one thread a request), hands the raw body to bolt untouched (the
signature covers the exact bytes) and answers GET /health for load balancers.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_bolt import BoltRequest

from bot.config import ConfigError, Settings
from integrations.slack.app import SlackRuntime, build_slack_app

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000


def make_http_server(runtime: SlackRuntime, host: str, port: int) -> ThreadingHTTPServer:
    app = runtime.app

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http: " + format, *args)

        def _send(self, status: int, body: bytes, headers: dict[str, Any] | None = None) -> None:
            self.send_response(status)
            content_type = "application/json"
            for name, values in (headers or {}).items():
                for value in values if isinstance(values, (list, tuple)) else [values]:
                    if name.lower() == "content-type":
                        content_type = value
                    elif name.lower() != "content-length":
                        self.send_header(name, value)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.split("?")[0] in ("/health", "/healthz"):
                self._send(200, b'{"ok": true}')
            else:
                self._send(404, b'{"error": "not found"}')

        def do_POST(self) -> None:
            if self.path.split("?")[0] != EVENTS_PATH:
                self._send(404, b'{"error": "not found"}')
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, b'{"error": "too large"}')
                return
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            headers: dict[str, str | Sequence[str]] = {}
            for name, value in self.headers.items():
                previous = headers.get(name.lower())
                headers[name.lower()] = [*previous, value] if previous else [value]
            response = app.dispatch(BoltRequest(body=raw, headers=headers))
            body = (
                response.body.encode("utf-8") if isinstance(response.body, str) else response.body
            )
            self._send(response.status, body or b"", response.headers)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


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
        for start in bot.services.extras.get("background", []):
            stops.append(start(bot, runtime))
    stop_event = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_event.set())
    try:
        if socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(runtime.app, settings.slack_app_token)
            handler.connect()
            log.info("connected to Slack over Socket Mode")
            stop_event.wait()
            handler.close()
        else:
            server = make_http_server(runtime, args.host, args.port)
            log.info(
                "serving Slack events on http://%s:%d%s",
                args.host,
                server.server_address[1],
                EVENTS_PATH,
            )
            print(
                json.dumps(
                    {"listening": f"http://{args.host}:{server.server_address[1]}{EVENTS_PATH}"}
                ),
                flush=True,
            )
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                stop_event.wait()
            finally:
                server.shutdown()
    except KeyboardInterrupt:
        pass
    finally:
        for stop in stops:
            if callable(stop):
                stop()
        runtime.pool.shutdown(wait=True, cancel_futures=False)
    return 0
