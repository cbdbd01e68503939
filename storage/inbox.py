"""The inbox: inbound requests acked by the HTTP edge and answered by worker processes.

The edge writes one row (the verified raw body) and acks; `serve --workers N` processes claim
rows with a lease, answer them and mark them done. The unique `key` (Slack's event id) makes the
insert the de-duplication: a retry or replay of an acked event — to this edge or another replica
sharing the database — adds nothing. A worker that dies mid-answer leaves its row claimed until
the lease runs out; then another worker takes it (`attempts` counts the tries, `owner` names the
process that holds it, and every update is fenced on both, so a late worker cannot finish a row
someone else took over).

On SQLite the inbox lives in its own file beside the main one (`inbox_database`): SQLite has one
write lock per file, and the edge's ack must not wait behind the answer processes' writes
(question log, results, claims of processed events). The file is created on first use with
`CREATE TABLE IF NOT EXISTS` for this one table — rows live two hours at most, so there is no
schema history to migrate. On PostgreSQL the `inbox` table of the main database is used (row
locks, migration `0008_inbox`); on SQLite that table stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, String, Text, delete, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.schema import CreateIndex, CreateTable

from bot import ports
from storage.db import Database
from storage.models import Base
from storage.types import UTCDateTime, dialect_insert

MAX_ATTEMPTS = 5  # a body that kills its worker this often is given up, not retried forever
RETENTION = timedelta(hours=2)  # done rows are kept as long as Slack may retry an event


class InboxItem(Base):
    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    surface: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


def inbox_url(url: str) -> str:
    """Where the inbox is: for a SQLite file `x.sqlite3`, the file `x.inbox.sqlite3` beside it;
    otherwise (PostgreSQL, in-memory SQLite) the main database itself."""
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or name in ("", ":memory:") or "mode=memory" in url:
        return url
    path = Path(name)
    own = parsed.set(database=str(path.with_name(f"{path.stem}.inbox{path.suffix}")))
    return own.render_as_string(hide_password=False)


def inbox_database(db: ports.Database) -> ports.Database:
    """The database the inbox rows go to (see the module doc); its table made if missing.
    Idempotent and safe when the edge and answer processes start at once."""
    if not isinstance(db, Database):
        return db  # not an engine with a URL of its own: the inbox shares it
    url = inbox_url(db.url)
    if url == db.url:
        return db
    own = Database(url)
    table = Base.metadata.tables[InboxItem.__tablename__]
    with own.engine.begin() as connection:
        connection.execute(CreateTable(table, if_not_exists=True))
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            connection.execute(CreateIndex(index, if_not_exists=True))
    return own


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    surface: str
    content_type: str
    body: str
    attempts: int


def put(session: Session, *, key: str, surface: str, content_type: str, body: str,
        now: datetime) -> bool:
    """Store an inbound request once; False when its key is already there (a retry)."""
    insert = dialect_insert(session)
    result = session.execute(
        insert(InboxItem)
        .values(key=key, surface=surface, content_type=content_type, body=body, received_at=now,
                attempts=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return _rowcount(result) == 1


def _claimable(now: datetime) -> Any:
    return (
        InboxItem.done_at.is_(None)
        & (InboxItem.attempts < MAX_ATTEMPTS)
        & (InboxItem.lease_until.is_(None) | (InboxItem.lease_until < now))
    )


def claim(session: Session, *, owner: str, now: datetime, lease: timedelta,
          limit: int = 1) -> list[Claimed]:
    """Take up to `limit` of the oldest open rows (or rows whose lease ran out) for `owner`.

    A select of the oldest claimable ids, then one `UPDATE … WHERE id IN (…) AND claimable
    RETURNING …`. PostgreSQL: the select takes its rows `FOR UPDATE SKIP LOCKED`, so concurrent
    workers take disjoint rows. SQLite has no row locks: the update's repeated condition means
    a row another worker took in between is not taken again; and the write lock, which the
    edge's hand-off needs too, is held for that one statement only (an answer process runs
    niced and may be preempted while it holds it).
    """
    cond = _claimable(now)
    ids = list(session.scalars(
        select(InboxItem.id).where(cond).order_by(InboxItem.id).limit(limit)
        .with_for_update(skip_locked=True)
    ))
    if not ids:
        return []
    rows = session.execute(
        update(InboxItem)
        .where(InboxItem.id.in_(ids), cond)
        .values(lease_until=now + lease, owner=owner, attempts=InboxItem.attempts + 1)
        .returning(InboxItem.id, InboxItem.key, InboxItem.surface, InboxItem.content_type,
                   InboxItem.body, InboxItem.attempts)
    ).all()
    return sorted((Claimed(*row) for row in rows), key=lambda item: item.id)


def _fenced(item: Claimed, owner: str) -> Any:
    return (
        (InboxItem.id == item.id)
        & (InboxItem.owner == owner)
        & (InboxItem.attempts == item.attempts)
        & InboxItem.done_at.is_(None)
    )


def still_mine(session: Session, item: Claimed, *, owner: str, now: datetime,
               lease: timedelta) -> bool:
    """Renew the lease just before the answer goes out; False if the row was taken over."""
    result = session.execute(
        update(InboxItem).where(_fenced(item, owner)).values(lease_until=now + lease)
    )
    return _rowcount(result) == 1


def done(session: Session, item: Claimed, *, owner: str, now: datetime) -> bool:
    result = session.execute(update(InboxItem).where(_fenced(item, owner)).values(done_at=now))
    return _rowcount(result) == 1


def release(session: Session, *, owner: str) -> int:
    """Free the open rows of an owner known to be dead (its supervisor saw it exit): claimable at
    once instead of when their lease runs out. The count of rows freed."""
    result = session.execute(
        update(InboxItem)
        .where((InboxItem.owner == owner) & InboxItem.done_at.is_(None)
               & InboxItem.lease_until.is_not(None))
        .values(lease_until=None)
    )
    return _rowcount(result)


def pending(session: Session) -> int:
    """Rows not yet answered (including those a worker holds)."""
    return int(session.scalar(select(func.count()).where(InboxItem.done_at.is_(None))) or 0)


def purge(session: Session, *, now: datetime) -> int:
    result = session.execute(
        delete(InboxItem).where(InboxItem.done_at.is_not(None),
                                InboxItem.received_at < now - RETENTION)
    )
    return _rowcount(result)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
