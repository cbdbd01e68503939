"""The outbox over real HTTP: Slack and Graph (msgraph-sdk itself) with injected 429 and 5xx.

Every test checks the platform's side (what the fake stored) as well as the row: a post is never
dropped and never doubled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.clock import FixedClock
from bot.core import Bot
from bot.replies import Heading, Reply, Section
from storage.outbox import (
    claim,
    console_inbox,
    deliver_due,
    enqueue,
    get_post,
    list_posts,
    retry_post,
)
from tests.support.adaptive_cards import validate_card
from tests.support.graph_api import FakeGraphAPI
from tests.support.posts import MAIL_SENDER, close_bot, make_posts_bot
from tests.support.slack_api import FakeSlackAPI

TEAM, CHANNEL = "team-1", "19:abc@thread.tacv2"
REPLY = Reply(text="Dagsorden", parts=(Heading("Styremøte"), Section("*1-2026* Godkjenning")))


@pytest.fixture
def bot(sqlite_url: str, fake_slack: FakeSlackAPI, fake_graph: FakeGraphAPI) -> Iterator[Bot]:
    instance = make_posts_bot(sqlite_url, slack=fake_slack, graph=fake_graph)
    yield instance
    close_bot(instance)


def queue(bot: Bot, key: str, destination: str, reply: Reply = REPLY, **kwargs: Any) -> bool:
    with bot.services.db.session() as session:
        return enqueue(session, key=key, destination=destination, reply=reply, **kwargs)


def row(bot: Bot, key: str):  # type: ignore[no-untyped-def]
    with bot.services.db.session() as session:
        return get_post(session, key)


def test_enqueue_is_idempotent_by_key(bot: Bot) -> None:
    assert queue(bot, "k1", "slack:C1") is True
    assert queue(bot, "k1", "slack:C2") is False
    with bot.services.db.session() as session:
        assert [r.destination for r in list_posts(session)] == ["slack:C1"]


def test_unknown_destination_is_refused(bot: Bot) -> None:
    with pytest.raises(ValueError, match="not a destination"):
        queue(bot, "k1", "irc:#norcrin")


def test_slack_post_carries_blocks_fallback_and_key(bot: Bot, fake_slack: FakeSlackAPI) -> None:
    queue(bot, "k1", "slack:C1")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    (call,) = fake_slack.calls("chat.postMessage")
    assert call.params["channel"] == "C1" and call.params["text"].startswith("Dagsorden")
    assert call.params["metadata"]["event_payload"]["key"] == "k1"
    parsed = [Block.parse(b) for b in call.params["blocks"]]
    assert [b.to_dict() for b in parsed if b is not None] == call.params["blocks"]
    assert row(bot, "k1").sent_ref == call.response["ts"]
    assert deliver_due(bot.services) == []  # nothing left; never a second post


def test_slack_429_waits_for_retry_after_and_posts_once(
    bot: Bot, fake_slack: FakeSlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail_next("chat.postMessage", 429, retry_after=1)
    queue(bot, "k1", "slack:C1")
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="norcrin_bot.outbox"):
        (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    assert time.monotonic() - started >= 1.0
    calls = fake_slack.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert len(fake_slack.messages("C1")) == 1
    assert "attempt 1 (claim 1) failed: Slack 429" in caplog.text
    assert "sent (attempt 2" in caplog.text


def test_slack_5xx_is_retried_with_backoff_and_never_doubled(
    bot: Bot, fake_slack: FakeSlackAPI
) -> None:
    fake_slack.fail_next("chat.postMessage", 503, times=2)
    queue(bot, "k1", "slack:C1")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [503, 503, 200]
    assert len(fake_slack.messages("C1")) == 1


def test_outage_longer_than_a_claim_keeps_the_post_for_later(
    bot: Bot, fake_slack: FakeSlackAPI
) -> None:
    clock = FixedClock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC))
    bot.services.clock = clock
    fake_slack.fail_next("chat.postMessage", 500, times=3)
    queue(bot, "k1", "slack:C1")
    (first,) = deliver_due(bot.services)
    assert first.status == "retry" and "500" in (first.error or "")
    post = row(bot, "k1")
    assert post.status == "pending" and post.due_at > clock.now()
    assert deliver_due(bot.services) == []  # not due yet
    clock.advance(timedelta(minutes=5))
    (second,) = deliver_due(bot.services)
    assert second.status == "sent"
    assert len(fake_slack.messages("C1")) == 1


def test_permanent_slack_error_fails_the_row_and_can_be_requeued(
    bot: Bot, fake_slack: FakeSlackAPI
) -> None:
    fake_slack.error_next("chat.postMessage", "channel_not_found")
    queue(bot, "k1", "slack:C404")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "failed" and "channel_not_found" in (outcome.error or "")
    assert len(fake_slack.calls("chat.postMessage")) == 1
    with bot.services.db.session() as session:
        assert retry_post(session, "k1")
    (again,) = deliver_due(bot.services)
    assert again.status == "sent"


def test_slack_dm_opens_the_conversation(bot: Bot, fake_slack: FakeSlackAPI) -> None:
    queue(bot, "k1", "slack-user:U123")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent" and outcome.ref == "DU123/" + fake_slack.messages()[0]["ts"]
    assert fake_slack.calls("conversations.open")[0].params["users"] == "U123"


def test_edit_in_place_uses_chat_update_on_the_same_ts(bot: Bot, fake_slack: FakeSlackAPI) -> None:
    queue(bot, "k1", "slack:C1")
    deliver_due(bot.services)
    changed = Reply(text="Ny dagsorden", parts=(Section("endret"),))
    queue(bot, "k1:rev1", "slack:C1", changed, update_of="k1")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    (update,) = fake_slack.calls("chat.update")
    assert update.params["ts"] == row(bot, "k1").sent_ref and update.params["channel"] == "C1"
    (message,) = fake_slack.messages("C1")
    assert message["text"] == "Ny dagsorden"
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_edit_waits_for_its_original_post(bot: Bot, fake_slack: FakeSlackAPI) -> None:
    clock = FixedClock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC))
    bot.services.clock = clock
    queue(bot, "k1", "slack:C1", due_at=clock.now() + timedelta(hours=1))
    queue(bot, "k1:rev1", "slack:C1", Reply(text="v2"), update_of="k1")
    (deferred,) = deliver_due(bot.services)
    assert deferred.status == "deferred" and fake_slack.calls() == []
    clock.advance(timedelta(hours=2))
    outcomes = deliver_due(bot.services)
    assert {o.key: o.status for o in outcomes} == {"k1": "sent", "k1:rev1": "sent"}
    assert [c.method for c in fake_slack.calls()] == ["chat.postMessage", "chat.update"]


def test_teams_post_through_msgraph_with_429_retry_after(
    bot: Bot, fake_graph: FakeGraphAPI
) -> None:
    fake_graph.fail_next("POST", f"/teams/{TEAM}/channels/", 429, retry_after=1)
    queue(bot, "k1", f"teams:{TEAM}/{CHANNEL}")
    started = time.monotonic()
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent" and time.monotonic() - started >= 1.0
    posts = fake_graph.requests("POST", "/teams/")
    assert [p.status for p in posts] == [429, 201]
    assert posts[0].headers.get("authorization") == "Bearer test-graph-token"
    (message,) = fake_graph.messages(TEAM, CHANNEL)
    assert message["body"]["contentType"] == "html"
    assert "<h2>Styremøte</h2>" in message["body"]["content"]
    assert "<b>1-2026</b>" in message["body"]["content"]
    assert outcome.ref == message["id"]


def test_teams_504_after_acceptance_is_not_posted_twice(bot: Bot, fake_graph: FakeGraphAPI) -> None:
    fake_graph.accept_then_fail("POST", f"/teams/{TEAM}/channels/", 504)
    queue(bot, "k1", f"teams:{TEAM}/{CHANNEL}")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    assert len(fake_graph.messages(TEAM, CHANNEL)) == 1  # found by listing, not re-posted
    assert len(fake_graph.requests("POST", "/teams/")) == 1  # the SDK did not retry the POST either
    assert fake_graph.requests("GET", "/teams/")
    assert outcome.ref == fake_graph.messages(TEAM, CHANNEL)[0]["id"]


def test_teams_503_not_accepted_is_posted_once_on_retry(bot: Bot, fake_graph: FakeGraphAPI) -> None:
    fake_graph.fail_next("POST", f"/teams/{TEAM}/channels/", 503, times=1)
    queue(bot, "k1", f"teams:{TEAM}/{CHANNEL}")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    assert len(fake_graph.messages(TEAM, CHANNEL)) == 1


def test_teams_edit_is_a_patch_of_the_same_message(bot: Bot, fake_graph: FakeGraphAPI) -> None:
    queue(bot, "k1", f"teams:{TEAM}/{CHANNEL}")
    deliver_due(bot.services)
    queue(
        bot,
        "k1:rev1",
        f"teams:{TEAM}/{CHANNEL}",
        Reply(text="x", parts=(Section("ny"),)),
        update_of="k1",
    )
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    (message,) = fake_graph.messages(TEAM, CHANNEL)
    assert message["body"]["content"] == "<p>ny</p>" and message["lastEditedDateTime"]


def test_app_only_refusal_is_reported_not_retried(bot: Bot, fake_graph: FakeGraphAPI) -> None:
    fake_graph.fail_next(
        "POST",
        "/teams/",
        401,
        body={
            "error": {
                "code": "Unauthorized",
                "message": "Message POST is allowed in application-only context "
                "only for import purposes",
            }
        },
    )
    queue(bot, "k1", f"teams:{TEAM}/{CHANNEL}")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "failed" and "ChannelMessage.Send" in (outcome.error or "")
    assert len(fake_graph.requests("POST", "/teams/")) == 1


def test_mail_goes_through_sendmail_with_bcc_for_lists(bot: Bot, fake_graph: FakeGraphAPI) -> None:
    queue(bot, "k1", "mail:a@example.org,b@example.org")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    (mail,) = fake_graph.mails(MAIL_SENDER)
    message = mail["message"]
    assert message["subject"] == "Styremøte"
    assert message["body"]["contentType"] == "html" and "<h2>" in message["body"]["content"]
    assert [r["emailAddress"]["address"] for r in message["bccRecipients"]] == [
        "a@example.org",
        "b@example.org",
    ]


def test_teams_webhook_gets_an_adaptive_card(bot: Bot, fake_graph: FakeGraphAPI) -> None:
    fake_graph.fail_next("POST", "/teams-webhook/", 429, retry_after=1)
    queue(bot, "k1", f"teams-webhook:{fake_graph.webhook_url('ap8')}")
    (outcome,) = deliver_due(bot.services)
    assert outcome.status == "sent"
    (post,) = fake_graph.webhook_posts("ap8")
    card = post["payload"]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["inlines"][0]["text"] == "Styremøte"
    validate_card(card["content"])


def test_oversized_teams_message_is_cut_with_a_link(bot: Bot, fake_graph: FakeGraphAPI) -> None:
    big = Reply(text="x", parts=tuple(Section(f"Sak {i}: " + "æ" * 400) for i in range(200)))
    queue(bot, "k1", f"teams:{TEAM}/{CHANNEL}", big)
    deliver_due(bot.services)
    (message,) = fake_graph.messages(TEAM, CHANNEL)
    content = message["body"]["content"]
    assert len(content.encode("utf-16-le")) < 28_000
    assert "https://www.norcrin.no/" in content and "Sak 0:" in content


def test_console_posts_are_shown_once(bot: Bot) -> None:
    queue(bot, "k1", "console:ola-nordmann")
    deliver_due(bot.services)
    hook = bot.services.console_pending[0]
    from bot.replies import Person

    person = Person(platform="console", user_id="ola-nordmann", person_id="ola-nordmann")
    assert [r.text for r in hook(person)] == ["Dagsorden"]
    assert hook(person) == []
    with bot.services.db.session() as session:
        assert console_inbox(session, "someone-else") == []


def test_expired_lease_lets_another_worker_send(bot: Bot, fake_slack: FakeSlackAPI) -> None:
    now = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    queue(bot, "k1", "slack:C1")
    with bot.services.db.session() as session:  # a worker claims, then dies without sending
        (held,) = claim(session, now=now, lease=timedelta(seconds=5))
    assert deliver_due(bot.services, now=now + timedelta(seconds=1)) == []
    (outcome,) = deliver_due(bot.services, now=now + timedelta(seconds=6))
    assert outcome.status == "sent" and outcome.attempts == 2
    assert len(fake_slack.messages("C1")) == 1
    with bot.services.db.session() as session:  # the dead worker's late record is fenced off
        from storage.outbox import mark_sent

        assert mark_sent(session, held, ref="late", now=now) is False


def test_concurrent_deliverers_on_sqlite_send_each_post_once(
    bot: Bot, fake_slack: FakeSlackAPI
) -> None:
    for i in range(40):
        queue(bot, f"k{i}", f"slack:C{i % 3}")
    results: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            batch = deliver_due(bot.services, limit=3)
            if not batch:
                return
            with lock:
                results.extend(o.key for o in batch if o.status == "sent")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == sorted(f"k{i}" for i in range(40))
    assert len(fake_slack.calls("chat.postMessage")) == 40


def test_delegated_token_store_is_encrypted_and_keyed(tmp_path: Any) -> None:
    from bot.config import ConfigError
    from integrations.graph.auth import TokenStore

    store = TokenStore(tmp_path / "graph-token.bin")
    store.save('{"RefreshToken": {"secret": "r-123"}}')
    raw = (tmp_path / "graph-token.bin").read_bytes()
    assert b"r-123" not in raw
    assert (tmp_path / "graph-token.bin.key").stat().st_mode & 0o777 == 0o600
    again = TokenStore(tmp_path / "graph-token.bin").load()
    assert again == '{"RefreshToken": {"secret": "r-123"}}'
    from cryptography.fernet import Fernet

    with pytest.raises(ConfigError, match="cannot be decrypted"):
        TokenStore(tmp_path / "graph-token.bin", key=Fernet.generate_key()).load()
