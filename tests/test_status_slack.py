"""A whole status campaign through Slack's request shapes: signed HTTP to the real bolt app,
the Web API answered by the local fake. Modal creation, prompts, a modal filling with a validation
error then a fix, a DM filling with buttons, a refusal, the admin table and the App Home."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.clock import FixedClock
from bot.core import Bot
from commands.status_report import build_report, to_json
from storage.forms import StatusCampaign
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_harness import serve_slack
from tests.support.slack_signing import (
    SlackClientHTTP,
    block_actions_payload,
    input_value,
    message_event,
    view_submission_payload,
)
from tests.support.status import (
    ADMIN,
    BOT_TOKEN,
    OSLO,
    SIGNING_SECRET,
    give_slack_ids,
    make_status_bot,
    oslo,
    wait_for,
)


@dataclass
class Harness:
    http: SlackClientHTTP
    fake: FakeSlackAPI
    bot: Bot
    clock: FixedClock

    def posts(self, channel: str) -> list[dict[str, Any]]:
        return [
            c.params
            for c in self.fake.calls("chat.postMessage")
            if c.params.get("channel") == channel
        ]

    def wait_posts(self, channel: str, count: int) -> list[dict[str, Any]]:
        return wait_for(
            lambda: (p := self.posts(channel)) and len(p) >= count and p,
            what=f"{count} posts in {channel}",
        )

    def dm(self, user: str, text: str) -> dict[str, Any]:
        """Send a DM and wait for the bot's one answer to it."""
        before = len(self.posts(f"D{user}"))
        result = self.http.send_event(
            message_event(text, user=user, channel=f"D{user}", channel_type="im")
        )
        assert result.status == 200
        return self.wait_posts(f"D{user}", before + 1)[before]

    def click(self, user: str, action_id: str, value: str, channel: str | None = None) -> Any:
        payload = block_actions_payload(user, action_id, value, channel_id=channel or f"D{user}")
        result = self.http.send_interaction(payload)
        assert result.status == 200, result
        return result


@pytest.fixture
def harness(sqlite_url: str, fake_slack: FakeSlackAPI) -> Iterator[Harness]:
    clock = FixedClock(oslo(2026, 3, 2, 10, 0))
    bot = make_status_bot(
        sqlite_url,
        clock,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.base_url,
        SECRETARIAT_CHANNEL="C0SEKR",
    )
    give_slack_ids(bot)
    try:
        with serve_slack(bot, fake_slack) as served:
            yield Harness(served.http, fake_slack, bot, clock)
    finally:
        bot.services.db.dispose()


def _buttons(post: dict[str, Any]) -> list[dict[str, Any]]:
    for block in post["blocks"]:
        Block.parse(block)  # every payload is valid Block Kit
    return [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]


def _last_view(fake: FakeSlackAPI, count: int) -> dict[str, Any]:
    """The view of the `count`-th views.open (the bolt listener opens it right after its ack)."""
    calls = wait_for(
        lambda: (c := fake.calls("views.open")) and len(c) >= count and c,
        what=f"views.open #{count}",
    )
    view = calls[count - 1].params["view"]
    return json.loads(view) if isinstance(view, str) else view


def test_a_whole_campaign_on_slack(harness: Harness) -> None:
    h = harness
    # a non-admin cannot open the campaign modal; the admin can, in the ack path
    refused = h.http.send_command(text="status new", user_id="U0INGER")
    assert refused.status == 200 and "sekretariatet" in refused.body
    assert not h.fake.calls("views.open")
    assert h.http.send_command(text="status new", user_id=ADMIN).status == 200
    view = _last_view(h.fake, 1)
    assert view["callback_id"] == "status_campaign_new"

    def create(deadline: str) -> Any:
        values = {
            "name": {"value": input_value("Vårmøtet 2026")},
            "deadline": {"value": input_value(deadline, "datepicker")},
            "opens": {"value": input_value("")},
            "groups": {"value": input_value(["AP3", "AP8", "AP10"], "multi_static_select")},
            "form": {"value": {"type": "static_select", "selected_option": None}},
        }
        return h.http.send_interaction(
            view_submission_payload(ADMIN, "status_campaign_new", values)
        )

    past = create("2026-02-01")
    assert past.json()["response_action"] == "errors" and "deadline" in past.json()["errors"]
    assert create("2026-03-31").body == ""
    with h.bot.services.db.session() as session:
        campaign = session.query(StatusCampaign).one()
        campaign_id = campaign.id
        assert campaign.groups == ["AP3", "AP8", "AP10"]

    # prompts: leaders and deputies get a DM with start buttons
    prompt = h.wait_posts("DU0CECILIE", 1)[0]
    assert "AP8 Datahåndtering" in prompt["text"]
    assert {b["action_id"] for b in _buttons(prompt)} == {"status_start", "status_modal"}
    assert "nestleder" in h.wait_posts("DU0ANNE", 1)[0]["text"]
    assert len(h.wait_posts("DU0TANJA", 2)) == 2  # AP10 leader and AP3 deputy

    # Cecilie fills in the modal: a validation error, then the fix
    h.click("U0CECILIE", "status_modal", f"{campaign_id}:AP8")
    form_view = _last_view(h.fake, 2)
    assert form_view["callback_id"] == "status_form"
    block_ids = [b.get("block_id") for b in form_view["blocks"] if b["type"] == "input"]
    assert block_ids[:3] == ["q_status", "q_focus", "q_meetings"]
    values = {
        "q_status": {"answer": input_value("Månedlige møter.")},
        "q_focus": {"answer": input_value("OnePager")},
        "q_meetings": {"answer": input_value("mange")},
        "q_membership_changes": {"answer": input_value("ingen")},
        "q_deliverables": {"answer": input_value("")},
        "q_deviations": {"answer": input_value("yes", "static_select")},
        "q_deviations_description": {"answer": input_value("")},
        "q_needs": {"answer": input_value("")},
    }

    def submit() -> Any:
        return h.http.send_interaction(
            view_submission_payload(
                "U0CECILIE", "status_form", values, private_metadata=form_view["private_metadata"]
            )
        )

    first = submit().json()
    assert first["response_action"] == "errors"
    assert set(first["errors"]) == {"q_meetings", "q_deviations_description"}
    values["q_meetings"] = {"answer": input_value("12")}
    values["q_deviations_description"] = {"answer": input_value("Kurset er utsatt.")}
    assert submit().body == ""
    thanks = h.wait_posts("DU0CECILIE", 2)[1]
    assert thanks["text"].startswith("Takk!")

    # Tanja answers in the DM, one question at a time, choosing the group first
    chooser = h.dm("U0TANJA", "status")
    options = {b["value"]: b["action_id"] for b in _buttons(chooser)}
    assert set(options) == {f"{campaign_id}:AP3", f"{campaign_id}:AP10"}
    h.click("U0TANJA", options[f"{campaign_id}:AP10"], f"{campaign_id}:AP10")
    question = h.wait_posts("DU0TANJA", 4)[3]
    assert "1/7" in question["text"]
    for answer in ("Kurset går.", "Nytt kull", "3", "ingen", "hopp over"):
        question = h.dm("U0TANJA", answer)
    yes = next(b for b in _buttons(question) if b["value"].endswith("|deviations|no"))
    h.click("U0TANJA", yes["action_id"], yes["value"])
    question = h.wait_posts("DU0TANJA", 10)[9]
    assert "7/7" in question["text"]
    review = h.dm("U0TANJA", "skip")
    submit_button = next(b for b in _buttons(review) if b["action_id"] == "status_submit")
    h.click("U0TANJA", "status_submit", submit_button["value"])
    assert h.wait_posts("DU0TANJA", 12)[11]["text"].startswith("Takk!")

    # a member who is not leader or deputy is refused, naming who can
    refusal = h.dm("U0INGER", "status AP8")
    assert "Cecilie Moe" in refusal["text"] and "Anne Caroline Wiik" in refusal["text"]

    # the admin's live table, through the slash command's response_url
    h.http.send_command(text="status", user_id=ADMIN, response_url=h.fake.response_url("adm"))
    response = wait_for(
        lambda: [c for c in h.fake.calls() if c.path.endswith("/response/adm")],
        what="the admin's table",
    )[0]
    assert "Cecilie Moe" in json.dumps(response.params, ensure_ascii=False)
    assert "2 av 3 sendt inn" in json.dumps(response.params, ensure_ascii=False)

    # the App Home lists Helen's pending AP3 form with start buttons
    h.http.send_event(
        {"type": "app_home_opened", "user": "U0HELEN", "channel": "DU0HELEN", "tab": "home"}
    )
    home = wait_for(lambda: h.fake.calls("views.publish"), what="the home view")[-1]
    home_view = home.params["view"]
    home_view = json.loads(home_view) if isinstance(home_view, str) else home_view
    assert "AP3 Monitorering" in json.dumps(home_view, ensure_ascii=False)
    assert "status_modal" in json.dumps(home_view)

    with h.bot.services.db.session() as session:
        report = to_json(build_report(session, session.get(StatusCampaign, campaign_id), OSLO))
    by_group = {g["id"]: g for g in report["groups"]}
    assert by_group["AP8"]["answers"]["deviations_description"] == "Kurset er utsatt."
    assert by_group["AP8"]["submitted_by"] == "Cecilie Moe"
    assert by_group["AP10"]["submitted_by"] == "Tanja Igland"
    assert by_group["AP10"]["answers"]["deviations"] is False
    assert by_group["AP3"]["submitted_by"] is None
