"""Schedules and the worker: wall-clock cron across DST, catch-up after downtime, one run per
occurrence however many workers sweep, and APScheduler firing for real."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.core import Bot, Services
from bot.jobs import post_key
from bot.replies import Reply, Section
from integrations.runtime.cli import main
from integrations.runtime.worker import Worker
from storage import outbox
from storage.schedules import (
    Schedule,
    ScheduleError,
    add_schedule,
    cancel_schedule,
    occurrences,
    runs,
)
from tests.support.posts import close_bot, make_posts_bot, posts_env
from tests.support.slack_api import FakeSlackAPI

OSLO = ZoneInfo("Europe/Oslo")


def ping(services: Services, args: dict[str, Any], occurrence: datetime) -> None:
    """A job that posts the local time of its occurrence (used only by these tests)."""
    local = occurrence.astimezone(OSLO)
    text = f"ping {local:%Y-%m-%d %H:%M %Z}"
    with services.db.session() as session:
        for destination in args["destinations"]:
            outbox.enqueue(session, key=post_key(args, occurrence, destination),
                           destination=destination, reply=Reply(text=text, parts=(Section(text),)))


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def bot(sqlite_url: str, slack: FakeSlackAPI, clock: FixedClock) -> Iterator[Bot]:
    instance = make_posts_bot(sqlite_url, slack=slack, clock=clock)
    instance.services.jobs["test-ping"] = ping
    yield instance
    close_bot(instance)


def schedule(bot: Bot, **kwargs: Any) -> int:
    with bot.services.db.session() as session:
        return add_schedule(session, now=bot.services.clock.now(), known_jobs=bot.services.jobs,
                            **kwargs)


def texts(slack: FakeSlackAPI) -> list[str]:
    return [m["text"] for m in slack.messages()]


def test_weekly_0900_oslo_stays_0900_across_both_dst_changes() -> None:
    row = Schedule(kind="cron", cron="0 9 * * 1", timezone="Europe/Oslo",
                   created_at=datetime(2026, 1, 1, tzinfo=UTC))
    spring = occurrences(row, datetime(2026, 3, 15, tzinfo=UTC), datetime(2026, 4, 14, tzinfo=UTC))
    autumn = occurrences(row, datetime(2026, 10, 11, tzinfo=UTC),
                         datetime(2026, 11, 10, tzinfo=UTC))
    for fire in spring + autumn:
        local = fire.astimezone(OSLO)
        assert (local.hour, local.minute, local.weekday()) == (9, 0, 0)
    assert [f.hour for f in spring] == [8, 8, 7, 7, 7]  # CET, CET, then CEST from 29 March
    assert [f.hour for f in autumn] == [7, 7, 8, 8, 8]  # CEST, CEST, then CET from 25 October


def test_crontab_weekdays_follow_cron_not_apscheduler_numbering() -> None:
    base = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday

    def days(expr: str) -> list[int]:
        row = Schedule(kind="cron", cron=expr, timezone="Europe/Oslo", created_at=base)
        return [f.astimezone(OSLO).weekday() for f in occurrences(row, base, base + timedelta(7))]

    assert days("0 9 * * 1") == [0]
    assert days("0 9 * * 0") == [6] == days("0 9 * * 7")
    assert days("0 9 * * 1-5") == [0, 1, 2, 3, 4]
    with pytest.raises(ScheduleError):
        occurrences(Schedule(kind="cron", cron="0 9 * *", timezone="Europe/Oslo",
                                          created_at=base), base, base + timedelta(1))


def test_worker_posts_weekly_at_0900_local_through_the_march_change(
    bot: Bot, slack: FakeSlackAPI, clock: FixedClock
) -> None:
    schedule(bot, job="test-ping", destinations=["slack:C1"], cron="0 9 * * 1")
    worker = Worker(bot.services)
    clock.set(datetime(2026, 3, 16, 6, 0, tzinfo=UTC))
    for _ in range(3 * 7 * 4):  # three weeks in six-hour steps
        clock.advance(timedelta(hours=6))
        worker.run_once()
    assert texts(slack) == [
        "ping 2026-03-16 09:00 CET",
        "ping 2026-03-23 09:00 CET",
        "ping 2026-03-30 09:00 CEST",
    ]


def test_downtime_across_several_runs_posts_once_on_return(
    bot: Bot, slack: FakeSlackAPI, clock: FixedClock
) -> None:
    schedule_id = schedule(bot, job="test-ping", destinations=["slack:C1"], cron="0 9 * * *")
    clock.set(datetime(2026, 3, 5, 9, 30, tzinfo=OSLO))  # down since the 1st: four runs missed
    worker = Worker(bot.services, grace=timedelta(hours=6))
    worker.run_once()
    worker.run_once()
    assert texts(slack) == ["ping 2026-03-05 09:00 CET"]
    with bot.services.db.session() as session:
        assert [r.status for r in runs(session, schedule_id)] == ["done"]


def test_one_off_missed_within_grace_is_sent_once_beyond_grace_not_at_all(
    bot: Bot, slack: FakeSlackAPI, clock: FixedClock
) -> None:
    recent = schedule(bot, job="test-ping", destinations=["slack:C1"],
                      at=clock.now() + timedelta(hours=1))
    stale = schedule(bot, job="test-ping", destinations=["slack:C2"],
                     at=clock.now() + timedelta(minutes=5))
    clock.advance(timedelta(hours=8))  # both times passed while the bot was down
    worker = Worker(bot.services, grace=timedelta(hours=7, minutes=30))
    worker.run_once()
    worker.run_once()
    assert [c.params["channel"] for c in slack.calls("chat.postMessage")] == ["C1"]
    with bot.services.db.session() as session:
        assert [r.status for r in runs(session, recent)] == ["done"]
        (missed,) = runs(session, stale)
        assert missed.status == "failed" and "missed" in (missed.error or "")
        assert not session.get(Schedule, stale).active


def test_many_workers_sweeping_one_occurrence_run_it_once(
    bot: Bot, slack: FakeSlackAPI, clock: FixedClock
) -> None:
    schedule(bot, job="test-ping", destinations=["slack:C1", "slack:C2"],
             at=clock.now() + timedelta(minutes=1))
    clock.advance(timedelta(minutes=2))
    workers = [Worker(bot.services, name=f"w{i}") for i in range(3)]
    ran = [w.sweep() for w in workers]
    assert sum(len(r) for r in ran) == 1
    for w in workers:
        w.deliver()
    assert sorted(c.params["channel"] for c in slack.calls("chat.postMessage")) == ["C1", "C2"]


def test_a_crashed_run_is_taken_over_without_doubling_posts(
    bot: Bot, slack: FakeSlackAPI, clock: FixedClock
) -> None:
    schedule_id = schedule(bot, job="test-ping", destinations=["slack:C1"],
                           at=clock.now() + timedelta(minutes=1))
    clock.advance(timedelta(minutes=2))
    occurrence = clock.now() - timedelta(minutes=1)
    from storage.schedules import claim_occurrence

    with bot.services.db.session() as session:  # a worker claimed, queued the post, then died
        assert claim_occurrence(session, schedule_id, occurrence, worker="dead", now=clock.now(),
                                stale_after=timedelta(minutes=10))
    ping(bot.services, {"schedule_id": schedule_id, "destinations": ["slack:C1"]}, occurrence)
    worker = Worker(bot.services, stale_after=timedelta(minutes=10))
    assert worker.sweep() == []  # still within the dead worker's claim
    clock.advance(timedelta(minutes=11))
    assert worker.sweep() == [(schedule_id, occurrence)]
    worker.deliver()
    assert texts(slack) == [f"ping {occurrence.astimezone(OSLO):%Y-%m-%d %H:%M %Z}"]


def test_cancelled_schedules_do_not_run(bot: Bot, slack: FakeSlackAPI, clock: FixedClock) -> None:
    schedule_id = schedule(bot, job="test-ping", destinations=["slack:C1"], cron="* * * * *")
    with bot.services.db.session() as session:
        assert cancel_schedule(session, schedule_id)
    clock.advance(timedelta(minutes=5))
    Worker(bot.services).run_once()
    assert slack.calls() == []


def test_apscheduler_fires_on_time_and_sees_schedules_added_later(
    sqlite_url: str, slack: FakeSlackAPI
) -> None:
    live = make_posts_bot(sqlite_url, slack=slack)
    live.services.jobs["test-ping"] = ping
    worker = Worker(live.services, poll=0.2, reload=0.3).start()
    try:
        soon = datetime.now(UTC) + timedelta(seconds=1.5)
        schedule(live, job="test-ping", destinations=["slack:C9"], at=soon)  # after start
        slack.wait_for("chat.postMessage", timeout=6)
        call = slack.calls("chat.postMessage")[0]
        assert call.at >= soon.timestamp() - 0.05
        time.sleep(0.8)
        assert len(slack.calls("chat.postMessage")) == 1
    finally:
        worker.stop()
        close_bot(live)


def test_schedule_cli_contract(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in posts_env(sqlite_url).items():
        monkeypatch.setenv(name, value)
    assert main(["schedule", "add", "--job", "digest", "--to", "slack:C1", "--to",
                 "mail:a@example.org", "--cron", "0 9 1 */2 *"]) == 0
    first = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["schedule", "add", "--job", "digest", "--to", "slack:C1",
                 "--at", "2030-04-05T09:00:00"]) == 0
    second = capsys.readouterr().out.strip().splitlines()[-1]
    assert first.isdigit() and second.isdigit() and first != second
    assert main(["schedule", "list", "--format", "json"]) == 0
    listed = {s["id"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed[int(first)]["cron"] == "0 9 1 */2 *"
    assert listed[int(first)]["destinations"] == ["slack:C1", "mail:a@example.org"]
    assert listed[int(second)]["at"] == "2030-04-05T09:00:00+02:00"  # Oslo summer time
    assert listed[int(second)]["next_run"] == "2030-04-05T09:00:00+02:00"
    assert main(["schedule", "add", "--job", "agenda:999", "--to", "slack:C1",
                 "--at", "2030-01-01 09:00"]) == 1
    with pytest.raises(SystemExit) as refused:  # argparse names the bad destination
        main(["schedule", "add", "--job", "digest", "--to", "irc:#x", "--at", "2030-01-01 09:00"])
    assert refused.value.code == 2
    assert "is not a destination" in capsys.readouterr().err
