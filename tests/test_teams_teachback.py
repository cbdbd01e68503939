"""Teach-back in Teams: 👍 on an answer, a declined question passed on by card, the secretariat's
post in an admin's Teams chat, a non-admin refused, the admin answering on the card, the asker
told, and the taught answer given first next time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.teams_api import BotFrameworkStandIn, Member
from tests.support.teams_harness import TeamsHarness, serve_teams_edge
from tests.test_teams_edge import card_text, validate_card
from tests.test_teams_status import install, invoke

KARI = Member("29:1kari", "Kari Nordmann", "aad-kari-0001", "kari@example.org", None)
SEKR = Member("29:1sekr", "Sekretariatet", "aad-sekr-0002", "post@norcrin.example", None)
WEATHER = "what's the weather in Bergen tomorrow?"


@pytest.fixture
def teams(make_bot: Any, sqlite_url: str) -> Iterator[TeamsHarness]:
    with BotFrameworkStandIn() as stand_in:
        stand_in.roster.update({KARI.id: KARI, SEKR.id: SEKR})
        bot = make_bot(sqlite_url, SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="",
                       BOT_ADMINS=SEKR.aad_object_id,
                       SECRETARIAT_CHANNEL=f"teams-user:{SEKR.aad_object_id}", **stand_in.env())
        with serve_teams_edge(bot, stand_in) as harness:
            yield harness


def ask(teams: TeamsHarness, member: Member, text: str) -> Any:
    before = len(teams.stand_in.sent)
    assert teams.post(teams.activities.personal_message(member, text)).status_code == 200
    return teams.stand_in.wait_for(before + 1)[before]


def verbs(card: dict[str, Any]) -> dict[str, Any]:
    return {a["verb"]: a["data"] for a in card.get("actions", []) if a["type"] == "Action.Execute"}


def test_thumbs_up_on_an_answer(teams):
    install(teams, KARI)
    answer = ask(teams, KARI, "hvem leder AP8?")
    card = answer.cards[0]
    assert "skriv 👍" not in card_text(card)  # the buttons are there; no typing hint
    thanks = invoke(teams, KARI, "teachback_up", value=verbs(card)["teachback_up"]["value"])
    validate_card(thanks["value"])
    assert "Takk for tilbakemeldingen" in card_text(thanks["value"])


def test_a_declined_question_is_passed_on_and_answered_by_the_secretariat(teams):
    install(teams, KARI)
    install(teams, SEKR)
    declined = ask(teams, KARI, WEATHER)
    validate_card(declined.cards[0])
    pass_on = verbs(declined.cards[0])["teachback_pass"]
    told = invoke(teams, KARI, "teachback_pass", value=pass_on["value"])["value"]
    validate_card(told)

    sekr_chat = teams.activities.personal_conversation(SEKR)["id"]
    [post] = teams.stand_in.sent_to(sekr_chat)
    card = post.cards[0]
    validate_card(card)
    assert WEATHER in card_text(card)
    admin = verbs(card)
    assert {"teachback_answer", "teachback_dismiss"} <= set(admin)

    refused = invoke(teams, KARI, "teachback_answer", value=admin["teachback_answer"]["value"])
    assert "sekretariatet" in card_text(refused["value"])

    form = invoke(teams, SEKR, "teachback_answer", value=admin["teachback_answer"]["value"])
    validate_card(form["value"])
    submit = verbs(form["value"])["teachback_answer_submit"]
    done = invoke(teams, SEKR, "teachback_answer_submit", value=submit["value"],
                  text="Se yr.no for været.")["value"]
    validate_card(done)

    kari_chat = teams.activities.personal_conversation(KARI)["id"]
    assert "yr.no" in teams.stand_in.sent_to(kari_chat)[-1].activity["summary"]
    again = ask(teams, KARI, WEATHER)
    assert "yr.no" in card_text(again.cards[0])
