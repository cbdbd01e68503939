"""Mail through the real outbox loop and GraphSender (msgraph-sdk over HTTP to the stand-in): a
try whose outcome is unknown is followed by one filtered look in the sender's Sent Items for the
outbox key's extended property, so a mail Graph accepted is recorded, not sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.core import Bot
from bot.replies import Heading, Reply, Section
from integrations.graph.teams import (
    MAIL_KEY_HEADER,
    MAIL_KEY_PROPERTY,
    mail_key_digest,
)
from storage.outbox import deliver_due, enqueue, get_post
from tests.support.graph_api import FakeGraphAPI
from tests.support.posts import MAIL_SENDER, close_bot, make_posts_bot

REPLY = Reply(text="Dagsorden", parts=(Heading("Styremøte"), Section("Sak 1-2026")))
SEND = f"/users/{MAIL_SENDER}/sendMail"
SENT_ITEMS = f"/users/{MAIL_SENDER}/mailFolders/sentitems/messages"
LIST = "mail:a@example.org,b@example.org"


@pytest.fixture
def bot(sqlite_url: str, fake_graph: FakeGraphAPI) -> Iterator[Bot]:
    instance = make_posts_bot(sqlite_url, graph=fake_graph)
    yield instance
    close_bot(instance)


def queue(bot: Bot, key: str, destination: str = LIST) -> None:
    with bot.services.db.session() as session:
        enqueue(session, key=key, destination=destination, reply=REPLY)


def keys_of(mails: list[dict[str, Any]]) -> list[str | None]:
    """The outbox-key property of each mail Graph was asked to send."""
    return [
        next((p["value"] for p in m["message"].get("singleValueExtendedProperties") or []
              if p["id"] == MAIL_KEY_PROPERTY), None)
        for m in mails
    ]


def delivered(fake: FakeGraphAPI) -> int:
    """Mails Graph actually took: the 202s and the accept-then-fail ones."""
    return len([r for r in fake.requests("POST", SEND)
                if r.status == 202 or r.fault == "accept_then_fail"])


def test_every_mail_carries_a_digest_of_its_key_not_the_key(
    bot: Bot, fake_graph: FakeGraphAPI
) -> None:
    queue(bot, f"s1:20260504T080000Z:{LIST}")
    queue(bot, "s1:20260504T080000Z:mail:c@example.org", "mail:c@example.org")
    assert [o.status for o in deliver_due(bot.services)] == ["sent", "sent"]
    mails = fake_graph.mails(MAIL_SENDER)
    digests = [mail_key_digest(f"s1:20260504T080000Z:{LIST}"),
               mail_key_digest("s1:20260504T080000Z:mail:c@example.org")]
    assert keys_of(mails) == digests and digests[0] != digests[1]
    assert all("example.org" not in d for d in digests)  # Bcc recipients must not see the list
    assert [m["message"]["internetMessageHeaders"] for m in mails] == [
        [{"name": MAIL_KEY_HEADER, "value": d}] for d in digests]  # the same digest, for tracing
    assert fake_graph.requests("GET", SENT_ITEMS) == []  # no unknown outcome: no look-up


def test_accepted_then_504_is_found_in_sent_items_and_not_sent_again(
    bot: Bot, fake_graph: FakeGraphAPI
) -> None:
    fake_graph.accept_then_fail("POST", SEND, 504)
    queue(bot, "k1")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    assert delivered(fake_graph) == 1 and len(fake_graph.requests("POST", SEND)) == 1
    (sent,) = fake_graph.sent_items(MAIL_SENDER)
    assert sent["singleValueExtendedProperties"] == [
        {"id": MAIL_KEY_PROPERTY, "value": mail_key_digest("k1")}]
    (look,) = fake_graph.requests("GET", SENT_ITEMS)  # one request: Graph does the filtering
    assert look.status == 200
    assert look.query["$filter"] == (
        "singleValueExtendedProperties/Any(ep: ep/id eq "
        "'String {8A660986-0592-4AD5-ADD1-273F40942CDC} Name NorcrinOutboxKey' "
        f"and ep/value eq '{mail_key_digest('k1')}')")
    assert look.query["$top"] == "1"
    with bot.services.db.session() as session:
        assert get_post(session, "k1").status == "sent"  # type: ignore[union-attr]


def test_503_that_did_not_send_is_sent_on_the_next_try_once(
    bot: Bot, fake_graph: FakeGraphAPI
) -> None:
    fake_graph.fail_next("POST", SEND, 503)
    queue(bot, "k1")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    assert [r.status for r in fake_graph.requests("POST", SEND)] == [503, 202]
    assert keys_of(fake_graph.mails(MAIL_SENDER)) == [mail_key_digest("k1")]
    assert [r.status for r in fake_graph.requests("GET", SENT_ITEMS)] == [200]  # looked, none


def test_a_mail_with_another_key_in_sent_items_is_not_taken_for_this_one(
    bot: Bot, fake_graph: FakeGraphAPI
) -> None:
    queue(bot, "k1")
    deliver_due(bot.services)  # same recipients, subject and body: only the key differs
    fake_graph.fail_next("POST", SEND, 503)
    queue(bot, "k2")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    assert fake_graph.requests("GET", SENT_ITEMS)
    assert keys_of(fake_graph.mails(MAIL_SENDER)) == [mail_key_digest("k1"),
                                                      mail_key_digest("k2")]


def test_a_refused_look_up_sends_again_and_says_so(
    bot: Bot, fake_graph: FakeGraphAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_graph.deny_mail_read(MAIL_SENDER)
    fake_graph.accept_then_fail("POST", SEND, 504)
    queue(bot, "k1")
    with caplog.at_level(logging.WARNING, logger="norcrin_bot.outbox"):
        (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    assert delivered(fake_graph) == 2  # twice rather than never
    assert keys_of(fake_graph.mails(MAIL_SENDER)) == [mail_key_digest("k1")] * 2
    looks = fake_graph.requests("GET", SENT_ITEMS)
    assert [r.status for r in looks] == [403]
    warnings = [r for r in caplog.records if "cannot look in the Sent Items" in r.getMessage()]
    assert len(warnings) == len(looks) == 1  # once per try that looked
    assert "Mail.Read" in warnings[0].getMessage()


def test_a_filter_graph_refuses_sends_again_and_says_so(
    bot: Bot, fake_graph: FakeGraphAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_graph.accept_then_fail("POST", SEND, 504)
    fake_graph.fail_next("GET", SENT_ITEMS, 400)
    queue(bot, "k1")
    with caplog.at_level(logging.WARNING, logger="norcrin_bot.outbox"):
        (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent" and delivered(fake_graph) == 2  # not failed for good
    assert [r.status for r in fake_graph.requests("GET", SENT_ITEMS)] == [400]
    assert any("filter refused" in r.getMessage() for r in caplog.records)

