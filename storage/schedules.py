"""Schedules live in our own tables; APScheduler only computes fire times in memory.

APScheduler's SQLAlchemyJobStore pickles jobs (a renamed function silently deletes them) and has
no locking (two processes both fire a job), so the source of truth is `schedules`, and each
occurrence is claimed in `schedule_runs` (UNIQUE(schedule_id, occurrence)) before a job runs.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base
from storage.outbox import parse_destination
from storage.types import UTCDateTime, dialect_insert

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

DEFAULT_TIMEZONE = "Europe/Oslo"


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(80))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    destinations: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(8))  # at | cron
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cron: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduleRun(Base):
    """One claimed occurrence; the unique constraint is what makes a fire happen once."""

    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("schedule_id", "occurrence", name="uq_schedule_run"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # running | done | failed | missed
    worker: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class ScheduleError(ValueError):
    """A bad schedule definition; the message is safe to print."""


_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _crontab_dow(field: str) -> str:
    """Standard crontab weekdays (0/7 = Sunday) as names: APScheduler 3 counts 0 as Monday."""
    out: list[str] = []
    for item in field.split(","):
        base, slash, step = item.partition("/")
        if re.fullmatch(r"\d+-\d+", base) and not slash:
            lo, hi = (int(x) for x in base.split("-"))
            if not (0 <= lo <= 7 and 0 <= hi <= 7 and lo <= hi):
                raise ScheduleError(f"weekday range {base!r} is not valid")
            out.extend(_DOW_NAMES[d] for d in range(lo, hi + 1))
        elif re.fullmatch(r"\d+", base):
            if int(base) > 7:
                raise ScheduleError(f"weekday {base!r} is not valid (0-7)")
            out.append(_DOW_NAMES[int(base)] + (slash + step))
        else:
            out.append(item)
    return ",".join(dict.fromkeys(out))


def cron_trigger(expr: str, timezone: str = DEFAULT_TIMEZONE) -> CronTrigger:
    """A wall-clock trigger for a 5-field crontab expression in `timezone` (DST-correct)."""
    from apscheduler.triggers.cron import CronTrigger  # lazy: heavy optional dependency

    fields = expr.split()
    if len(fields) != 5:
        raise ScheduleError(f"cron {expr!r} needs 5 fields: MIN HOUR DOM MON DOW")
    try:
        return CronTrigger(
            minute=fields[0],
            hour=fields[1],
            day=fields[2],
            month=fields[3],
            day_of_week=_crontab_dow(fields[4]),
            timezone=zone(timezone),
        )
    except ValueError as exc:
        raise ScheduleError(f"cron {expr!r}: {exc}") from None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{name!r} is not a known time zone") from None


def add_schedule(
    session: Session,
    *,
    job: str,
    args: dict[str, Any] | None = None,
    destinations: list[str] | None = None,
    at: datetime | None = None,
    cron: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    now: datetime | None = None,
    known_jobs: Collection[str] | None = None,
) -> int:
    """Store a schedule (exactly one of `at`, an aware instant, or `cron`); returns its id.

    `now` (default: the system clock) is the creation time: cron occurrences before it never run.
    `known_jobs` (the composition root's job names) rejects a job this version cannot run; a
    feature scheduling its own job passes nothing.
    """
    if known_jobs is not None and job not in known_jobs:
        raise ScheduleError(f"unknown job {job!r} (known: {', '.join(sorted(known_jobs))})")
    if (at is None) == (cron is None):
        raise ScheduleError("give exactly one of --at or --cron")
    zone(timezone)
    if at is not None and at.tzinfo is None:
        raise ScheduleError("the time must carry an offset (or be read as local time first)")
    if cron is not None:
        cron_trigger(cron, timezone)
    for destination in destinations or []:
        parse_destination(destination)
    row = Schedule(
        job=job,
        args=dict(args or {}),
        destinations=list(destinations or []),
        kind="at" if at is not None else "cron",
        at=at.astimezone(UTC) if at is not None else None,
        cron=" ".join(cron.split()) if cron else None,
        timezone=timezone,
        active=True,
        created_at=now or datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row.id


def cancel_schedule(session: Session, schedule_id: int) -> bool:
    row = session.get(Schedule, schedule_id)
    if row is None or not row.active:
        return False
    row.active = False
    return True


def active_schedules(session: Session) -> list[Schedule]:
    return list(session.scalars(select(Schedule).where(Schedule.active).order_by(Schedule.id)))


def all_schedules(session: Session) -> list[Schedule]:
    return list(session.scalars(select(Schedule).order_by(Schedule.id)))


# -- occurrences -------------------------------------------------------------------------------


def occurrences(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Fire instants (UTC) in (start, end], computed on the wall clock of the schedule's zone."""
    if schedule.kind == "at":
        at = schedule.at
        return [at] if at is not None and start < at <= end else []
    trigger = cron_trigger(schedule.cron or "", schedule.timezone)
    out: list[datetime] = []
    previous: datetime | None = None
    cursor = start.astimezone(zone(schedule.timezone)) + timedelta(microseconds=1)
    for _ in range(10_000):
        fire = trigger.get_next_fire_time(previous, cursor)
        if fire is None or fire > end:
            break
        out.append(fire.astimezone(UTC))
        previous = fire
        cursor = fire + timedelta(microseconds=1)
    return out


def latest_occurrence(schedule: Schedule, now: datetime, grace: timedelta) -> datetime | None:
    """The newest occurrence at or before `now` and no older than `grace`.

    A one-off (`at`) counts even if it was created after its own time (a post asked for "now");
    a cron schedule only counts occurrences after it was created. Older missed runs collapse into
    this one, so downtime never produces a burst of posts.
    """
    if schedule.kind == "at":
        at = schedule.at
        return at if at is not None and at <= now and now - at <= grace else None
    floor = max(now - grace, schedule.created_at - timedelta(seconds=1))
    found = occurrences(schedule, floor, now)
    return found[-1] if found else None


def next_occurrence(schedule: Schedule, now: datetime) -> datetime | None:
    if schedule.kind == "at":
        return schedule.at if schedule.at and schedule.at > now else None
    found = occurrences(schedule, now, now + timedelta(days=400))
    return found[0] if found else None


def claim_occurrence(
    session: Session,
    schedule_id: int,
    occurrence: datetime,
    *,
    worker: str,
    now: datetime,
    stale_after: timedelta,
) -> bool:
    """True if this worker may run the occurrence: first claim, or a takeover of a claim whose
    worker died before finishing (`running` for longer than `stale_after`). Jobs are idempotent
    (their posts have unique outbox keys), so a takeover never doubles a post."""
    stmt = (
        dialect_insert(session)(ScheduleRun)
        .values(
            schedule_id=schedule_id,
            occurrence=occurrence,
            status="running",
            worker=worker,
            claimed_at=now,
        )
        .on_conflict_do_nothing(index_elements=["schedule_id", "occurrence"])
        .returning(ScheduleRun.id)
    )
    # RETURNING, not rowcount: an ORM insert on PostgreSQL reports rowcount -1 (truthy).
    if session.execute(stmt).first() is not None:
        return True
    takeover = session.execute(
        sql_update(ScheduleRun)
        .where(
            ScheduleRun.schedule_id == schedule_id,
            ScheduleRun.occurrence == occurrence,
            ScheduleRun.status == "running",
            ScheduleRun.claimed_at < now - stale_after,
        )
        .values(worker=worker, claimed_at=now)
    )
    return _rowcount(takeover) > 0


def finish_occurrence(
    session: Session, schedule_id: int, occurrence: datetime, *, now: datetime,
    error: str | None = None,
) -> None:
    session.execute(
        sql_update(ScheduleRun)
        .where(ScheduleRun.schedule_id == schedule_id, ScheduleRun.occurrence == occurrence)
        .values(status="failed" if error else "done", finished_at=now, error=error)
    )


def runs(session: Session, schedule_id: int) -> list[ScheduleRun]:
    return list(
        session.scalars(
            select(ScheduleRun)
            .where(ScheduleRun.schedule_id == schedule_id)
            .order_by(ScheduleRun.occurrence)
        )
    )


def _rowcount(result: Any) -> int:
    """Rows an UPDATE touched (typed access: `Session.execute` is annotated as a plain Result)."""
    return int(getattr(result, "rowcount", 0) or 0)
