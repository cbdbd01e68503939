"""Delivery through PostgreSQL outages: the worker reaches the database through a TCP proxy the
test cuts while a Slack post is on its way back, and restores later."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.replies import Reply, Section
from integrations.delivery import DeliveryPolicy
from storage.outbox import deliver_due, enqueue, get_post
from tests.support.pg import throwaway_database
from tests.support.posts import close_bot, make_posts_bot
from tests.support.slack_api import FakeSlackAPI
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres

POLICY = DeliveryPolicy(
    lease=timedelta(seconds=2), tries_per_claim=2, max_attempts=4, backoff=0.05,
    backoff_cap=0.2, retry_later=timedelta(seconds=1), record_for=6.0, record_backoff=0.1,
)
REPLY = Reply(text="Styremøte torsdag", parts=(Section("Styremøte torsdag kl. 09.30"),))


@pytest.fixture
def proxied() -> Iterator[tuple[str, TcpProxy]]:
    """A throw-away PostgreSQL database reached through a cuttable proxy."""
    with throwaway_database("outage") as url:
        parsed = make_url(url)
        with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
            yield parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(False), proxy


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(real_timestamps=True) as fake:
        yield fake


def _bot(url: str, fake: FakeSlackAPI, policy: DeliveryPolicy) -> Any:
    bot = make_posts_bot(url, slack=fake, policy=policy)
    with bot.services.db.session() as session:
        enqueue(session, key="agenda:7:slack:C0STYRET", destination="slack:C0STYRET", reply=REPLY)
    return bot


def _row(bot: Any) -> Any:
    with bot.services.db.session() as session:
        return get_post(session, "agenda:7:slack:C0STYRET")


def test_a_short_outage_while_recording_is_ridden_out(proxied, fake, caplog):
    caplog.set_level(logging.WARNING)
    url, proxy = proxied
    bot = _bot(url, fake, POLICY)
    try:
        # Slack accepts the post; the database goes away before the worker hears back
        fake.after_call("chat.postMessage", lambda call: proxy.cut_for(1.5))
        [outcome] = deliver_due(bot.services)
        assert outcome.status == "sent"
        [post] = fake.calls("chat.postMessage")
        row = _row(bot)
        assert row.status == "sent" and row.sent_ref == post.response["ts"]
        assert "database unreachable" in caplog.text
    finally:
        close_bot(bot)


def test_an_unrecorded_send_is_found_in_the_channel_not_sent_again(proxied, fake):
    url, proxy = proxied
    policy = DeliveryPolicy(**{**POLICY.__dict__, "record_for": 1.0})
    bot = _bot(url, fake, policy)
    try:
        # longer than the worker keeps trying: the send stays unrecorded, the row "in flight"
        fake.after_call("chat.postMessage", lambda call: proxy.cut_for(2.0))
        [outcome] = deliver_due(bot.services)
        assert outcome.status == "unrecorded"
        time.sleep(2.5)  # database back, lease (2 s) expired: any worker may take the row
        row = _row(bot)
        assert row.status == "sending" and row.last_error.startswith("in flight")

        [again] = deliver_due(bot.services)
        assert again.status == "sent"
        [post] = fake.calls("chat.postMessage")  # posted once, found the second time
        assert fake.calls("conversations.history")
        assert _row(bot).sent_ref == post.response["ts"]
    finally:
        close_bot(bot)


def test_without_the_metadata_key_in_history_it_is_posted_again(proxied, fake):
    """The look-up is real: a post that never reached Slack is sent by the next claim."""
    url, _proxy = proxied
    bot = _bot(url, fake, POLICY)
    try:
        fake.fail_next("chat.postMessage", 500)  # ambiguous: the next try looks first
        fake.fail_next("chat.postMessage", 500)
        [first] = deliver_due(bot.services)
        assert first.status == "retry"
        time.sleep(1.1)
        [second] = deliver_due(bot.services)
        assert second.status == "sent"
        assert len([c for c in fake.calls("chat.postMessage") if c.status == 200]) == 1
        assert fake.calls("conversations.history")
    finally:
        close_bot(bot)
