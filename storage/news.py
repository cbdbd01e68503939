"""News items (from the website's feed or added by an editor) and the digests that gather them.

Items are deduplicated by GUID and by link: feeds change GUIDs more often than URLs, and an item
an editor added by hand must not come back from the feed a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class NewsItem(Base):
    __tablename__ = "news_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guid: Mapped[str] = mapped_column(String(1000), unique=True)
    link: Mapped[str] = mapped_column(String(1000), index=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    source: Mapped[str] = mapped_column(String(40), default="editor")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    digest_id: Mapped[int | None] = mapped_column(Integer, index=True)


class Digest(Base):
    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    item_ids: Mapped[list[int]] = mapped_column(JSON, default=list)


@dataclass
class ImportReport:
    added: list[int] = field(default_factory=list)
    duplicates: int = 0
    skipped: list[str] = field(default_factory=list)


def find_duplicate(session: Session, guid: str, link: str) -> NewsItem | None:
    return session.scalar(
        select(NewsItem).where(or_(NewsItem.guid == guid, NewsItem.link == link)).limit(1)
    )


def add_news(
    session: Session,
    *,
    title: str,
    link: str,
    published: datetime,
    summary: str | None = None,
    guid: str | None = None,
    source: str = "editor",
    now: datetime,
) -> tuple[NewsItem, bool]:
    """Store an item unless its GUID or link is known; returns (item, created)."""
    if not title.strip():
        raise ValueError("a news item needs a title")
    if not link.startswith(("http://", "https://")):
        raise ValueError(f"{link!r} is not an http(s) link")
    if published.tzinfo is None:
        raise ValueError("published must be timezone-aware")
    guid = (guid or link).strip()
    existing = find_duplicate(session, guid, link.strip())
    if existing is not None:
        return existing, False
    item = NewsItem(
        guid=guid,
        link=link.strip(),
        title=" ".join(title.split()),
        summary=summary,
        published_at=published.astimezone(UTC),
        source=source,
        added_at=now,
    )
    session.add(item)
    session.flush()
    return item, True


def last_digest(session: Session) -> Digest | None:
    return session.scalar(select(Digest).order_by(Digest.created_at.desc(), Digest.id.desc()))


def pending_items(session: Session) -> list[NewsItem]:
    """Items for the next digest: new since the previous digest (published or added after it)
    and in no digest yet; newest first."""
    query = select(NewsItem).where(NewsItem.digest_id.is_(None))
    previous = last_digest(session)
    if previous is not None:
        query = query.where(
            or_(
                NewsItem.published_at > previous.created_at,
                NewsItem.added_at > previous.created_at,
            )
        )
    return list(session.scalars(query.order_by(NewsItem.published_at.desc(), NewsItem.id.desc())))


def items_by_ids(session: Session, ids: list[int]) -> list[NewsItem]:
    if not ids:
        return []
    rows = session.scalars(select(NewsItem).where(NewsItem.id.in_(ids)))
    return sorted(rows, key=lambda i: (i.published_at, i.id), reverse=True)


def make_digest(session: Session, *, key: str, now: datetime, min_items: int = 1) -> Digest | None:
    """Gather the pending items into a digest once per `key` (a re-run returns the same one).

    Items are claimed with a guarded UPDATE (`digest_id IS NULL`), so two digests made at the same
    moment by two workers never share an item: the later one gets only what is left.
    """
    existing = session.scalar(select(Digest).where(Digest.key == key))
    if existing is not None:
        return existing
    wanted = [i.id for i in pending_items(session)]
    if len(wanted) < max(1, min_items):
        return None
    digest = Digest(key=key, created_at=now, item_ids=[])
    session.add(digest)
    session.flush()
    claimed = set(session.scalars(
        update(NewsItem)
        .where(NewsItem.id.in_(wanted), NewsItem.digest_id.is_(None))
        .values(digest_id=digest.id)
        .returning(NewsItem.id)
    ))
    if len(claimed) < max(1, min_items):
        session.execute(update(NewsItem).where(NewsItem.digest_id == digest.id)
                        .values(digest_id=None))
        session.delete(digest)
        session.flush()
        return None
    digest.item_ids = [i for i in wanted if i in claimed]
    return digest


def news_as_json(item: NewsItem, tz: Any) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "date": item.published_at.astimezone(tz).date().isoformat(),
        "summary": item.summary,
        "link": item.link,
    }
