"""Feed fetches against a real, misbehaving local HTTP server: huge, trickling, stalled, zipped.

Each server runs on its own socket in a thread; every test is bounded in time by the limits under
test (a deadline of about a second), so a regression fails fast instead of hanging.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, load_settings
from integrations.feeds import FeedError, read_feed
from tests.test_news import FEED

Behaviour = Callable[[BaseHTTPRequestHandler], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    behaviour: Behaviour


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        with contextlib.suppress(OSError):  # the client hung up, as it should
            self.server.behaviour(self)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Callable[[Behaviour], str]]:
    servers: list[_Server] = []

    def start(behaviour: Behaviour) -> str:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.behaviour = behaviour
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/feed"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _headers(handler: BaseHTTPRequestHandler, **extra: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    for name, value in extra.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()


def _fail_within(seconds: float, url: str, match: str, **limits: Any) -> float:
    started = time.monotonic()
    with pytest.raises(FeedError, match=match):
        read_feed(url, **limits)
    elapsed = time.monotonic() - started
    assert elapsed < seconds, elapsed
    return elapsed


def test_a_good_feed_is_read_over_http(serve: Callable[[Behaviour], str]) -> None:
    body = FEED.encode()

    def ok(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler, Content_Length=str(len(body)))
        handler.wfile.write(body)

    entries, problems = read_feed(serve(ok), max_bytes=len(body), deadline=5)
    assert [e.guid for e in entries] == ["dmmon-2025", entries[1].link]
    assert len(problems) == 2


def test_an_endless_body_is_cut_at_the_cap(serve: Callable[[Behaviour], str]) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler)  # no Content-Length: the body runs until the connection closes
        handler.wfile.write(b"<rss><channel>")
        while True:
            handler.wfile.write(b"<item><title>x</title></item>" * 1000)

    _fail_within(5, serve(endless), r"larger than 100000 bytes \(NEWS_FEED_MAX_BYTES\)",
                 max_bytes=100_000, deadline=10)


def test_a_declared_huge_body_is_refused_before_reading(serve: Callable[[Behaviour], str]) -> None:
    def huge(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler, Content_Length=str(1_500_000_000))
        time.sleep(3)  # sends nothing: the refusal must not wait for the body

    _fail_within(2, serve(huge), "larger than 1000 bytes", max_bytes=1000, deadline=10)


def test_a_trickling_server_is_cut_off_at_the_deadline(serve: Callable[[Behaviour], str]) -> None:
    def trickle(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler)
        for _ in range(100):  # one byte every 0.3 s: each read succeeds, the whole never ends
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.3)

    elapsed = _fail_within(2.5, serve(trickle), r"not read within 1\.2 s \(NEWS_FEED_TIMEOUT\)",
                           deadline=1.2)
    assert elapsed >= 1.0


def test_a_server_that_never_answers_is_cut_off(serve: Callable[[Behaviour], str]) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
        _fail_within(2.5, url, "NEWS_FEED_TIMEOUT", deadline=1.0)
    finally:
        listener.close()


def test_a_gzip_bomb_is_refused(serve: Callable[[Behaviour], str]) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * 50_000_000)  # ~50 KB on the wire, 50 MB inflated

    def zipped(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler, Content_Encoding="gzip", Content_Length=str(len(bomb)))
        handler.wfile.write(bomb)

    _fail_within(5, serve(zipped), "larger than 1000000 bytes", max_bytes=1_000_000)


def test_a_gzipped_feed_is_read(serve: Callable[[Behaviour], str]) -> None:
    body = gzip.compress(FEED.encode())

    def zipped(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler, Content_Encoding="gzip", Content_Length=str(len(body)))
        handler.wfile.write(body)

    entries, _ = read_feed(serve(zipped), max_bytes=100_000, deadline=5)
    assert len(entries) == 2


@pytest.mark.parametrize("source", ["file:///etc/passwd", "ftp://example.org/feed.xml",
                                    "javascript:alert(1)", "gopher://x/"])
def test_only_http_urls_or_files(source: str) -> None:
    with pytest.raises(FeedError, match="only http"):
        read_feed(source)


def test_a_large_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b"<rss>" + b" " * 20_000)
    with pytest.raises(FeedError, match=r"larger than 10000 bytes"):
        read_feed(str(big), max_bytes=10_000)


def test_limits_are_settings(tmp_path: Path) -> None:
    base = {"DATABASE_URL": "sqlite://"}
    settings = load_settings({**base, "NEWS_FEED_MAX_BYTES": "2048", "NEWS_FEED_TIMEOUT": "2.5"},
                             dotenv=tmp_path / "none")
    assert (settings.news_feed_max_bytes, settings.news_feed_timeout) == (2048, 2.5)
    defaults = load_settings(base, dotenv=tmp_path / "none")
    assert (defaults.news_feed_max_bytes, defaults.news_feed_timeout) == (5_000_000, 30.0)
    for name, bad in (("NEWS_FEED_MAX_BYTES", "10MB"), ("NEWS_FEED_TIMEOUT", "-1")):
        with pytest.raises(ConfigError, match=name):
            load_settings({**base, name: bad}, dotenv=tmp_path / "none")


def test_news_import_names_the_limit(
    serve: Callable[[Behaviour], str], sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from integrations.runtime.cli import main

    def endless(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler)
        while True:
            handler.wfile.write(b"x" * 65536)

    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("NEWS_FEED_MAX_BYTES", "200000")
    assert main(["news", "import", serve(endless)]) == 1
    err = capsys.readouterr().err
    assert "larger than 200000 bytes (NEWS_FEED_MAX_BYTES)" in err
    assert "Traceback" not in err


def test_an_entity_bomb_in_a_feed_is_not_expanded(tmp_path: Path) -> None:
    """A billion-laughs DOCTYPE (10^7 copies of 67 bytes if expanded) stays small and quick."""
    levels = ['<!ENTITY a "' + "a" * 67 + '">']
    for name, inner in zip("bcdefgh", "abcdefg", strict=True):
        levels.append(f'<!ENTITY {name} "' + f"&{inner};" * 10 + '">')
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(levels) + "\n]>\n"
        '<rss version="2.0"><channel><title>x</title><item><title>&h;</title>'
        "<link>https://www.norcrin.no/x</link><pubDate>Mon, 20 Oct 2025 09:00:00 GMT</pubDate>"
        "</item></channel></rss>", encoding="utf-8")
    started = time.monotonic()
    entries, _ = read_feed(str(bomb))
    assert time.monotonic() - started < 2
    assert all(len(entry.title) < 1000 for entry in entries)
