"""Shared plumbing for the local stand-in servers (standard library only).

The fakes are real HTTP servers on 127.0.0.1 with a free port, so the bot's own HTTP stacks
(urllib in slack_sdk, httpx + kiota middleware in msgraph-sdk) run unmodified in tests.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["Headers", "LocalHTTPServer", "Request", "Response", "json_response"]


class Headers(dict[str, str]):
    """A plain dict with lower-cased keys whose lookups ignore case, like HTTP itself."""

    def __init__(self, items: Iterable[tuple[str, str]] | dict[str, str] = ()) -> None:
        pairs = items.items() if isinstance(items, dict) else items
        super().__init__((k.lower(), v) for k, v in pairs)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class Request:
    """One parsed inbound request, handed to `LocalHTTPServer.handle`."""

    method: str
    raw_path: str
    path: str
    query: dict[str, str]
    headers: Headers
    body: bytes

    def json(self) -> Any:
        """Decode a JSON body; None when the body is empty."""
        return json.loads(self.body) if self.body.strip() else None


@dataclass
class Response:
    """What a fake answers; `delay` sleeps before answering (slow-upstream tests)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Build a JSON `Response`."""
    hdrs = {"Content-Type": "application/json; charset=utf-8"}
    hdrs.update(headers or {})
    return Response(status=status, body=json.dumps(payload).encode(), headers=hdrs)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LocalHTTPServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients dropping keep-alive connections is normal; report only real errors."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects from a real API
    server_version = "norcrin-fake/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections end on their own

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log; tests read the recorded calls instead."""

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        owner = self.server.owner  # type: ignore[attr-defined]
        body = self._read_body()
        parts = urlsplit(self.path)
        req = Request(
            method=self.command,
            raw_path=parts.path,
            path=unquote(parts.path),
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=Headers(self.headers.items()),
            body=body,
        )
        try:
            resp = owner.handle(req)
        except Exception:  # a bug in the fake must be loud, not a hang
            owner.errors.append(traceback.format_exc())
            resp = Response(500, traceback.format_exc().encode(), {"Content-Type": "text/plain"})
        if resp.delay:
            time.sleep(resp.delay)
        self.send_response(resp.status)
        for key, value in resp.headers.items():
            self.send_header(key, value)
        if resp.status not in (204, 304):
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if resp.body and resp.status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class LocalHTTPServer:
    """A threaded HTTP server on 127.0.0.1:<free port>, run on a daemon thread.

    Use as a context manager or call `start()` / `stop()` from a pytest fixture. Subclasses
    implement `handle`. Exceptions raised by `handle` become 500 answers and are kept in
    `errors`, so a broken fake shows up in the test instead of as a client-side timeout.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind the port and serve on a daemon thread; returns self for chaining."""
        if self._server is not None:
            return self
        server = _Server((self._host, self._port), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (the server must be started)."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash."""
        return f"http://{self._host}:{self.port}"

    # to implement --------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request (called on a server thread)."""
        raise NotImplementedError

    # helpers for subclasses ----------------------------------------------------------------

    def _wait_until(
        self, predicate: Callable[[], Any], timeout: float, describe: Callable[[], str]
    ) -> Any:
        """Block until predicate() is truthy (re-checked on every recorded request)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(describe())
                self._changed.wait(min(remaining, 0.05))
