"""`norcrin-bot schedule …`, `outbox …`, `worker`, `graph login`: the delivery machinery.

`schedule add` prints the schedule's id alone on the last line. `--at` takes ISO 8601 (seconds
and an offset optional; without an offset it is Europe/Oslo time); `--cron` takes a standard
5-field crontab line evaluated on the Europe/Oslo wall clock.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import object_session

from bot.config import Settings
from bot.redact import mask_secrets
from bot.terminal import CliError, cli_tools, print_table, shown_destination
from integrations.delivery import OutboxDelivery
from integrations.runtime.cli_posts import destination_arg, parse_local
from integrations.runtime.worker import Worker
from storage import outbox, schedules
from storage.agenda import AgendaError, get_meeting
from storage.schedules import next_occurrence, runs


def _job_spec(text: str) -> tuple[str, dict[str, Any]]:
    name, _, arg = text.partition(":")
    if name == "digest" and not arg:
        return "digest", {}
    if name == "agenda" and arg.strip().isdigit():
        return "agenda", {"meeting": int(arg)}
    if name in ("agenda-reminder", "agenda-minutes") and arg.strip().isdigit():
        return name, {"meeting": int(arg)}
    return name, {}


def schedule_json(row: Any, now: Any, tz: Any) -> dict[str, Any]:
    upcoming = next_occurrence(row, now) if row.active else None
    return {
        "id": row.id,
        "job": row.job,
        "args": row.args,
        "destinations": [shown_destination(d) for d in row.destinations],
        "trigger": row.kind,
        "at": row.at.astimezone(tz).isoformat() if row.at else None,
        "cron": row.cron,
        "timezone": row.timezone,
        "active": row.active,
        "next_run": upcoming.astimezone(tz).isoformat() if upcoming else None,
        "runs": [
            {"occurrence": r.occurrence.astimezone(tz).isoformat(), "status": r.status,
             "error": mask_secrets(r.error) if r.error else None}
            for r in runs(_session_of(row), row.id)[-5:]
        ],
    }


def _session_of(row: Any) -> Any:
    return object_session(row)


def cmd_schedule(args: argparse.Namespace, settings: Settings) -> int:
    bot = cli_tools(args).open_bot(settings)
    now = bot.services.clock.now()
    with bot.services.db.session() as session:
        if args.schedule_action == "add":
            job, job_args = _job_spec(args.job)
            if job == "agenda" or job.startswith("agenda-"):
                try:
                    get_meeting(session, job_args.get("meeting", ""))
                except AgendaError as exc:
                    raise CliError(f"--job {args.job}: {exc}") from None
            if args.min_items:
                job_args["min_items"] = args.min_items
            zone = schedules.zone(args.timezone)
            at = parse_local(args.at, zone, "--at") if args.at else None
            if at is not None and at <= now:
                raise CliError(
                    f"--at {args.at}: that time has passed (it is now "
                    f"{now.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}); give a future time"
                )
            try:
                schedule_id = schedules.add_schedule(
                    session, job=job, args=job_args, destinations=args.to, at=at,
                    cron=args.cron, timezone=args.timezone, now=now,
                    known_jobs=bot.services.jobs,
                )
            except schedules.ScheduleError as exc:
                raise CliError(str(exc)) from None
            row = session.get(schedules.Schedule, schedule_id)
            upcoming = schedules.next_occurrence(row, now) if row else None
            if upcoming:
                print(f"next run {upcoming.astimezone(zone).isoformat()}", file=sys.stderr)
            print(schedule_id)
            return 0
        if args.schedule_action == "cancel":
            if not schedules.cancel_schedule(session, args.id):
                raise CliError(f"no active schedule {args.id}")
            print(f"cancelled {args.id}", file=sys.stderr)
            return 0
        rows = schedules.all_schedules(session)
        data = [schedule_json(row, now, settings.timezone) for row in rows]
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False))
        return 0

    def short(iso: str | None) -> str | None:
        return iso[:16].replace("T", " ") if iso else None

    def state(item: dict[str, Any]) -> str:
        last = item["runs"][-1]["status"] if item["runs"] else None
        return "active" if item["active"] else last or "inactive"  # e.g. done, missed

    print_table(  # the runs (and every field) are in --format json
        ("id", "job", "when", "to", "next run", "state"),
        [
            (
                item["id"],
                item["job"] + "".join(f" {k}={v}" for k, v in item["args"].items()),
                short(item["at"]) or f"cron {item['cron']}",
                "\n".join(item["destinations"]),  # already shown_destination()
                short(item["next_run"]),
                state(item),
            )
            for item in data
        ],
    )
    return 0


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    bot = cli_tools(args).open_bot(settings)
    tz = settings.timezone
    if args.outbox_action == "deliver":
        outcomes = outbox.deliver_due(bot.services, limit=args.limit)
        for o in outcomes:
            print(f"{shown_destination(o.destination)}\t{o.status}\t"
                  f"{o.ref or mask_secrets(o.error or '')}\t{o.key}")
        return 0 if all(o.ok for o in outcomes) else 1
    if args.outbox_action == "retry":
        if not args.target:
            raise CliError("outbox retry needs a KEY or id")
        with bot.services.db.session() as session:
            if not outbox.retry_post(session, args.target):
                raise CliError(f"no failed post {args.target!r}")
        print(f"requeued {args.target}", file=sys.stderr)
        return 0
    with bot.services.db.session() as session:
        rows = outbox.list_posts(session, status=args.status, limit=args.limit)
        data: list[dict[str, Any]] = [
            {
                "id": r.id, "key": r.key, "destination": shown_destination(r.destination),
                "status": r.status,
                "attempts": r.attempts,
                "due_at": r.due_at.astimezone(tz).isoformat() if r.due_at else None,
                "sent_at": r.sent_at.astimezone(tz).isoformat() if r.sent_at else None,
                "sent_ref": r.sent_ref, "update_of": r.update_of,
                "last_error": mask_secrets(r.last_error) if r.last_error else None,
                "text": str(r.payload.get("text", ""))[:80],
            }
            for r in rows
        ]
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False))
        return 0
    # readable at 80 columns: the key (and the whole text) is in --format json; `retry` takes ids
    print_table(
        ("id", "status", "tries", "to", "when", "text / error"),
        [
            (
                item["id"],
                item["status"],
                item["attempts"],
                shown_destination(item["destination"]),
                (item["sent_at"] or item["due_at"] or "now")[:16].replace("T", " "),
                item["last_error"] or item["text"],
            )
            for item in data
        ],
    )
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    bot = cli_tools(args).open_bot(settings)
    if args.lease:
        delivery = bot.services.delivery
        if isinstance(delivery, OutboxDelivery):
            delivery.policy = replace(delivery.policy, lease=timedelta(seconds=args.lease))
    worker = Worker(bot.services, poll=args.poll, reload=args.reload,
                    grace=timedelta(seconds=args.grace))
    if args.once:
        outcomes = worker.run_once()
        for o in outcomes:
            print(f"{shown_destination(o.destination)}\t{o.status}\t"
                  f"{o.ref or mask_secrets(o.error or '')}\t{o.key}")
        return 0 if all(o.ok for o in outcomes) else 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker.start()
    print(json.dumps({"worker": worker.name}), flush=True)
    try:
        stop.wait()
    finally:
        worker.stop()
    return 0


def cmd_graph(args: argparse.Namespace, settings: Settings) -> int:
    from integrations.graph.auth import device_code_login  # lazy: heavy optional dependency
    user = device_code_login(settings, echo=lambda text: print(text, file=sys.stderr, flush=True))
    print(f"signed in as {user}; token stored encrypted in {settings.graph_token_store}")
    return 0


def register_cli(sub: Any) -> None:
    schedule = sub.add_parser("schedule", help="scheduled posts")
    actions = schedule.add_subparsers(dest="schedule_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a schedule; prints its id")
    add.add_argument("--job", required=True, help="digest | agenda:MEETING")
    add.add_argument("--to", action="append", required=True, type=destination_arg)
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", help="ISO time; without an offset it is Europe/Oslo time")
    when.add_argument("--cron", help='"MIN HOUR DOM MON DOW" on the Europe/Oslo clock')
    add.add_argument("--timezone", default="Europe/Oslo")
    add.add_argument("--min-items", type=int, help="digest: post only when N items gathered")
    lst = actions.add_parser("list", help="all schedules")
    lst.add_argument("--format", choices=["json", "table"], default="table")
    cancel = actions.add_parser("cancel", help="deactivate a schedule")
    cancel.add_argument("id", type=int)
    schedule.set_defaults(run=cmd_schedule)

    box = sub.add_parser("outbox", help="show pending/sent/failed posts (or deliver, retry)")
    box.add_argument("outbox_action", nargs="?", choices=["list", "deliver", "retry"],
                     default="list")
    box.add_argument("target", nargs="?", help="retry: the post's key or id")
    box.add_argument("--status", choices=["pending", "sending", "sent", "failed"])
    box.add_argument("--format", choices=["table", "json"], default="table")
    box.add_argument("--limit", type=int, default=50)
    box.set_defaults(run=cmd_outbox)

    worker = sub.add_parser("worker", help="run schedules and the outbox (no chat surface)")
    worker.add_argument("--once", action="store_true", help="one sweep and delivery, then exit")
    worker.add_argument("--poll", type=float, default=2.0, help="outbox poll seconds")
    worker.add_argument("--reload", type=float, default=15.0, help="schedule reload seconds")
    worker.add_argument("--grace", type=float, default=6 * 3600,
                        help="run a missed occurrence if at most this many seconds late")
    worker.add_argument("--lease", type=float, help="seconds a claimed post is held")
    worker.set_defaults(run=cmd_worker)

    graph = sub.add_parser("graph", help="Microsoft Graph set-up")
    gactions = graph.add_subparsers(dest="graph_action", required=True, metavar="ACTION")
    gactions.add_parser("login", help="sign the delegated service account in (device code)")
    graph.set_defaults(run=cmd_graph)
