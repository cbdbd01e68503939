"""A post whose outcome is unknown is looked for before it is tried again: Slack may have posted
a message and still answered 5xx, or the connection may be cut on the way back. The real bolt
app over signed HTTP, its Web API calls to the stand-in (through a TCP proxy a test can cut)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from integrations.slack.client import make_web_client
from integrations.slack.surface import ANSWER_EVENT
from tests.support.slack_api import BOT_ID, FakeSlackAPI
from tests.support.slack_harness import SlackHarness, serve_slack
from tests.support.slack_signing import app_mention_event, message_event, new_event_id
from tests.support.tcp_proxy import TcpProxy

CHANNEL = "C0POST"


@pytest.fixture
def proxy(fake_slack: FakeSlackAPI) -> Iterator[TcpProxy]:
    with TcpProxy("127.0.0.1", int(fake_slack.base_url.split(":")[2].split("/")[0])) as proxy:
        yield proxy


@pytest.fixture
def harness(make_bot: Any, sqlite_url: str, fake_slack: FakeSlackAPI,
            proxy: TcpProxy) -> Iterator[SlackHarness]:
    bot = make_bot(sqlite_url, SLACK_API_URL=f"http://127.0.0.1:{proxy.port}/api/")
    with serve_slack(bot, fake_slack) as harness:
        harness.runtime.post_backoff = 0.05  # the waits between tries, not their count, shortened
        yield harness


def bot_posts(fake: FakeSlackAPI, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [m for m in fake.messages(channel) if m.get("bot_id") == BOT_ID]


def ask_in_thread(harness: SlackHarness, text: str = "hvem leder AP8?") -> dict[str, Any]:
    question = harness.fake.add_message(CHANNEL, text, user="U0USER")
    event = app_mention_event(f"<@U0BOT> {text}", channel=CHANNEL, ts=question["ts"])
    assert harness.http.send_event(event, event_id=new_event_id()).status == 200
    return question


def ask_in_dm(harness: SlackHarness, text: str = "hvem leder AP8?") -> str:
    channel = "D0POST"
    question = harness.fake.add_message(channel, text, user="U0USER")
    event = message_event(text, channel=channel, ts=question["ts"], channel_type="im")
    assert harness.http.send_event(event, event_id=new_event_id()).status == 200
    return channel


def settle(fake: FakeSlackAPI, method: str, count: int) -> None:
    fake.wait_for(method, count=count, timeout=15)


@pytest.mark.parametrize("where", ["thread", "dm"])
def test_a_post_slack_took_before_answering_500_is_found_not_posted_again(harness, where):
    fake = harness.fake
    fake.accept_then_fail("chat.postMessage", 500)
    if where == "thread":
        question = ask_in_thread(harness)
        channel, look = CHANNEL, "conversations.replies"
    else:
        channel, look = ask_in_dm(harness), "conversations.history"
    settle(fake, look, 1)
    harness.runtime.pool.shutdown(wait=True)  # the answer's work is over
    [post] = bot_posts(fake, channel)
    assert "Cecilie Moe" in post["text"]
    assert [c.status for c in fake.calls("chat.postMessage")] == [500]
    assert post["metadata"]["event_type"] == ANSWER_EVENT
    if where == "thread":
        assert post["thread_ts"] == question["ts"]


def test_a_post_refused_with_5xx_is_tried_again_after_a_look_and_posted_once(harness, caplog):
    fake = harness.fake
    fake.fail_next("chat.postMessage", 502, times=2)
    with caplog.at_level(logging.WARNING, logger="norcrin_bot.slack"):
        ask_in_thread(harness)
        settle(fake, "chat.postMessage", 3)
        harness.runtime.pool.shutdown(wait=True)
    assert [c.status for c in fake.calls("chat.postMessage")] == [502, 502, 200]
    assert len(fake.calls("conversations.replies")) == 2  # one look before each new try
    assert len(bot_posts(fake)) == 1
    assert caplog.text.count("outcome unknown (SlackApiError); looking before trying") == 2
    assert "hvem leder" not in caplog.text  # the question's text is not logged


def test_a_connection_cut_after_slack_took_the_post_is_found_not_posted_again(harness, proxy):
    fake = harness.fake
    fake.after_call("chat.postMessage", lambda call: proxy.cut_for(0.2))
    ask_in_thread(harness)
    settle(fake, "conversations.replies", 1)
    harness.runtime.pool.shutdown(wait=True)
    assert len(fake.calls("chat.postMessage")) == 1
    assert len(bot_posts(fake)) == 1


def test_slack_down_for_every_try_gives_up_with_the_apology_not_a_pile_of_posts(harness):
    """Four tries for the answer (a look before each of the last three), four for the apology;
    nothing was posted, so nothing is found: the user hears nothing rather than twice."""
    fake = harness.fake
    fake.fail_next("chat.postMessage", 503, times=8)
    ask_in_thread(harness)
    settle(fake, "chat.postMessage", 8)
    harness.runtime.pool.shutdown(wait=True)
    assert len(fake.calls("conversations.replies")) == 6
    assert bot_posts(fake) == []


def test_the_client_retries_idempotent_calls_on_5xx_but_never_chat_post_message(
        bot, fake_slack):
    client = make_web_client(replace(bot.services.settings, slack_api_url=fake_slack.base_url))
    fake_slack.add_user("U0ASK", email="ask@example.org")
    fake_slack.fail_next("users.info", 500)
    assert client.users_info(user="U0ASK")["user"]["id"] == "U0ASK"
    assert [c.status for c in fake_slack.calls("users.info")] == [500, 200]

    fake_slack.fail_next("chat.postMessage", 500)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel=CHANNEL, text="once")
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [500]
    fake_slack.fail_next("chat.postMessage", 429, retry_after=0)  # 429: Slack did nothing
    client.chat_postMessage(channel=CHANNEL, text="once")
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [500, 429, 200]
