"""Sending claimed outbox rows: one retry loop for every destination, every attempt logged.

Transports retry nothing on their own here (slack_sdk gets no retry handlers, msgraph-sdk POSTs
run with the kiota RetryHandler switched off): a 5xx after Teams or Slack accepted a post would
otherwise post it twice. This loop decides instead: 429 waits for Retry-After, 5xx and timeouts
back off, and an *ambiguous* failure (the request may have been processed) makes the next try
look for the post first where the platform allows it (Teams: list the channel's messages).
A wait that would outlast the lease releases the row for later rather than sleeping on it.

The database can go away too. Recording a sent post retries through a short outage (bounded,
with backoff). A row is marked "in flight" just before its send, so if the outcome still could
not be recorded (or the worker died), the claim that takes the row over after the lease knows
the outcome is unknown and looks for the post first, as after an ambiguous failure.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

import integrations.transports  # noqa: F401  (registers every destination kind)
from bot.destinations import TRANSPORTS, DestinationError, Sender
from bot.redact import mask_destination, mask_secrets
from bot.replies import reply_from_dict
from integrations.send_errors import SendError, parse_retry_after
from storage import outbox
from storage.outbox import IN_FLIGHT, Claimed, OutboxPost, Outcome

__all__ = ["DeliveryPolicy", "OutboxDelivery", "SendError", "Sender", "parse_retry_after"]

if TYPE_CHECKING:
    from bot.core import Services

log = logging.getLogger("norcrin_bot.outbox")


@dataclass(frozen=True)
class DeliveryPolicy:
    """Timings; tests shrink them, production keeps the defaults."""

    lease: timedelta = timedelta(seconds=120)
    tries_per_claim: int = 3
    max_attempts: int = 8  # claims before a post is marked failed for good
    backoff: float = 1.0  # first in-claim backoff, doubled per try
    backoff_cap: float = 30.0
    retry_later: timedelta = timedelta(seconds=30)  # first gap between claims, doubled
    retry_later_cap: timedelta = timedelta(hours=1)
    defer_update: timedelta = timedelta(seconds=10)  # an edit waiting for its original post
    record_for: float = 60.0  # seconds to keep trying to record a result through a DB outage
    record_backoff: float = 0.25  # first wait between those tries, doubled up to 5 s


class OutboxDelivery:
    """The delivery port (`bot.ports.Delivery`): one policy, and one sender per destination kind
    built on first use for this bot by the transport registered for that kind
    (`integrations/transports/`). An unknown kind raises `DestinationError`: nothing falls
    through to a default sender."""

    def __init__(self, policy: DeliveryPolicy | None = None) -> None:
        self.policy = policy or DeliveryPolicy()
        self.senders: dict[str, Sender] = {}
        self._lock = threading.Lock()

    def deliver(
        self,
        services: Services,
        *,
        now: datetime | None,
        limit: int,
        keys: Sequence[str] | None,
    ) -> list[Outcome]:
        return deliver_claimed(services, self, now=now, limit=limit, keys=keys)

    def sender(self, services: Services, kind: str) -> Sender:
        with self._lock:
            if kind not in self.senders:
                self.senders[kind] = TRANSPORTS.sender(services, kind)
            return self.senders[kind]

    def close(self) -> None:
        """Nothing of its own: the shared Graph link is closed with the calendar port."""


def deliver_claimed(
    services: Services,
    delivery: OutboxDelivery,
    *,
    now: datetime | None = None,
    limit: int = 50,
    keys: Sequence[str] | None = None,
) -> list[Outcome]:
    policy = delivery.policy
    now = now or services.clock.now()
    with services.db.session() as session:
        claimed = outbox.claim(session, now=now, lease=policy.lease, limit=limit, keys=keys)
    return [deliver_one(services, delivery, row) for row in claimed]


def _backoff(policy: DeliveryPolicy, attempt: int) -> float:
    return float(min(policy.backoff_cap, policy.backoff * 2 ** (attempt - 1)))


T = TypeVar("T")


class Unrecorded(Exception):
    """The database stayed unreachable for the whole recording budget."""


def _is_outage(exc: Exception) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def with_db_retry(policy: DeliveryPolicy, what: str, fn: Callable[[], T]) -> T:
    """Run `fn` (its own unit of work) again through a database outage, bounded with backoff."""
    deadline = time.monotonic() + policy.record_for
    wait = policy.record_backoff
    while True:
        try:
            return fn()
        except DBAPIError as exc:
            if not _is_outage(exc):
                raise
            if time.monotonic() + wait > deadline:
                raise Unrecorded(
                    f"{what}: database unreachable for {policy.record_for:g} s"
                ) from exc
            log.warning("%s: database unreachable (%s); again in %.2g s", what,
                        type(exc.orig).__name__ if exc.orig else type(exc).__name__, wait)
            time.sleep(wait)
            wait = min(wait * 2, 5.0)


def deliver_one(services: Services, delivery: OutboxDelivery, row: Claimed) -> Outcome:
    """Send one claimed row with in-claim retries, then record the result (fenced)."""
    policy = delivery.policy
    db = services.db
    with db.session() as session:
        if not outbox.renew(session, row, now=services.clock.now(), lease=policy.lease):
            log.warning("outbox %s: lease lost before sending; left to its new owner", row.key)
            return Outcome(row.key, row.destination, "lost-lease", None, None, row.attempts)
    try:
        kind, target = TRANSPORTS.check(row.destination)
    except DestinationError as exc:  # queued before its transport went away: nothing to retry
        return _finish_failed(services, row, str(exc))
    reply = reply_from_dict(row.payload)
    edit_ref: str | None = None
    if row.update_of:
        decided = _prepare_edit(services, policy, row)
        if isinstance(decided, Outcome):
            return decided
        edit_ref = decided
    try:
        sender = delivery.sender(services, kind)
    except Exception as exc:  # configuration missing: nothing to retry until an operator acts
        return _finish_failed(services, row, f"cannot send to {kind}: {exc}")

    started = time.monotonic()
    budget = policy.lease.total_seconds() * 0.8
    # unknown outcome: an ambiguous failure, or an earlier claim that never recorded its send
    look = (row.last_error or "").startswith(("ambiguous", IN_FLIGHT))
    last: SendError | None = None
    wait = 0.0
    for attempt in range(1, policy.tries_per_claim + 1):
        try:
            if edit_ref is not None:
                ref = sender.edit(kind, target, edit_ref, reply)
            else:
                since = row.created_at if look else None
                ref = sender.send(kind, target, reply, key=row.key, look_since=since)
        except SendError as exc:
            last = exc
            log.warning(
                "outbox %s -> %s: attempt %d (claim %d) failed: %s",
                row.key, mask_destination(row.destination), attempt, row.attempts, exc,
            )
            if not exc.retryable:
                return _finish_failed(services, row, str(exc))
            look = look or exc.ambiguous
            wait = exc.retry_after if exc.retry_after is not None else _backoff(policy, attempt)
            if attempt == policy.tries_per_claim or time.monotonic() - started + wait > budget:
                break
            time.sleep(wait)
            continue
        def record(ref: str | None = ref) -> bool:
            with db.session() as session:
                return outbox.mark_sent(session, row, ref=ref, now=services.clock.now())

        try:
            kept = with_db_retry(policy, f"outbox {row.key}: recording the send", record)
        except Unrecorded as exc:
            log.error("%s; the row stays in flight and is looked for before any re-send", exc)
            return Outcome(row.key, row.destination, "unrecorded", ref, str(exc), row.attempts)
        if not kept:
            log.error("outbox %s: sent, but the lease had passed to another worker", row.key)
            return Outcome(row.key, row.destination, "lost-lease", ref, None, row.attempts)
        log.info("outbox %s -> %s: sent (attempt %d, ref %s)", row.key,
                 mask_destination(row.destination), attempt, ref)
        return Outcome(row.key, row.destination, "sent", ref, None, row.attempts)

    error = str(last) if last else "not sent"
    if look:
        error = "ambiguous: " + error
    if row.attempts >= policy.max_attempts:
        return _finish_failed(services, row, f"gave up after {row.attempts} claims: {error}")
    gap = policy.retry_later * 2 ** (row.attempts - 1)
    retry_at = services.clock.now() + max(min(gap, policy.retry_later_cap), timedelta(seconds=wait))
    with db.session() as session:
        outbox.release(session, row, error=error, retry_at=retry_at)
    log.warning("outbox %s -> %s: will retry at %s", row.key,
                mask_destination(row.destination), retry_at.isoformat())
    return Outcome(row.key, row.destination, "retry", None, error, row.attempts)


def _finish_failed(services: Services, row: Claimed, error: str) -> Outcome:
    with services.db.session() as session:
        outbox.release(session, row, error=error, retry_at=None)
    log.error("outbox %s -> %s: failed: %s", row.key, mask_destination(row.destination),
              mask_secrets(error))
    return Outcome(row.key, row.destination, "failed", None, error, row.attempts)


def _prepare_edit(services: Services, policy: DeliveryPolicy, row: Claimed) -> str | Outcome:
    """The ref to edit, or an outcome when the edit must wait, is superseded or impossible."""
    with services.db.session() as session:
        original = outbox.get_post(session, row.update_of or "")
        newer = session.scalar(
            select(OutboxPost.id).where(
                OutboxPost.update_of == row.update_of, OutboxPost.id > row.id
            ).limit(1)
        )
        if newer is not None:
            outbox.mark_sent(session, row, ref="superseded", now=services.clock.now())
            return Outcome(row.key, row.destination, "sent", "superseded", None, row.attempts)
        if original is None or original.status == "failed":
            outbox.release(session, row, error="the original post was not delivered",
                           retry_at=None)
            return Outcome(row.key, row.destination, "failed", None,
                           "the original post was not delivered", row.attempts)
        if original.status != "sent" or not original.sent_ref:
            retry_at = services.clock.now() + policy.defer_update
            outbox.release(session, row, error="waiting for the original post",
                           retry_at=retry_at, refund_attempt=True)
            return Outcome(row.key, row.destination, "deferred", None, None, row.attempts)
        return original.sent_ref
