"""Reading the website's RSS/Atom feed (a URL or a local file) with feedparser.

A malformed entry (no title, no link, an unreadable date) is reported and skipped; the rest of
the feed is still imported. Only a source that is no feed at all is an error.

A feed is untrusted input from the network: only http(s) URLs (or local files) are read, the body
is streamed and cut off beyond `max_bytes` (NEWS_FEED_MAX_BYTES), and the whole fetch, redirects
and all, must finish within `deadline` seconds (NEWS_FEED_TIMEOUT), so a server trickling one byte
every few seconds cannot hold an import open.
"""

from __future__ import annotations

import html
import re
import threading
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

from bot.ports import FeedEntry, FeedError

__all__ = ["FeedEntry", "FeedError", "read_feed"]

_TAGS = re.compile(r"<[^>]+>")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_DEADLINE = 30.0
MAX_REDIRECTS = 5


def one_line(text: str | None, limit: int = 240) -> str | None:
    """Feed summaries are HTML paragraphs; a digest wants one plain line."""
    if not text:
        return None
    plain = " ".join(html.unescape(_TAGS.sub(" ", text)).split())
    if not plain:
        return None
    first = re.split(r"(?<=[.!?])\s(?=[A-ZÆØÅ])", plain, maxsplit=1)[0]  # "9. desember" stays
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _too_large(source: str, max_bytes: int) -> FeedError:
    return FeedError(f"{source}: larger than {max_bytes} bytes (NEWS_FEED_MAX_BYTES)")


def _too_slow(source: str, deadline: float) -> FeedError:
    return FeedError(f"{source}: not read within {deadline:g} s (NEWS_FEED_TIMEOUT)")


def _stream(source: str, max_bytes: int, deadline: float, give_up: float) -> bytes:
    """Read the body chunk by chunk, stopping at the byte cap or the deadline, whichever first."""
    import httpx  # lazy: heavy optional dependency

    # each socket read waits at most this long, so the thread never outlives the deadline by much
    timeout = httpx.Timeout(min(deadline, 10.0))
    client = httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                          headers={"Accept-Encoding": "gzip, deflate"})
    with client, client.stream("GET", source) as response:
        response.raise_for_status()
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(source, max_bytes)
        body = bytearray()
        for chunk in response.iter_raw():
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(source, max_bytes)
            if time.monotonic() > give_up:
                raise _too_slow(source, deadline)
    return _decode(bytes(body), response.headers.get("Content-Encoding", ""), source, max_bytes)


def _decode(raw: bytes, encoding: str, source: str, max_bytes: int) -> bytes:
    """Undo gzip/deflate ourselves, bounded: a small compressed body must not expand unchecked."""
    encoding = encoding.strip().lower()
    if encoding not in ("gzip", "deflate", "x-gzip"):
        return raw
    inflater = zlib.decompressobj(wbits=47 if "gzip" in encoding else 15)  # 47: gzip or zlib
    try:
        out = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise FeedError(f"{source}: unreadable {encoding} body ({exc})") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise _too_large(source, max_bytes)
    return out


def _fetch_url(source: str, max_bytes: int, deadline: float) -> bytes:
    """The stream runs in a helper thread so the caller is released at the deadline exactly."""
    import httpx  # lazy: heavy optional dependency

    give_up = time.monotonic() + deadline
    result: dict[str, bytes | BaseException] = {}

    def run() -> None:
        try:
            result["body"] = _stream(source, max_bytes, deadline, give_up)
        except BaseException as exc:  # handed to the caller below
            result["error"] = exc

    worker = threading.Thread(target=run, name="feed-fetch", daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        raise _too_slow(source, deadline)
    error = result.get("error")
    if isinstance(error, FeedError):
        raise error
    if isinstance(error, httpx.TimeoutException):
        raise _too_slow(source, deadline) from None
    if isinstance(error, httpx.HTTPError):
        raise FeedError(f"{source}: {error}") from None
    if isinstance(error, BaseException):
        raise error
    body = result["body"]
    assert isinstance(body, bytes)
    return body


def _fetch(source: str, max_bytes: int, deadline: float) -> bytes:
    scheme = _SCHEME.match(source)
    if scheme and len(scheme.group(1)) > 1:  # "C:" is a Windows drive, not a scheme
        if scheme.group(1).lower() not in ("http", "https"):
            raise FeedError(f"{source}: only http(s) URLs or local files can be imported")
        return _fetch_url(source, max_bytes, deadline)
    path = Path(source).expanduser()
    if not path.is_file():
        raise FeedError(f"{source}: no such file")
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(source, max_bytes)
    return data


def read_feed(
    source: str, *, max_bytes: int = DEFAULT_MAX_BYTES, deadline: float = DEFAULT_DEADLINE
) -> tuple[list[FeedEntry], list[str]]:
    """Entries of the feed, and one line per entry that was skipped (and why)."""
    import feedparser  # lazy: heavy optional dependency

    parsed = feedparser.parse(_fetch(source, max_bytes, deadline))
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = getattr(parsed, "bozo_exception", None) or "no entries"
        raise FeedError(f"{source}: not an RSS/Atom feed ({reason})")
    entries: list[FeedEntry] = []
    problems: list[str] = []
    for index, entry in enumerate(parsed.entries, start=1):
        title = " ".join(str(entry.get("title") or "").split())
        link = str(entry.get("link") or "").strip()
        label = f"entry {index}" + (f" ({title[:60]!r})" if title else "")
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if not title:
            problems.append(f"{label}: no title")
        elif not link.startswith(("http://", "https://")):
            problems.append(f"{label}: no usable link")
        elif stamp is None:
            raw = entry.get("published") or entry.get("updated")
            problems.append(f"{label}: unreadable date {raw!r}" if raw else f"{label}: no date")
        else:
            try:
                published = datetime(*stamp[:6]).replace(tzinfo=UTC)  # feedparser: UTC
            except (TypeError, ValueError) as exc:
                problems.append(f"{label}: bad date ({exc})")
                continue
            guid = str(entry.get("id") or link).strip()
            entries.append(FeedEntry(guid, title, link, published, one_line(entry.get("summary"))))
    return entries, problems
