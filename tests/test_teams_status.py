"""A status round through Teams: the leader installs the app, gets a proactive prompt, fills the
form as one Adaptive Card (a wrong answer refused inline), submits; the report holds it. Also the
step-by-step path in the chat. Real SDK, real HTTP, the Bot Framework stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.clock import FixedClock
from commands.status_campaigns import NewCampaign
from commands.status_delivery import launch_campaign
from commands.status_report import build_report, to_json
from storage.forms import StatusCampaign
from storage.outbox import deliver_due
from tests.support.status import OSLO, make_status_bot, oslo
from tests.support.teams_api import BotFrameworkStandIn, Member
from tests.support.teams_harness import TeamsHarness, serve_teams_edge
from tests.test_teams_edge import card_text, validate_card

CECILIE = Member("29:1cecilie", "Cecilie Moe", "aad-cecilie-0008", "Cecilie.Moe@example.org",
                 "cecilie.moe@norcrin.example")
TANJA = Member("29:1tanja", "Tanja Igland", "aad-tanja-0010", None, "tanja.igland@norcrin.example")


@pytest.fixture
def teams(sqlite_url: str) -> Iterator[TeamsHarness]:
    with BotFrameworkStandIn() as stand_in:
        stand_in.roster.update({CECILIE.id: CECILIE, TANJA.id: TANJA})
        bot = make_status_bot(sqlite_url, FixedClock(oslo(2026, 3, 2, 10, 0)), **stand_in.env())
        from storage.models import Person as PersonRow

        with bot.services.db.session() as session:  # the directory knows their addresses
            session.get(PersonRow, "cecilie-moe").email = "cecilie.moe@example.org"
            session.get(PersonRow, "tanja-igland").email = "tanja.igland@norcrin.example"
        try:
            with serve_teams_edge(bot, stand_in) as harness:
                yield harness
        finally:
            bot.services.db.dispose()


def install(teams: TeamsHarness, member: Member) -> None:
    """The app installed in the person's chat; its welcome (tests/test_teams_welcome.py) is
    waited for and forgotten, so a test sees only what it causes itself."""
    assert teams.post(teams.activities.installed(member)).status_code == 200
    [welcome] = teams.stand_in.wait_for(1)
    assert welcome.conversation_id == teams.activities.personal_conversation(member)["id"]
    teams.stand_in.clear_sent()


def invoke(teams: TeamsHarness, member: Member, verb: str, **data: Any) -> dict[str, Any]:
    activity = teams.activities.card_action(member, verb, {"verb": verb, **data})
    response = teams.post(activity)
    assert response.status_code == 200, response.text
    return dict(response.json())


def actions(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found[str(node["verb"])] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def launch(teams: TeamsHarness, groups: list[str]) -> int:
    spec = NewCampaign(name="Vårmøtet 2026", deadline="2026-03-31", opens="now", groups=groups)
    campaign_id = launch_campaign(teams.bot.services, spec, created_by="test").id
    deliver_due(teams.bot.services)
    return campaign_id


def test_a_leader_fills_the_status_form_as_a_card(teams):
    install(teams, CECILIE)
    campaign_id = launch(teams, ["AP8"])
    chat = teams.activities.personal_conversation(CECILIE)["id"]
    [prompt] = teams.stand_in.sent_to(chat)
    [card] = prompt.cards
    validate_card(card)
    assert "AP8" in card_text(card)
    buttons = actions(card)
    assert set(buttons) >= {"status_start", "status_modal"}

    form = invoke(teams, CECILIE, "status_modal", value=buttons["status_modal"]["data"]["value"])
    assert form["type"] == "application/vnd.microsoft.card.adaptive"
    validate_card(form["value"])
    ids = [e["id"] for e in form["value"]["body"] if e["type"].startswith("Input.")]
    assert ids[:3] == ["f_status", "f_focus", "f_meetings"]
    submit = {k: v for k, v in actions(form["value"])["status_form_submit"]["data"].items()
              if k != "verb"}
    answers = {"f_status": "Månedlige møter.", "f_focus": "OnePager", "f_meetings": "mange",
               "f_membership_changes": "ingen", "f_deliverables": "", "f_deviations": "yes",
               "f_deviations_description": "", "f_needs": ""}

    refused = invoke(teams, CECILIE, "status_form_submit", **submit, **answers)["value"]
    validate_card(refused)
    shown = card_text(refused)
    assert "⚠" in shown
    by_id = {e["id"]: e for e in refused["body"] if e.get("id")}
    assert by_id["f_status"]["value"] == "Månedlige møter."  # what was typed is kept
    with teams.bot.services.db.session() as session:
        report = to_json(build_report(session, session.get(StatusCampaign, campaign_id), OSLO))
    assert report["groups"][0]["submitted_by"] is None

    answers.update(f_meetings="12", f_deviations_description="Kurset er utsatt.")
    receipt = invoke(teams, CECILIE, "status_form_submit", **submit, **answers)["value"]
    validate_card(receipt)
    assert "Takk" in card_text(receipt)
    with teams.bot.services.db.session() as session:
        report = to_json(build_report(session, session.get(StatusCampaign, campaign_id), OSLO))
    [ap8] = report["groups"]
    assert ap8["submitted_by"] == "Cecilie Moe"
    assert ap8["answers"]["meetings"] == 12
    assert ap8["answers"]["deviations_description"] == "Kurset er utsatt."


def test_a_leader_answers_step_by_step_in_the_chat(teams):
    install(teams, TANJA)  # linked by UPN: the roster has no e-mail for her
    campaign_id = launch(teams, ["AP10"])
    chat = teams.activities.personal_conversation(TANJA)["id"]
    [prompt] = teams.stand_in.sent_to(chat)
    value = actions(prompt.cards[0])["status_start"]["data"]["value"]
    assert value == f"{campaign_id}:AP10"
    invoke(teams, TANJA, "status_start", value=value)
    [_, first] = teams.stand_in.wait_for(2)
    assert "1/7" in first.activity["summary"]

    def say(text: str) -> str:
        before = len(teams.stand_in.sent)
        assert teams.post(teams.activities.personal_message(TANJA, text)).status_code == 200
        return teams.stand_in.wait_for(before + 1)[before].activity["summary"]

    def sent_card() -> dict[str, Any]:
        return teams.stand_in.sent[-1].cards[0]

    say("Kurset går.")
    say("Nytt kull")
    refused = say("mange")  # the meetings count must be a number
    assert "3/7" in refused and "4/7" not in refused
    assert "4/7" in say("3")
    say("ingen")
    say("hopp over")
    validate_card(sent_card())
    row = next(b for b in sent_card()["body"] if b["type"] == "ActionSet")
    no = next(a for a in row["actions"] if a["data"]["value"].endswith("|deviations|no"))
    invoke(teams, TANJA, no["verb"], value=no["data"]["value"])
    assert "7/7" in teams.stand_in.sent[-1].activity["summary"]
    say("skip")
    review = sent_card()
    validate_card(review)
    submit = actions(review)["status_submit"]["data"]["value"]
    invoke(teams, TANJA, "status_submit", value=submit)
    assert teams.stand_in.sent[-1].activity["summary"].startswith("Takk!")
    with teams.bot.services.db.session() as session:
        report = to_json(build_report(session, session.get(StatusCampaign, campaign_id), OSLO))
    [ap10] = report["groups"]
    assert ap10["submitted_by"] == "Tanja Igland"
    assert ap10["answers"]["meetings"] == 3 and ap10["answers"]["deviations"] is False
