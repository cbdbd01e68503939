"""The HTTP edge: one ASGI app (Starlette) under Hypercorn for every inbound webhook surface.

Slack's `/slack/events` lives here today and Teams' `POST /api/messages` (async SDKs) will sit
beside it, so the edge is asyncio: a stalled client costs a coroutine, not a thread. Hypercorn
closes connections that stop sending (`read_timeout`) — uvicorn 0.55 kept all such connections
open in our trial — and queues `backlog` pending connections. This module adds what every POST
surface needs before any surface code runs: a Content-Length (411), a size cap read unread (413),
a deadline for the whole body (408), a cap on requests in flight (503), and logs that name a short
reason but never carry a body. Surfaces get the raw bytes; parsing is theirs, after their own
authentication (Slack: the signature).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.config import HttpLimits

log = logging.getLogger("norcrin_bot.http")
_server_log = logging.getLogger("norcrin_bot.http.hypercorn")
_server_log.setLevel(logging.WARNING)

T = TypeVar("T")


@dataclass(frozen=True)
class Inbound:
    """A POST that passed the framing checks: raw body and lower-cased headers."""

    path: str
    headers: dict[str, str]
    body: bytes
    client: str


class Rejected(Exception):
    """A request refused at the edge; `reason` is short, safe to log and never holds the body."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


Endpoint = Callable[[Inbound, "Edge"], Awaitable[Response]]


class Edge:
    """Shared state of the running app: limits, the dispatch thread limiter, requests in flight."""

    def __init__(self, limits: HttpLimits) -> None:
        self.limits = limits
        self.in_flight = 0
        self._limiter: anyio.CapacityLimiter | None = None

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking work (bolt, the database) on the bounded dispatch thread pool."""
        if self._limiter is None:  # created inside the event loop, on first use
            self._limiter = anyio.CapacityLimiter(self.limits.threads)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)


def reject(request: Request | Inbound, status: int, reason: str) -> Response:
    """The one way a request is refused: a short reason in the log and the response, no body."""
    client = request.client if isinstance(request, Inbound) else _client(request)
    path = request.path if isinstance(request, Inbound) else request.url.path
    log.info("http %s from %s rejected %d: %s", path, client, status, reason)
    return JSONResponse({"error": reason}, status_code=status, headers={"Connection": "close"})


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


async def read_body(request: Request, limits: HttpLimits) -> bytes:
    """The whole body, or Rejected: no length 411, too large 413 (unread), too slow 408."""
    length = request.headers.get("content-length")
    if length is None:
        raise Rejected(411, "a Content-Length is required")
    if not length.isdigit():
        raise Rejected(400, "malformed Content-Length")
    if int(length) > limits.max_body:
        raise Rejected(413, f"body larger than {limits.max_body} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(limits.body_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limits.max_body:
                    raise Rejected(413, f"body larger than {limits.max_body} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise Rejected(408, f"body not received within {limits.body_timeout:g} s") from None
    except ClientDisconnect:
        raise Rejected(400, "client went away during the body") from None
    if size != int(length):
        raise Rejected(400, "body shorter than its Content-Length")
    return b"".join(chunks)


def build_web_app(
    routes: dict[str, Endpoint],
    *,
    limits: HttpLimits,
    ready: Callable[[], bool] | None = None,
) -> Starlette:
    """POST `routes` behind the framing checks, plus GET /health (alive) and /ready (database)."""
    edge = Edge(limits)

    def post_route(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            if edge.in_flight >= limits.max_in_flight:
                log.warning("http %s: %d requests in flight; 503", request.url.path,
                            edge.in_flight)
                return JSONResponse({"error": "busy"}, status_code=503,
                                    headers={"Retry-After": "1"})
            edge.in_flight += 1
            try:
                try:
                    body = await read_body(request, limits)
                except Rejected as exc:
                    return reject(request, exc.status, exc.reason)
                headers = {k.lower(): v for k, v in request.headers.items()}
                inbound = Inbound(request.url.path, headers, body, _client(request))
                try:
                    return await endpoint(inbound, edge)
                except Rejected as exc:
                    return reject(inbound, exc.status, exc.reason)
                except Exception:
                    log.exception("http %s: handler failed", request.url.path)
                    return JSONResponse({"error": "internal error"}, status_code=500)
            finally:
                edge.in_flight -= 1

        return handle

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def readiness(request: Request) -> Response:
        try:
            with anyio.fail_after(5):
                ok = await edge.run_sync(ready) if ready else True
        except Exception as exc:  # a database error is "not ready", not a traceback
            log.warning("ready check failed: %s", type(exc).__name__)
            ok = False
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/healthz", health, methods=["GET"]),
            Route("/ready", readiness, methods=["GET"]),
            *(Route(path, post_route(ep), methods=["POST"]) for path, ep in routes.items()),
        ]
    )


class WebServer:
    """Hypercorn in its own thread and event loop, on a socket bound here (port 0 = any free)."""

    def __init__(self, app: Starlette, limits: HttpLimits, host: str, port: int) -> None:
        self.app = app
        self.limits = limits
        self._sock = socket.create_server((host, port), backlog=limits.backlog,
                                          reuse_port=False)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def config(self) -> Config:
        config = Config()
        config.bind = [f"fd://{self._sock.detach()}"]
        config.backlog = self.limits.backlog
        config.read_timeout = self.limits.read_timeout  # type: ignore[assignment]
        config.keep_alive_timeout = self.limits.keep_alive
        config.graceful_timeout = 5.0
        config.accesslog = None
        config.errorlog = _server_log  # its errors; not its "Running on … (CTRL + C)" banner
        config.include_server_header = False
        return config

    def start(self) -> WebServer:
        config = self.config()

        async def until_stopped() -> None:
            while not self._stop.is_set():
                await asyncio.sleep(0.1)

        def run() -> None:
            asyncio.run(hypercorn_serve(self.app, config,  # type: ignore[arg-type]
                                        shutdown_trigger=until_stopped))

        self._thread = threading.Thread(target=run, name="http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
