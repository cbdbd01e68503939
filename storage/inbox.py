"""The inbox: inbound requests acked by the HTTP edge and answered by worker processes.

The edge writes one row (the verified raw body) and acks; `serve --workers N` processes claim
rows with a lease, answer them and mark them done. The unique `key` (Slack's event id) makes the
insert the de-duplication: a retry or replay of an acked event — to this edge or another replica
sharing the database — adds nothing. A worker that dies mid-answer leaves its row claimed until
the lease runs out; then another worker takes it (`attempts` counts the tries, `owner` names the
process that holds it, and every update is fenced on both, so a late worker cannot finish a row
someone else took over).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, Text, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

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

    PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint rows. SQLite has no
    row locks: each row is taken by an UPDATE guarded by the same condition, and its row count
    says whether this worker won it.
    """
    cond = _claimable(now)
    ids = list(session.scalars(
        select(InboxItem.id).where(cond).order_by(InboxItem.id).limit(limit)
        .with_for_update(skip_locked=True)
    ))
    won: list[Claimed] = []
    for row_id in ids:
        result = session.execute(
            update(InboxItem)
            .where(InboxItem.id == row_id, cond)
            .values(lease_until=now + lease, owner=owner, attempts=InboxItem.attempts + 1)
        )
        if _rowcount(result) == 1:
            row = session.execute(
                select(InboxItem.id, InboxItem.key, InboxItem.surface, InboxItem.content_type,
                       InboxItem.body, InboxItem.attempts).where(InboxItem.id == row_id)
            ).one()
            won.append(Claimed(*row))
    return won


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
