"""Scheduled jobs: named functions the worker runs for a claimed schedule occurrence.

A job is `fn(services, args, occurrence)`. `args` is the schedule's own args plus two reserved
keys the worker adds: `schedule_id` and `destinations`. Jobs never send; they enqueue outbox posts
with keys from `post_key(args, occurrence, destination)`, so a job run twice for one occurrence
(a takeover after a crash, two workers racing) queues each post once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.redact import webhook_hash

if TYPE_CHECKING:
    from bot.core import Services

JobFunction = Callable[["Services", dict[str, Any], datetime], None]
JOBS: dict[str, JobFunction] = {}

# Modules defining jobs; feature routers' modules are imported too (their jobs register there).
JOB_MODULES: tuple[str, ...] = ("commands.posts",)


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register a job under `name` (what `schedules.job` stores)."""

    def register(fn: JobFunction) -> JobFunction:
        JOBS[name] = fn
        return fn

    return register


def load_jobs() -> dict[str, JobFunction]:
    """Import every module that registers jobs; cheap after the first call."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    from bot.app import feature_routers

    feature_routers()
    return JOBS


def short_destination(destination: str) -> str:
    """Destinations as key material: readable when short, hashed when long or secret (webhooks)."""
    return webhook_hash(destination)


def post_key(args: dict[str, Any], occurrence: datetime, destination: str) -> str:
    """The outbox key for one post of one occurrence of one schedule."""
    stamp = occurrence.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    schedule = args.get("schedule_id", "adhoc")
    return f"s{schedule}:{stamp}:{short_destination(destination)}"
