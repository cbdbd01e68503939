"""`serve --http --workers N`: the edge acks, answer processes answer — over real HTTP, signed as
Slack signs, against the Slack Web API stand-in; a worker killed mid-answer, one killed after
Slack took its answer but before its row was done, a replay across processes, and SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.inbox import InboxItem, inbox_url
from tests.support.slack_api import BOT_ID
from tests.support.slack_harness import SIGNING_SECRET
from tests.support.slack_signing import (
    SlackClientHTTP,
    app_mention_event,
    message_event,
    new_event_id,
)

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def serving(database_url: str, fake_slack: Any, *args: str) -> Iterator[Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOT_"))}
    env.update(DATABASE_URL=database_url, SLACK_BOT_TOKEN="xoxb-test-token",
               SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake_slack.base_url,
               PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "integrations.runtime", "serve", "--http", "--host", "127.0.0.1",
         "--port", "0", "--no-worker", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        url = json.loads(process.stdout.readline())["listening"]
        process.http = SlackClientHTTP(url, SIGNING_SECRET)  # type: ignore[attr-defined]
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            _, process.log = process.communicate(timeout=40)  # type: ignore[attr-defined]
        except subprocess.TimeoutExpired:
            process.kill()
            _, process.log = process.communicate()  # type: ignore[attr-defined]


def rows(database_url: str) -> list[InboxItem]:
    db = Database(inbox_url(database_url))
    try:
        with db.session() as session:
            return list(session.scalars(select(InboxItem).order_by(InboxItem.id)))
    finally:
        db.dispose()


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def answers(fake_slack: Any, channel: str) -> list[dict[str, Any]]:
    """The bot's posts in a channel (the stand-in also holds the questions people wrote)."""
    return [m for m in fake_slack.messages(channel) if m.get("bot_id") == BOT_ID]


def lookups(fake_slack: Any) -> list[Any]:
    return [c for c in fake_slack.calls() if c.method.startswith("conversations.")]


def test_events_from_concurrent_senders_are_acked_and_answered_once_by_the_workers(
    sqlite_url, fake_slack
):
    with serving(sqlite_url, fake_slack, "--workers", "2") as server:
        events = [(new_event_id(), app_mention_event("<@U0BOT> hvem leder AP8?", channel="C7",
                                                     ts=f"1.{n:06d}")) for n in range(24)]

        def send(item: tuple[str, dict]) -> int:
            event_id, event = item
            return server.http.send_event(event, event_id=event_id).status

        with ThreadPoolExecutor(4) as senders:
            assert list(senders.map(send, events)) == [200] * 24
        # Slack's retries and a replay of the same id are acked and add nothing
        event_id, event = events[0]
        assert server.http.send_event(event, event_id=event_id, retry_num=1).status == 200
        assert server.http.send_event(event, event_id=event_id).status == 200
        posts = fake_slack.wait_for("chat.postMessage", count=24, timeout=60)
        time.sleep(1.0)  # a doubled answer would arrive now
        posts = fake_slack.calls("chat.postMessage")
        assert Counter(p.params["thread_ts"] for p in posts) == Counter(
            e["ts"] for _, e in events)
        assert all("Cecilie Moe" in p.params["text"] for p in posts)
        # each answer names its inbox row; a first attempt looks for nothing before posting
        assert sorted(p.params["metadata"]["event_payload"]["key"] for p in posts) == sorted(
            e for e, _ in events)
        assert {p.params["metadata"]["event_type"] for p in posts} == {"norcrin_answer"}
        assert lookups(fake_slack) == []
        done = rows(sqlite_url)
        assert len(done) == 24 and all(r.done_at is not None for r in done)
        assert len({r.owner for r in done}) >= 1 and all(r.attempts == 1 for r in done)
    assert server.returncode == 0, server.log


def test_a_worker_killed_mid_answer_is_replaced_and_the_event_answered_exactly_once(
    sqlite_url, fake_slack
):
    fake_slack.fail_next("chat.postMessage", 429, retry_after=3)  # holds the answer in flight
    question = fake_slack.add_message("C9", "<@U0BOT> hvem leder AP8?", user="U0USER")
    # the lease outlasts the whole test: only the supervisor, seeing the process die, frees the row
    with serving(sqlite_url, fake_slack, "--workers", "1", "--lease", "60") as server:
        assert server.http.send_event(
            app_mention_event(question["text"], channel="C9", ts=question["ts"])
        ).status == 200
        fake_slack.wait_for("chat.postMessage", timeout=30)  # the 429: mid-answer
        [row] = rows(sqlite_url)
        assert row.done_at is None and row.attempts == 1
        os.kill(int(row.owner.split("@")[0]), signal.SIGKILL)
        killed_at = time.time()
        wait_until(lambda: len(answers(fake_slack, "C9")) == 1, 30, "the answer after restart")
        time.sleep(1.0)  # a doubled answer would arrive now
        calls = fake_slack.calls("chat.postMessage")
        assert [c.status for c in calls] == [429, 200]
        assert calls[1].at >= killed_at
        # the second attempt looked in the thread first, found no answer, and answered
        [look] = lookups(fake_slack)
        assert look.method == "conversations.replies" and look.at < calls[1].at
        assert look.params["ts"] == question["ts"] and look.response["ok"]
        [row] = rows(sqlite_url)
        assert row.done_at is not None and row.attempts == 2
    assert server.returncode == 0, server.log
    assert "exited with -9; restarting" in server.log
    assert "freed 1 inbox rows" in server.log


@pytest.mark.parametrize("where", ["thread", "dm"])
def test_a_worker_killed_after_slack_took_its_answer_does_not_answer_again(
    sqlite_url, fake_slack, where
):
    """The window between Slack's accepting chat.postMessage and the row's being done: the
    stand-in records the answer and holds its HTTP response while the process is SIGKILLed.
    The next attempt finds the answer by its metadata (the thread, or the DM's history) and
    only marks the row done."""
    channel = "C11" if where == "thread" else "DU0USER"
    question = fake_slack.add_message(channel, "<@U0BOT> hvem leder AP8?", user="U0USER")
    if where == "thread":
        event = app_mention_event(question["text"], channel=channel, ts=question["ts"])
    else:
        event = message_event("hvem leder AP8?", channel=channel, ts=question["ts"],
                              channel_type="im")
    taken = threading.Event()
    fake_slack.after_call("chat.postMessage", lambda call: taken.set())
    fake_slack.delay_next("chat.postMessage", 10)  # accepted and stored, the answer held back
    event_id = new_event_id()
    with serving(sqlite_url, fake_slack, "--workers", "1", "--lease", "60") as server:
        assert server.http.send_event(event, event_id=event_id).status == 200
        assert taken.wait(30), "the answer never reached Slack"
        [row] = rows(sqlite_url)
        assert row.done_at is None and row.attempts == 1
        os.kill(int(row.owner.split("@")[0]), signal.SIGKILL)
        wait_until(lambda: rows(sqlite_url)[0].done_at is not None, 30, "the row done")
        time.sleep(1.0)  # a doubled answer would arrive now
        [answer] = answers(fake_slack, channel)
        assert answer["metadata"] == {"event_type": "norcrin_answer",
                                      "event_payload": {"key": event_id, "part": 0, "parts": 1}}
        assert answer.get("thread_ts") == (question["ts"] if where == "thread" else None)
        assert len(fake_slack.calls("chat.postMessage")) == 1
        [look] = lookups(fake_slack)
        assert look.method == ("conversations.replies" if where == "thread"
                               else "conversations.history")
        assert look.params["include_all_metadata"] == "1"
        [row] = rows(sqlite_url)
        assert row.done_at is not None and row.attempts == 2
    assert server.returncode == 0, server.log
    assert "exited with -9; restarting" in server.log
    assert f"inbox {event_id}: the answer is in {channel} already" in server.log


def test_a_replay_to_a_second_edge_on_the_same_database_is_not_answered_again(
    sqlite_url, fake_slack
):
    event_id = new_event_id()
    event = app_mention_event("<@U0BOT> hvem leder AP3?", channel="C5", ts="3.000001")
    with serving(sqlite_url, fake_slack, "--workers", "1") as first, \
            serving(sqlite_url, fake_slack, "--workers", "1") as second:
        assert first.http.send_event(event, event_id=event_id).status == 200
        fake_slack.wait_for("chat.postMessage", timeout=30)
        assert second.http.send_event(event, event_id=event_id, retry_num=1).status == 200
        time.sleep(1.5)
        assert len(fake_slack.calls("chat.postMessage")) == 1
    assert first.returncode == 0 and second.returncode == 0, first.log + second.log


def test_on_sqlite_the_inbox_is_a_file_of_its_own_and_on_postgres_the_main_database(
        tmp_path: Path) -> None:
    """SQLite has one write lock per file: the edge's hand-off must not share it with answers."""
    from datetime import UTC, datetime

    from storage import inbox

    main = Database(f"sqlite:///{tmp_path}/bot.sqlite3")
    try:
        own = inbox.inbox_database(main)
        again = inbox.inbox_database(main)  # a second opener (edge and workers start at once)
        assert own.url == f"sqlite:///{tmp_path}/bot.inbox.sqlite3"
        with own.session() as session:
            assert inbox.put(session, key="Ev1", surface="slack", content_type="application/json",
                             body="{}", now=datetime.now(UTC))
        with again.session() as session:
            assert not inbox.put(session, key="Ev1", surface="slack",
                                 content_type="application/json", body="{}",
                                 now=datetime.now(UTC))
            assert inbox.pending(session) == 1
        own.dispose()
        again.dispose()
    finally:
        main.dispose()
    assert inbox.inbox_url("sqlite://") == "sqlite://"
    pg = "postgresql+psycopg://postgres@127.0.0.1:5432/somedb"
    assert inbox.inbox_url(pg) == pg


def test_rows_of_a_dead_owner_are_freed_at_once_and_its_late_done_is_refused(any_db_url):
    """What the supervisor does when an answer process dies: its open rows become claimable
    without waiting for the lease; done rows and other owners' rows are untouched; and the dead
    owner's claim is fenced off, should it ever report back."""
    from datetime import UTC, datetime, timedelta

    from storage import inbox

    main = Database(any_db_url)
    db = inbox.inbox_database(main)
    now, lease = datetime.now(UTC), timedelta(minutes=10)
    keys = [new_event_id() for _ in range(3)]

    def put(*some: str) -> None:
        with db.session() as session:
            for key in some:
                inbox.put(session, key=key, surface="slack", content_type="application/json",
                          body="{}", now=now)

    try:
        put(*keys[:2])
        with db.session() as session:
            dead = [i for i in inbox.claim(session, owner="1@dead", now=now, lease=lease,
                                           limit=50) if i.key in keys[:2]]
            inbox.done(session, dead[1], owner="1@dead", now=now)
        put(keys[2])
        with db.session() as session:
            alive = [i for i in inbox.claim(session, owner="2@alive", now=now, lease=lease,
                                            limit=50) if i.key == keys[2]]
        with db.session() as session:
            assert inbox.release(session, owner="3@nobody") == 0
            assert inbox.release(session, owner="1@dead") >= 1
        with db.session() as session:
            again = [i for i in inbox.claim(session, owner="4@new", now=now, lease=lease,
                                            limit=50) if i.key in keys]
            # keys[1] is done and keys[2] is held by a live owner
            assert [(i.key, i.attempts) for i in again] == [(keys[0], 2)]
            assert not inbox.done(session, dead[0], owner="1@dead", now=now)
            assert inbox.done(session, again[0], owner="4@new", now=now)
            assert inbox.done(session, alive[0], owner="2@alive", now=now)
    finally:
        if db is not main:
            db.dispose()
        main.dispose()
