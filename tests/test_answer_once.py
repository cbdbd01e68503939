"""An inbox row answered on a later attempt looks for its earlier answer first: the real bolt app
of an answer process (`answer_inline`), fed a request as `answer_process` feeds it (the row's key
and attempt in bolt's context), against the Slack Web API stand-in. The process-level window
(SIGKILL while Slack holds an accepted answer) is in tests/test_answer_workers.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import BoltRequest
from slack_sdk import WebClient

from bot.replies import Reply, Section
from integrations.slack.app import build_slack_app
from integrations.slack.surface import (
    ANSWER_EVENT,
    INBOX_ATTEMPTS,
    INBOX_KEY,
    INBOX_STILL_MINE,
    SlackRuntime,
)
from tests.support.slack_api import BOT_ID, FakeSlackAPI
from tests.support.slack_signing import app_mention_event, event_body, new_event_id

CHANNEL = "C0ONCE"
SPLIT = "to deler"  # a question this test's bot answers in two posts


@pytest.fixture
def asked() -> list[str]:
    """The messages the bot was asked to answer."""
    return []


@pytest.fixture
def runtime(make_bot: Any, sqlite_url: str, fake_slack: FakeSlackAPI,
            asked: list[str]) -> Iterator[SlackRuntime]:
    bot = make_bot(sqlite_url, SLACK_API_URL=fake_slack.base_url)

    @bot.router.intercept
    def split(context: Any) -> list[Reply] | None:
        """An answer of two posts (the bot's own answers are one), noting the bot's work."""
        asked.append(context.message.text)
        if context.message.text != SPLIT:
            return None
        return [Reply(text=f"del {n}", parts=(Section(f"del {n}"),)) for n in (1, 2)]

    yield build_slack_app(bot, answer_inline=True)


def dispatch(runtime: SlackRuntime, event: dict[str, Any], key: str, attempts: int) -> None:
    request = BoltRequest(body=event_body(event, event_id=key).decode(),
                          headers={"content-type": ["application/json"]},
                          context={INBOX_KEY: key, INBOX_ATTEMPTS: attempts})
    assert runtime.app.dispatch(request).status == 200


def answers(fake: FakeSlackAPI) -> list[dict[str, Any]]:
    return [m for m in fake.messages(CHANNEL) if m.get("bot_id") == BOT_ID]


def mention(fake: FakeSlackAPI, text: str) -> dict[str, Any]:
    question = fake.add_message(CHANNEL, text, user="U0USER")
    return app_mention_event(text, channel=CHANNEL, ts=question["ts"])


def post_as_earlier_attempt(fake: FakeSlackAPI, thread: str, key: str, part: int,
                            parts: int) -> None:
    """What an attempt that died after Slack took this post left in the thread."""
    WebClient(token="xoxb-test", base_url=fake.base_url).chat_postMessage(
        channel=CHANNEL, thread_ts=thread, text=f"del {part + 1}",
        metadata={"event_type": ANSWER_EVENT,
                  "event_payload": {"key": key, "part": part, "parts": parts}})


def test_a_whole_answer_found_is_neither_posted_nor_asked_again(runtime, fake_slack, asked):
    event, key = mention(fake_slack, SPLIT), new_event_id()
    for part in (0, 1):
        post_as_earlier_attempt(fake_slack, event["ts"], key, part, 2)
    dispatch(runtime, event, key, attempts=2)
    assert len(answers(fake_slack)) == 2
    assert len(fake_slack.calls("chat.postMessage")) == 2  # the earlier attempt's two
    assert asked == []  # no second question-log entry, no second piece of work
    [look] = fake_slack.calls("conversations.replies")
    assert look.params["ts"] == event["ts"] and look.params["include_all_metadata"] == "1"


def test_a_split_answer_cut_short_posts_only_its_missing_part(runtime, fake_slack, asked):
    event, key = mention(fake_slack, SPLIT), new_event_id()
    post_as_earlier_attempt(fake_slack, event["ts"], key, 0, 2)
    dispatch(runtime, event, key, attempts=2)
    assert [(m["text"], m["metadata"]["event_payload"]["part"]) for m in answers(fake_slack)] == [
        ("del 1", 0), ("del 2", 1)]
    assert asked == [SPLIT]


def test_a_first_attempt_posts_with_its_key_and_looks_nothing_up(runtime, fake_slack):
    event, key = mention(fake_slack, SPLIT), new_event_id()
    dispatch(runtime, event, key, attempts=1)
    assert [m["metadata"] for m in answers(fake_slack)] == [
        {"event_type": ANSWER_EVENT, "event_payload": {"key": key, "part": n, "parts": 2}}
        for n in (0, 1)]
    assert [c for c in fake_slack.calls() if c.method.startswith("conversations.")] == []


def test_another_events_answer_in_the_thread_is_not_taken_for_this_one(runtime, fake_slack):
    event, key = mention(fake_slack, "hvem leder AP8?"), new_event_id()
    post_as_earlier_attempt(fake_slack, event["ts"], new_event_id(), 0, 1)  # another event's
    dispatch(runtime, event, key, attempts=2)
    mine = [m for m in answers(fake_slack) if m["metadata"]["event_payload"]["key"] == key]
    assert len(mine) == 1 and "Cecilie Moe" in mine[0]["text"]


def test_a_look_up_slack_refuses_answers_anyway(runtime, fake_slack, caplog):
    """E.g. a private channel without groups:history: twice rather than never."""
    event, key = mention(fake_slack, "hvem leder AP8?"), new_event_id()
    fake_slack.error_next("conversations.replies", "missing_scope", needed="groups:history")
    with caplog.at_level(logging.WARNING, logger="norcrin_bot.slack"):
        dispatch(runtime, event, key, attempts=3)
    assert len(answers(fake_slack)) == 1
    assert f"answer {key}: could not look in {CHANNEL} for an earlier post (missing_scope)" \
        in caplog.text


def test_a_process_that_hung_past_its_lease_does_not_post_over_its_successor(
        runtime, fake_slack, caplog):
    """Process A claimed the row and hung until its lease ran out; B took the row over. When A
    comes back to post, renewing the lease fails (the row is B's attempt now): A posts nothing,
    and B answers once."""
    from datetime import UTC, datetime, timedelta
    from functools import partial

    from storage import inbox

    db = inbox.inbox_database(runtime.bot.services.db)
    event, key, now = mention(fake_slack, "hvem leder AP8?"), new_event_id(), datetime.now(UTC)
    lease = timedelta(seconds=30)
    with db.session() as session:
        inbox.put(session, key=key, surface="slack", content_type="application/json", body="{}",
                  now=now)
    with db.session() as session:
        [held] = inbox.claim(session, owner="1@a", now=now, lease=lease)
    with db.session() as session:
        [taken] = inbox.claim(session, owner="2@b", now=now + 2 * lease, lease=lease)

    def renew(item: inbox.Claimed, owner: str) -> bool:
        with db.session() as session:
            return inbox.still_mine(session, item, owner=owner, now=now + 2 * lease, lease=lease)

    def answer(item: inbox.Claimed, owner: str) -> None:
        request = BoltRequest(
            body=event_body(event, event_id=key).decode(),
            headers={"content-type": ["application/json"]},
            context={INBOX_KEY: key, INBOX_ATTEMPTS: item.attempts,
                     INBOX_STILL_MINE: partial(renew, item, owner)})
        assert runtime.app.dispatch(request).status == 200

    with caplog.at_level(logging.WARNING, logger="norcrin_bot"):
        answer(held, "1@a")
    assert answers(fake_slack) == []
    assert "taken over before part 0 was posted" in caplog.text
    answer(taken, "2@b")
    [posted] = answers(fake_slack)
    assert "Cecilie Moe" in posted["text"]
    if db is not runtime.bot.services.db:
        db.dispose()
