"""The teach-back loop over Slack's real request shapes: signed HTTP to the real bolt app, the Web
API answered by the local fake. 👍/👎 buttons on answers, a declined question passed on, the
secretariat's post with Answer buttons, a non-admin refused, an admin answering in the modal (with
the search select), the asker's DM, the channel post edited, and the taught answer given first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.core import Bot
from bot.replies import Message, Person
from storage import questions_log as store
from tests.support.posts import close_bot, make_posts_bot
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_harness import serve_slack
from tests.support.slack_signing import (
    API_APP_ID,
    TEAM_ID,
    SlackClientHTTP,
    block_actions_payload,
    input_value,
    message_event,
    view_submission_payload,
)
from tests.support.status import wait_for

ADMIN = "U0SEKR"
ASKER = "U0ASK"
OTHER = "U0OTHER"
CHANNEL = "C0SEKR"
WEATHER = "what's the weather in Bergen tomorrow?"


@dataclass
class Harness:
    http: SlackClientHTTP
    fake: FakeSlackAPI
    bot: Bot

    def posts(self, channel: str) -> list[dict[str, Any]]:
        return [c.params for c in self.fake.calls("chat.postMessage")
                if c.params.get("channel") == channel]

    def wait_posts(self, channel: str, count: int) -> list[dict[str, Any]]:
        return wait_for(lambda: (p := self.posts(channel)) and len(p) >= count and p,
                        what=f"{count} posts in {channel}")

    def dm(self, user: str, text: str) -> dict[str, Any]:
        before = len(self.posts(f"D{user}"))
        result = self.http.send_event(
            message_event(text, user=user, channel=f"D{user}", channel_type="im"))
        assert result.status == 200
        return self.wait_posts(f"D{user}", before + 1)[before]

    def click(self, user: str, button: dict[str, Any], channel: str) -> dict[str, Any]:
        """Click a button; returns what the bot answered through the response_url."""
        before = len(self.fake.calls("response_url"))
        payload = block_actions_payload(
            user, button["action_id"], button["value"], channel_id=channel,
            response_url=self.fake.response_url(f"{user}-{before}"))
        assert self.http.send_interaction(payload).status == 200
        return self.fake.wait_for("response_url", count=before + 1)[before].params


def buttons(post: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = post["blocks"]
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for block in blocks:
        Block.parse(block)  # every payload is valid Block Kit
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def button(post: dict[str, Any], action_id: str) -> dict[str, Any]:
    found = [b for b in buttons(post) if b["action_id"] == action_id]
    assert found, f"no {action_id} button in {[b['action_id'] for b in buttons(post)]}"
    return found[0]


@pytest.fixture
def harness(sqlite_url: str, fake_slack: FakeSlackAPI) -> Iterator[Harness]:
    bot = make_posts_bot(sqlite_url, slack=fake_slack, SECRETARIAT_CHANNEL=CHANNEL,
                         BOT_ADMINS=ADMIN)
    try:
        with serve_slack(bot, fake_slack) as served:
            yield Harness(served.http, fake_slack, bot)
    finally:
        close_bot(bot)


def test_thumbs_on_every_answer_and_a_thumbs_down_passed_on(harness: Harness) -> None:
    h = harness
    answer = h.dm(ASKER, "hvem leder AP8?")
    assert "Cecilie Moe" in answer["text"]
    up = button(answer, "teachback_up")
    assert up["text"]["text"] == "👍" and button(answer, "teachback_down")["text"]["text"] == "👎"
    thanks = h.click(ASKER, up, f"D{ASKER}")
    assert "Takk" in thanks["text"]
    sorry = h.click(ASKER, button(answer, "teachback_down"), f"D{ASKER}")
    assert "sekretariatet" in sorry["text"]
    passed = h.click(ASKER, button(sorry, "teachback_pass"), f"D{ASKER}")
    assert "Sendt videre" in passed["text"]
    (post,) = h.wait_posts(CHANNEL, 1)
    assert "hvem leder AP8?" in post["text"]
    guesses = [b for b in buttons(post) if b["action_id"].startswith("teachback_guess:")]
    assert guesses and guesses[0]["value"].endswith("|person|cecilie-moe")
    with h.bot.services.db.session() as session:
        (item,) = store.list_items(session)
        assert (item.reason, item.status, item.asker) == ("thumbs_down", "open", ASKER)
        rated = session.get(store.QuestionLog, item.question_log_id)
        assert rated is not None and rated.feedback == "down"

    # an admin answers with one click on a guess (AP8 itself, the group): asker told, taught
    group_guess = next(b for b in guesses if "|group|AP8" in b["value"])
    for refused in (group_guess, button(post, "teachback_dismiss")):  # not for everyone
        assert "bare sekretariatet" in h.click(OTHER, refused, CHANNEL)["text"]
    with h.bot.services.db.session() as session:
        assert store.get_item(session, item.id).status == "open"
    done = h.click(ADMIN, group_guess, CHANNEL)
    assert "answered" in done["text"]
    told = h.wait_posts(f"D{ASKER}", 2)[-1]
    assert "AP8" in told["text"] and "hvem leder AP8?" in told["text"]
    later = h.dm(ASKER, "AP8 — hvem leder??")
    assert "Svar lært av" in later["text"]
    [reply] = h.bot.handle(Message(text="Hvem LEDER ap8", sender=Person("cli", "cli")))
    assert reply.results[0].as_json() == {
        "kind": "group", "id": "AP8", "title": "AP8 Datahåndtering", "url": None, "score": 1.0}


def test_declined_question_passed_on_answered_by_an_admin_in_the_modal(harness: Harness) -> None:
    h = harness
    declined = h.dm(ASKER, WEATHER)
    assert not [b for b in buttons(declined) if b["action_id"] == "teachback_up"]
    passed = h.click(ASKER, button(declined, "teachback_pass"), f"D{ASKER}")
    assert "Passed on" in passed["text"]
    again = h.click(ASKER, button(declined, "teachback_pass"), f"D{ASKER}")
    assert "already" in again["text"]
    (post,) = h.wait_posts(CHANNEL, 1)  # once, however often the asker clicks
    assert WEATHER in json.dumps(post["blocks"], ensure_ascii=False)
    answer_button = button(post, "teachback_answer")

    # a non-admin is refused politely and gets no modal
    refused = h.click(OTHER, answer_button, CHANNEL)
    assert "bare sekretariatet" in refused["text"]
    assert not h.fake.calls("views.open")

    # the admin opens the modal and searches
    payload = block_actions_payload(ADMIN, answer_button["action_id"], answer_button["value"],
                                    channel_id=CHANNEL)
    assert h.http.send_interaction(payload).status == 200
    (opened,) = h.fake.wait_for("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "teachback_answer_modal"
    item_id = view["private_metadata"]
    suggestion = h.http.send_interaction({
        "type": "block_suggestion", "user": {"id": ADMIN, "team_id": TEAM_ID},
        "team": {"id": TEAM_ID, "domain": "norcrin"}, "api_app_id": API_APP_ID,
        "token": "legacy-verification-token", "action_id": "teachback_pick", "block_id": "pick",
        "value": "temperaturlogg", "container": {"type": "view", "view_id": "V0000000001"},
        "view": {"id": "V0000000001", "type": "modal", "callback_id": "teachback_answer_modal",
                 "private_metadata": item_id, "state": {"values": {}}},
    })
    options = suggestion.json()["options"]
    assert any(o["value"] == "document|lm-temperaturlogg" for o in options)

    # an empty submission is refused inline; a text answer is accepted
    def submit(values: dict[str, Any]) -> Any:
        return h.http.send_interaction(view_submission_payload(
            ADMIN, "teachback_answer_modal", values, private_metadata=item_id))

    empty = submit({"text": {"value": input_value("")}})
    assert empty.json()["response_action"] == "errors" and "pick" in empty.json()["errors"]
    forged = h.http.send_interaction(view_submission_payload(
        OTHER, "teachback_answer_modal", {"text": {"value": input_value("x")}},
        private_metadata=item_id))
    assert forged.json()["response_action"] == "errors"
    accepted = submit({"text": {"value": input_value("Se yr.no – vi svarer på NorCRIN-ting.")}})
    assert accepted.status == 200 and accepted.body == ""

    told = h.wait_posts(f"D{ASKER}", 2)[-1]
    assert "yr.no" in told["text"] and WEATHER in told["text"]
    (edited,) = h.fake.wait_for("chat.update")
    assert edited.params["channel"] == CHANNEL and edited.params["ts"]
    assert "answered by" in edited.params["text"]
    with h.bot.services.db.session() as session:
        (item,) = store.list_items(session)
        assert (item.status, item.asker, item.asker_destination) == ("answered", None, None)

    later = h.dm(OTHER, "Tomorrow: the weather in BERGEN?")
    assert "yr.no" in later["text"] and "Answer taught by U0SEKR" in later["text"]
    assert button(later, "teachback_up")  # a taught answer is rated like any other


def test_a_hostile_question_reaches_the_secretariat_as_text(harness: Harness) -> None:
    h = harness
    hostile = "<!channel> <@U0BOSS> <https://evil.example|klikk> what's the weather tomorrow?"
    declined = h.dm(ASKER, hostile)
    h.click(ASKER, button(declined, "teachback_pass"), f"D{ASKER}")
    (post,) = h.wait_posts(CHANNEL, 1)
    shown = post["text"] + json.dumps(post["blocks"], ensure_ascii=False)
    assert "<!channel>" not in shown and "<@U0BOSS>" not in shown and "<https://" not in shown
    assert "weather tomorrow" in shown
