"""Scheduled jobs, as the core sees them: the function type and the outbox keys a job uses.

A job is `fn(services, args, occurrence)`. `args` is the schedule's own args plus two reserved
keys the worker adds: `schedule_id` and `destinations`. Jobs never send; they enqueue outbox posts
with keys from `post_key(args, occurrence, destination)`, so a job run twice for one occurrence
(a takeover after a crash, two workers racing) queues each post once. Features declare their jobs
by name (`bot.features.Feature.jobs`); the composition root collects them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.redact import webhook_hash

if TYPE_CHECKING:
    from bot.core import Services

JobFunction = Callable[["Services", dict[str, Any], datetime], None]


def short_destination(destination: str) -> str:
    """Destinations as key material: readable when short, hashed when long or secret (webhooks)."""
    return webhook_hash(destination)


def post_key(args: dict[str, Any], occurrence: datetime, destination: str) -> str:
    """The outbox key for one post of one occurrence of one schedule."""
    stamp = occurrence.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    schedule = args.get("schedule_id", "adhoc")
    return f"s{schedule}:{stamp}:{short_destination(destination)}"
