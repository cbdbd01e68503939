"""A person who opens the bot's Messages tab for the first time is welcomed there, once: Slack
sends app_home_opened (tab "messages") on every visit, signed, over real HTTP to the bolt app."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from tests.support.slack_api import BOT_ID, FakeSlackAPI
from tests.support.slack_harness import SlackHarness, serve_slack
from tests.support.slack_signing import new_event_id

DM = "D0WELCOME"


def open_tab(slack: SlackHarness, tab: str, *, user: str = "U0NEW", channel: str = DM) -> None:
    event = {"type": "app_home_opened", "user": user, "channel": channel, "tab": tab,
             "event_ts": f"{time.time():.6f}"}
    assert slack.http.send_event(event, event_id=new_event_id()).status == 200


def settled(slack: SlackHarness, looks: int) -> None:
    """Every open's work is over: bolt runs the listener after the ack, so wait until all `looks`
    at the DM were made, then for the pool that posts after them."""
    slack.fake.wait_for("conversations.history", count=looks, timeout=10)
    slack.runtime.pool.shutdown(wait=True)


def welcomes(fake: FakeSlackAPI, channel: str = DM) -> list[dict[str, Any]]:
    return [m for m in fake.messages(channel) if m.get("bot_id") == BOT_ID]


def test_the_first_visit_to_an_empty_dm_is_welcomed_with_what_the_bot_can_do(slack):
    open_tab(slack, "messages")
    [call] = slack.fake.wait_for("chat.postMessage", timeout=10)
    assert call.params["channel"] == DM
    text = call.params["text"]
    assert text.startswith("Velkommen! Skriv «hjelp»") and "`kontakt ORG`" in text
    assert "triage" not in text  # a member sees the members' commands only
    blocks = call.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    for block in blocks:
        Block.parse(block).to_dict()  # valid Block Kit, within Slack's limits


def test_later_visits_and_a_dm_with_messages_get_no_welcome(slack):
    open_tab(slack, "messages")
    slack.fake.wait_for("chat.postMessage", timeout=10)
    open_tab(slack, "messages")  # the DM holds the welcome now
    slack.fake.add_message("D0OLD", "hei", user="U0OLD")
    open_tab(slack, "messages", user="U0OLD", channel="D0OLD")  # a DM used before the bot
    settled(slack, looks=3)
    assert len(welcomes(slack.fake)) == 1
    assert welcomes(slack.fake, "D0OLD") == []
    assert len(slack.fake.calls("conversations.history")) == 3


def test_two_quick_visits_while_the_dm_is_still_empty_are_welcomed_once(slack):
    slack.fake.delay_next("conversations.history", 0.3, times=2)  # both look before any post
    open_tab(slack, "messages")
    open_tab(slack, "messages")
    settled(slack, looks=2)
    assert len(slack.fake.calls("conversations.history")) == 2
    assert len(welcomes(slack.fake)) == 1


def test_the_home_tab_is_drawn_and_not_welcomed(slack):
    open_tab(slack, "home")
    slack.fake.wait_for("views.publish", timeout=10)  # the Home tab's whole work
    assert slack.fake.calls("conversations.history") == []
    assert slack.fake.calls("chat.postMessage") == []


@pytest.fixture
def english_slack(make_bot: Any, sqlite_url: str,
                  fake_slack: FakeSlackAPI) -> Iterator[SlackHarness]:
    bot = make_bot(sqlite_url, SLACK_API_URL=fake_slack.base_url, BOT_LANGUAGE="en")
    with serve_slack(bot, fake_slack) as harness:
        yield harness


def test_the_welcome_is_in_the_bots_language(english_slack):
    open_tab(english_slack, "messages")
    [call] = english_slack.fake.wait_for("chat.postMessage", timeout=10)
    assert call.params["text"].startswith("Welcome! Type “help”")
    assert "`contact ORG`" in call.params["text"]
