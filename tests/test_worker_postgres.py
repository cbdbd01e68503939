"""Several `norcrin-bot worker` processes on one PostgreSQL database: every scheduled post is
delivered exactly once, even when a worker is SIGKILLed between its claim and its send."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.replies import Reply, Section
from storage.db import Database
from storage.outbox import OutboxPost, enqueue
from storage.schedules import add_schedule
from tests.support.pg import throwaway_database
from tests.support.posts import posts_env
from tests.support.slack_api import FakeSlackAPI

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def pg_url() -> Iterator[str]:
    with throwaway_database("norcrin_outbox") as url:
        yield url


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        yield fake


def start_worker(url: str, slack: FakeSlackAPI, *, lease: float = 5.0) -> subprocess.Popen[bytes]:
    env = {**os.environ, **posts_env(url, slack=slack)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "integrations.runtime",
            "worker",
            "--poll",
            "0.2",
            "--reload",
            "0.5",
            "--lease",
            str(lease),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def wait_until(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_two_workers_deliver_each_scheduled_post_exactly_once(
    pg_url: str, slack: FakeSlackAPI
) -> None:
    database = Database(pg_url)
    at = datetime.now(UTC) + timedelta(seconds=4)
    channels = [f"C{i}" for i in range(6)]
    with database.session() as session:
        for index in range(4):  # four digest schedules due together, six channels each:
            add_schedule(
                session,
                job="digest",
                args={"min_items": 1},  # the first takes the
                destinations=[f"slack:{c}" for c in channels],  # news, the rest skip
                at=at + timedelta(milliseconds=index),
            )
        from storage.news import add_news

        add_news(
            session,
            title="Høstmøte for datahåndterere og monitorer",
            link="https://norcrin.fnsp.nhn.no/nyheter/dmmon-hostmote2025",
            published=datetime.now(UTC),
            now=datetime.now(UTC),
        )
        for index in range(60):  # plus a backlog both workers drain at once
            enqueue(
                session,
                key=f"backlog-{index}",
                destination=f"slack:B{index % 4}",
                reply=Reply(text=f"backlog {index}", parts=(Section(f"backlog {index}"),)),
            )
    workers = [start_worker(pg_url, slack), start_worker(pg_url, slack)]
    try:
        wait_until(lambda: len(slack.calls("chat.postMessage")) >= 66, timeout=30)
        time.sleep(1.5)  # anything doubled would show up now
    finally:
        for worker in workers:
            stop(worker)
    calls = slack.calls("chat.postMessage")
    texts = Counter((c.params["channel"], c.params["text"]) for c in calls)
    assert all(n == 1 for n in texts.values()), [k for k, n in texts.items() if n > 1]
    digest_posts = [k for k in texts if k[1].startswith("Nytt fra NorCRIN")]
    assert sorted(ch for ch, _ in digest_posts) == channels  # one digest, each channel once
    assert len(texts) == 66
    with database.session() as session:
        from sqlalchemy import func, select

        statuses = dict(
            session.execute(
                select(OutboxPost.status, func.count()).group_by(OutboxPost.status)
            ).all()
        )
    assert statuses == {"sent": 66}
    logs = b"".join(w.stderr.read() for w in workers if w.stderr).decode()
    assert "Traceback" not in logs, logs[logs.find("Traceback") - 300 :][:2500]
    database.dispose()


def test_worker_killed_between_claim_and_send_is_taken_over_after_the_lease(
    pg_url: str, slack: FakeSlackAPI
) -> None:
    database = Database(pg_url)
    with database.session() as session:
        enqueue(
            session,
            key="only-once",
            destination="slack:C1",
            reply=Reply(text="Dagsorden styremøte", parts=(Section("Dagsorden"),)),
        )
    slack.fail_next("chat.postMessage", 429, retry_after=3)  # holds worker A in its claim
    first = start_worker(pg_url, slack, lease=3.5)
    try:
        slack.wait_for("chat.postMessage", timeout=20)
        first.send_signal(signal.SIGKILL)
        first.wait(5)
        killed_at = time.time()
        second = start_worker(pg_url, slack, lease=3.5)
        try:
            wait_until(lambda: len(slack.messages("C1")) == 1, timeout=20)
            time.sleep(1.0)
        finally:
            stop(second)
    finally:
        stop(first)
    calls = slack.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at >= killed_at  # only after A was gone, once its lease had expired
    assert calls[1].at - calls[0].at > 3.0  # A claimed just before its call; lease 3.5 s
    assert len(slack.messages("C1")) == 1
    with database.session() as session:
        from storage.outbox import get_post

        post = get_post(session, "only-once")
        assert post is not None
        assert post.status == "sent" and post.attempts == 2
    database.dispose()


def test_queue_claim_and_fences_behave_on_postgresql(pg_url: str) -> None:
    from storage.outbox import claim, mark_sent, release, renew
    from storage.schedules import claim_occurrence

    database = Database(pg_url)
    now = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    reply = Reply(text="x")
    with database.session() as session:
        assert enqueue(session, key="k", destination="slack:C1", reply=reply) is True
        assert enqueue(session, key="k", destination="slack:C1", reply=reply) is False
        schedule_id = add_schedule(session, job="digest", destinations=["slack:C1"], at=now)
    with database.session() as session:
        (held,) = claim(session, now=now, lease=timedelta(seconds=5))
        assert claim(session, now=now, lease=timedelta(seconds=5)) == []
    later = now + timedelta(seconds=6)
    with database.session() as session:
        (taken,) = claim(session, now=later, lease=timedelta(seconds=5))
    with database.session() as session:
        assert renew(session, held, now=later, lease=timedelta(seconds=5)) is False
        assert mark_sent(session, held, ref="old", now=later) is False
        assert release(session, held, error="x", retry_at=None) is False
        assert mark_sent(session, taken, ref="new", now=later) is True
    once: dict[str, Any] = {"worker": "w", "now": now, "stale_after": timedelta(minutes=10)}
    with database.session() as session:
        assert claim_occurrence(session, schedule_id, now, **once) is True
    with database.session() as session:
        assert claim_occurrence(session, schedule_id, now, **once) is False
    database.dispose()
