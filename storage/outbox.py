"""The outbox: every outgoing post is a row, claimed atomically before it is sent.

Neither Slack nor Graph takes an idempotency key, so "exactly once" is built here: a unique `key`
per (job, occurrence, destination) makes queueing idempotent, and a claim (status `sending` plus a
lease) makes sending exclusive across processes. A worker killed after its claim leaves the row to
be taken over by another once the lease has expired. Sending itself lives in
`integrations.delivery`; this module only knows rows and states.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.destinations import TRANSPORTS
from bot.destinations import DestinationError as DestinationError  # callers catch it here
from bot.ports import Outcome
from bot.replies import Reply, reply_from_dict, reply_to_dict
from storage.models import Base
from storage.types import UTCDateTime, dialect_insert

if TYPE_CHECKING:
    from bot.core import Services

log = logging.getLogger(__name__)

STATUSES = ("pending", "sending", "sent", "failed")
# last_error of a row being sent: if a later claim still finds it, the send's outcome is unknown.
IN_FLIGHT = "in flight"


class OutboxPost(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    destination: Mapped[str] = mapped_column(String(2000))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_ref: Mapped[str | None] = mapped_column(String(300))
    update_of: Mapped[str | None] = mapped_column(String(300), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def parse_destination(destination: str) -> tuple[str, str]:
    """`slack:C123` -> ("slack", "C123"); DestinationError for a kind no transport registered
    or a malformed address (the registry in `bot.destinations` is the one parser)."""
    return TRANSPORTS.check(destination)


def enqueue(
    session: Session,
    *,
    key: str,
    destination: str,
    reply: Reply,
    due_at: datetime | None = None,
    update_of: str | None = None,
) -> bool:
    """Queue a post once: a second call with the same key does nothing. True if newly queued."""
    parse_destination(destination)
    if due_at is not None and due_at.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    stmt = (
        dialect_insert(session)(OutboxPost)
        .values(
            key=key,
            destination=destination,
            payload=reply_to_dict(reply),
            due_at=due_at,
            status="pending",
            attempts=0,
            update_of=update_of,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxPost.id)
    )
    # RETURNING, not rowcount: an ORM insert on PostgreSQL reports rowcount -1 (truthy).
    return session.execute(stmt).first() is not None


def get_post(session: Session, key: str) -> OutboxPost | None:
    return session.scalar(select(OutboxPost).where(OutboxPost.key == key))


def list_posts(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[OutboxPost]:
    query = select(OutboxPost).order_by(OutboxPost.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxPost.status == status)
    return list(session.scalars(query))


def retry_post(session: Session, key_or_id: str) -> bool:
    """Put a failed post back in the queue (operators use it after fixing a destination)."""
    cond = OutboxPost.key == key_or_id
    if key_or_id.isdigit():
        cond = or_(cond, OutboxPost.id == int(key_or_id))
    result = session.execute(
        update(OutboxPost)
        .where(cond, OutboxPost.status == "failed")
        .values(status="pending", attempts=0, due_at=None, last_error=None, lease_until=None)
    )
    return _rowcount(result) > 0


def console_inbox(session: Session, person_id: str) -> list[Reply]:
    """Posts delivered to `console:PERSON_ID` not yet shown; marks them shown."""
    rows = list(
        session.scalars(
            select(OutboxPost)
            .where(
                OutboxPost.destination == f"console:{person_id}",
                OutboxPost.status == "sent",
                OutboxPost.shown_at.is_(None),
            )
            .order_by(OutboxPost.id)
        )
    )
    now = datetime.now(UTC)
    for row in rows:
        row.shown_at = now
    return [reply_from_dict(row.payload) for row in rows]


# -- claiming ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A row this worker holds the lease on; `attempts` is its fencing token."""

    id: int
    key: str
    destination: str
    payload: dict[str, Any]
    attempts: int
    update_of: str | None
    last_error: str | None
    created_at: datetime


def _claimable(now: datetime) -> Any:
    return or_(
        (OutboxPost.status == "pending")
        & or_(OutboxPost.due_at.is_(None), OutboxPost.due_at <= now),
        (OutboxPost.status == "sending") & (OutboxPost.lease_until < now),
    )


def claim(
    session: Session,
    *,
    now: datetime,
    lease: timedelta,
    limit: int = 50,
    keys: Sequence[str] | None = None,
) -> list[Claimed]:
    """Take up to `limit` due rows (or rows whose lease expired) for this worker, atomically.

    PostgreSQL: `FOR UPDATE SKIP LOCKED` so concurrent workers pick disjoint rows. SQLite has no
    row locks (SQLAlchemy drops FOR UPDATE there), so each row is taken by a guarded UPDATE whose
    rowcount says whether this worker won.
    """
    cond = _claimable(now)
    if keys is not None:
        cond = cond & OutboxPost.key.in_(list(keys))
    values = {
        "status": "sending",
        "lease_until": now + lease,
        "attempts": OutboxPost.attempts + 1,
    }
    cols = (
        OutboxPost.id,
        OutboxPost.key,
        OutboxPost.destination,
        OutboxPost.payload,
        OutboxPost.attempts,
        OutboxPost.update_of,
        OutboxPost.last_error,
        OutboxPost.created_at,
    )
    if session.get_bind().dialect.name == "postgresql":
        ids = (
            select(OutboxPost.id)
            .where(cond)
            .order_by(OutboxPost.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        stmt = update(OutboxPost).where(OutboxPost.id.in_(ids), cond).values(**values)
        rows = session.execute(stmt.returning(*cols)).all()
        return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)
    candidates = list(
        session.scalars(select(OutboxPost.id).where(cond).order_by(OutboxPost.id).limit(limit))
    )
    won: list[Claimed] = []
    for row_id in candidates:
        result = session.execute(
            update(OutboxPost).where(OutboxPost.id == row_id, cond).values(**values)
        )
        if _rowcount(result) == 1:
            row = session.execute(select(*cols).where(OutboxPost.id == row_id)).one()
            won.append(Claimed(*row))
    return won


def _fenced(claimed: Claimed) -> Any:
    return (
        (OutboxPost.id == claimed.id)
        & (OutboxPost.status == "sending")
        & (OutboxPost.attempts == claimed.attempts)
    )


def renew(session: Session, claimed: Claimed, *, now: datetime, lease: timedelta) -> bool:
    """Extend this worker's lease just before sending a row of a batch; False if it was lost.

    Rows further down a claimed batch would otherwise see their lease run out while earlier
    rows are being sent, and another worker could take them over and post them too.
    """
    result = session.execute(
        update(OutboxPost)
        .where(_fenced(claimed))
        .values(lease_until=now + lease, last_error=f"{IN_FLIGHT} (claim {claimed.attempts})")
    )
    return _rowcount(result) > 0


def mark_sent(session: Session, claimed: Claimed, *, ref: str | None, now: datetime) -> bool:
    """Record success; False if another worker took the row over meanwhile (lease expired)."""
    result = session.execute(
        update(OutboxPost)
        .where(_fenced(claimed))
        .values(status="sent", sent_ref=ref, sent_at=now, lease_until=None, last_error=None)
    )
    return _rowcount(result) > 0


def release(
    session: Session,
    claimed: Claimed,
    *,
    error: str,
    retry_at: datetime | None,
    refund_attempt: bool = False,
) -> bool:
    """Give the row back: pending again from `retry_at`, or failed for good when None."""
    values: dict[str, Any] = {"lease_until": None, "last_error": error[:2000]}
    if retry_at is None:
        values["status"] = "failed"
    else:
        values.update(status="pending", due_at=retry_at)
    if refund_attempt:
        values["attempts"] = OutboxPost.attempts - 1
    result = session.execute(update(OutboxPost).where(_fenced(claimed)).values(**values))
    return _rowcount(result) > 0


def replace_pending_payload(session: Session, key: str, reply: Reply) -> bool:
    """Swap the content of a post not yet claimed (an agenda edited before its first post)."""
    result = session.execute(
        update(OutboxPost)
        .where(OutboxPost.key == key, OutboxPost.status == "pending")
        .values(payload=reply_to_dict(reply))
    )
    return _rowcount(result) > 0


# -- delivery entry point (the shared API) -----------------------------------------------------


def deliver_due(
    services: Services,
    *,
    now: datetime | None = None,
    limit: int = 50,
    keys: Sequence[str] | None = None,
) -> list[Outcome]:
    """Claim due posts and send them through the bot's delivery port (`services.delivery`,
    `integrations.delivery` in production). Safe in many processes."""
    return services.delivery.deliver(services, now=now, limit=limit, keys=keys)


def _rowcount(result: Any) -> int:
    """Rows an UPDATE touched (typed access: `Session.execute` is annotated as a plain Result)."""
    return int(getattr(result, "rowcount", 0) or 0)
