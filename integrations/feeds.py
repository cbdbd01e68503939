"""Reading the website's RSS/Atom feed (a URL or a local file) with feedparser.

A malformed entry (no title, no link, an unreadable date) is reported and skipped; the rest of
the feed is still imported. Only a source that is no feed at all is an error.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import httpx

_TAGS = re.compile(r"<[^>]+>")


class FeedError(Exception):
    """The source could not be read as a feed; the message is safe to print."""


@dataclass(frozen=True)
class FeedEntry:
    guid: str
    title: str
    link: str
    published: datetime
    summary: str | None


def one_line(text: str | None, limit: int = 240) -> str | None:
    """Feed summaries are HTML paragraphs; a digest wants one plain line."""
    if not text:
        return None
    plain = " ".join(html.unescape(_TAGS.sub(" ", text)).split())
    if not plain:
        return None
    first = re.split(r"(?<=[.!?])\s(?=[A-ZÆØÅ])", plain, maxsplit=1)[0]  # "9. desember" stays
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _fetch(source: str, timeout: float) -> bytes:
    if source.startswith(("http://", "https://")):
        try:
            response = httpx.get(source, timeout=timeout, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise FeedError(f"{source}: {exc}") from None
        return response.content
    path = Path(source).expanduser()
    if not path.is_file():
        raise FeedError(f"{source}: no such file")
    return path.read_bytes()


def read_feed(source: str, *, timeout: float = 20.0) -> tuple[list[FeedEntry], list[str]]:
    """Entries of the feed, and one line per entry that was skipped (and why)."""
    parsed = feedparser.parse(_fetch(source, timeout))
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
