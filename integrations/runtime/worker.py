"""The worker: runs schedules and delivers the outbox, in any number of processes at once.

Each process keeps an APScheduler 3.11 `BackgroundScheduler` with an in-memory job store, rebuilt
from the `schedules` table every `reload` seconds (so schedules added elsewhere are seen). A fire
only *claims* the occurrence in the database; the process that wins runs the job. A sweep on start
and on every reload runs the newest missed occurrence of each schedule if it is within `grace`
(default 6 hours) — once, however many runs were missed — and records older one-offs as missed.
Times are computed on the schedule's wall clock (Europe/Oslo by default), so DST never moves a
09:00 post.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core import Bot, Services
from bot.jobs import JobFunction
from integrations.transports.checks import check_schedules
from storage import schedules as sched
from storage.outbox import Outcome, deliver_due

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("norcrin_bot.worker")

DEFAULT_GRACE = timedelta(hours=6)


class Worker:
    def __init__(
        self,
        services: Services,
        *,
        poll: float = 2.0,
        reload: float = 15.0,
        grace: timedelta = DEFAULT_GRACE,
        stale_after: timedelta = timedelta(minutes=10),
        name: str | None = None,
        jobs: Mapping[str, JobFunction] | None = None,
    ) -> None:
        self.services = services
        self.jobs = services.jobs if jobs is None else jobs
        self.poll = poll
        self.reload = reload
        self.grace = grace
        self.stale_after = stale_after
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.scheduler: BackgroundScheduler | None = None
        self._signatures: dict[int, tuple[Any, ...]] = {}
        self._deliver_lock = threading.Lock()

    # -- running occurrences -------------------------------------------------------------------

    def now(self) -> datetime:
        return self.services.clock.now()

    def sweep(self, now: datetime | None = None) -> list[tuple[int, datetime]]:
        """Run every schedule's newest due occurrence not yet claimed; returns what ran here."""
        now = now or self.now()
        with self.services.db.session() as session:
            rows = sched.active_schedules(session)
            session.expunge_all()
        ran = []
        for schedule in rows:
            occurrence = sched.latest_occurrence(schedule, now, self.grace)
            if occurrence is None:
                self._note_missed(schedule, now)
                continue
            if self.run_occurrence(schedule, occurrence, now):
                ran.append((schedule.id, occurrence))
        return ran

    def _note_missed(self, schedule: sched.Schedule, now: datetime) -> None:
        """A one-off whose time passed more than `grace` ago: recorded, not posted late."""
        if schedule.kind != "at" or schedule.at is None or schedule.at > now:
            return
        with self.services.db.session() as session:
            if sched.claim_occurrence(session, schedule.id, schedule.at, worker=self.name,
                                      now=now, stale_after=self.stale_after):
                sched.finish_occurrence(session, schedule.id, schedule.at, now=now,
                                        error="missed: past the grace period")
                row = session.get(sched.Schedule, schedule.id)
                if row is not None:
                    row.active = False
                log.warning("schedule %d: %s was missed by more than %s; not posted",
                            schedule.id, schedule.at.isoformat(), self.grace)

    def run_occurrence(self, schedule: sched.Schedule, occurrence: datetime, now: datetime) -> bool:
        with self.services.db.session() as session:
            won = sched.claim_occurrence(session, schedule.id, occurrence, worker=self.name,
                                         now=now, stale_after=self.stale_after)
        if not won:
            return False
        function = self.jobs.get(schedule.job)
        args = {**schedule.args, "schedule_id": schedule.id,
                "destinations": list(schedule.destinations)}
        error = None
        try:
            if function is None:
                raise LookupError(f"no job named {schedule.job!r} in this version")
            function(self.services, args, occurrence)
            log.info("schedule %d (%s): ran occurrence %s", schedule.id, schedule.job,
                     occurrence.isoformat())
        except Exception as exc:
            error = f"{exc.__class__.__name__}: {exc}"
            log.exception("schedule %d (%s) failed at %s", schedule.id, schedule.job,
                          occurrence.isoformat())
        with self.services.db.session() as session:
            sched.finish_occurrence(session, schedule.id, occurrence, now=self.now(), error=error)
            if schedule.kind == "at":
                row = session.get(sched.Schedule, schedule.id)
                if row is not None:
                    row.active = False
        return True

    def deliver(self, now: datetime | None = None, rounds: int = 20) -> list[Outcome]:
        """Deliver due outbox posts until none are left (or `rounds` batches)."""
        outcomes: list[Outcome] = []
        with self._deliver_lock:
            for _ in range(rounds):
                batch = deliver_due(self.services, now=now)
                outcomes.extend(batch)
                if not batch:
                    break
        return outcomes

    def run_once(self) -> list[Outcome]:
        self.sweep()
        return self.deliver()

    # -- APScheduler ---------------------------------------------------------------------------

    def _fire(self, schedule_id: int) -> None:
        with self.services.db.session() as session:
            schedule = session.get(sched.Schedule, schedule_id)
            if schedule is None or not schedule.active:
                return
            session.expunge(schedule)
        now = self.now()
        occurrence = sched.latest_occurrence(schedule, now, self.grace)
        if occurrence is not None and self.run_occurrence(schedule, occurrence, now):
            self._safe(self.deliver)

    def sync(self) -> None:
        """Mirror the `schedules` table into the in-memory job store."""
        scheduler = self.scheduler
        if scheduler is None:
            return
        with self.services.db.session() as session:
            rows = sched.active_schedules(session)
            session.expunge_all()
        now = self.now()
        seen = set()
        for row in rows:
            signature = (row.kind, row.at, row.cron, row.timezone)
            seen.add(row.id)
            if self._signatures.get(row.id) == signature:
                continue
            job_id = f"schedule-{row.id}"
            if row.kind == "at":
                if row.at is None or row.at <= now:
                    self._signatures[row.id] = signature
                    continue  # the sweep handles the past
                from apscheduler.triggers.date import DateTrigger  # lazy: heavy optional dependency

                trigger: Any = DateTrigger(run_date=row.at)
            else:
                trigger = sched.cron_trigger(row.cron or "", row.timezone)
            scheduler.add_job(
                self._fire, trigger, args=[row.id], id=job_id, replace_existing=True,
                misfire_grace_time=int(self.grace.total_seconds()), coalesce=True,
                max_instances=1,
            )
            self._signatures[row.id] = signature
        for schedule_id in set(self._signatures) - seen:
            self._signatures.pop(schedule_id, None)
            if scheduler.get_job(f"schedule-{schedule_id}"):
                scheduler.remove_job(f"schedule-{schedule_id}")

    def _housekeeping(self) -> None:
        self._safe(self.sync)
        self._safe(self.sweep)

    def _safe(self, fn: Any) -> None:
        try:
            fn()
        except Exception:
            log.exception("worker task %s failed", getattr(fn, "__name__", fn))

    def start(self) -> Worker:
        """Start scheduling and delivering; a stored schedule whose destination no transport
        takes stops the start with a `ConfigError` naming it (the CLI exits 2)."""
        check_schedules(self.services)
        # lazy: heavy optional dependency (only `serve` and `worker` schedule anything)
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = BackgroundScheduler(
            timezone=sched.zone(sched.DEFAULT_TIMEZONE),
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(self.grace.total_seconds())},
        )
        self.scheduler = scheduler
        scheduler.start()
        for hook in self.services.worker_start:  # e.g. ensure a daily job is scheduled
            self._safe(lambda hook=hook: hook(self.services))
        self._housekeeping()
        self._safe(self.deliver)
        scheduler.add_job(self._housekeeping, IntervalTrigger(seconds=self.reload),
                          id="reload", max_instances=1, coalesce=True)
        scheduler.add_job(lambda: self._safe(self.deliver), IntervalTrigger(seconds=self.poll),
                          id="outbox", max_instances=1, coalesce=True)
        log.info("worker %s started (poll %.1fs, reload %.1fs, grace %s)", self.name,
                 self.poll, self.reload, self.grace)
        return self

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None


def start_background(bot: Bot, surface: Any | None = None) -> Callable[[], None]:
    """A `Services.background` starter: `serve` and `worker` call it; returns stop()."""
    return Worker(bot.services).start().stop
