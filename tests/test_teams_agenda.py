"""Agenda proposals in Teams: a member proposes through a card, the owner accepts with the card's
button, the proposer is told and the agenda posted in Teams is edited in place."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.clock import FixedClock
from commands.posts import publish_agenda
from storage import agenda as store
from storage.outbox import deliver_due
from tests.support.status import OSLO, make_status_bot, oslo
from tests.support.teams_api import BotFrameworkStandIn, Member
from tests.support.teams_harness import TeamsHarness, serve_teams_edge
from tests.test_teams_edge import card_text, validate_card
from tests.test_teams_status import CECILIE, install, invoke

KARI = Member("29:1kari", "Kari Nordmann", "aad-kari-0001", "kari@example.org", None)


@pytest.fixture
def teams(sqlite_url: str) -> Iterator[TeamsHarness]:
    with BotFrameworkStandIn() as stand_in:
        stand_in.roster.update({CECILIE.id: CECILIE, KARI.id: KARI})
        bot = make_status_bot(sqlite_url, FixedClock(oslo(2026, 3, 2, 10, 0)), **stand_in.env())
        from storage.models import Person as PersonRow

        with bot.services.db.session() as session:
            session.get(PersonRow, "cecilie-moe").email = "cecilie.moe@example.org"
        try:
            with serve_teams_edge(bot, stand_in) as harness:
                yield harness
        finally:
            bot.services.db.dispose()


def test_a_proposal_made_by_card_is_accepted_by_the_owner_card(teams):
    install(teams, CECILIE)
    install(teams, KARI)
    with teams.bot.services.db.session() as session:
        meeting = store.create_meeting(session, series="AP8", title="AP8-møte",
                                       start=datetime(2026, 3, 20, 9, 0, tzinfo=OSLO),
                                       owner="cecilie-moe")
        meeting_id = meeting.id
        publish_agenda(session, meeting, [f"teams-user:{CECILIE.aad_object_id}"], OSLO)
    deliver_due(teams.bot.services)
    owner_chat = teams.activities.personal_conversation(CECILIE)["id"]
    [posted] = teams.stand_in.sent_to(owner_chat)
    validate_card(posted.cards[0])
    assert "eCRF-maler" not in card_text(posted.cards[0])

    # Kari asks for the card and proposes an item; a bad minutes value is refused on the card
    kari_chat = teams.activities.personal_conversation(KARI)["id"]
    assert teams.post(teams.activities.personal_message(KARI, "agenda propose")).status_code == 200
    [form_post] = teams.stand_in.wait_for(2)[1:]
    assert form_post.conversation_id == kari_chat
    form = form_post.cards[0]
    validate_card(form)
    assert any(e.get("id") == "f_meeting" for e in form["body"])
    bad = invoke(teams, KARI, "agenda_propose_submit", f_meeting=str(meeting_id),
                 f_title="eCRF-maler", f_minutes="et kvarter")["value"]
    validate_card(bad)
    assert "⚠" in card_text(bad)
    kept = {e["id"]: e.get("value") for e in bad["body"] if e.get("id")}
    assert kept["f_title"] == "eCRF-maler" and kept["f_meeting"] == str(meeting_id)
    done = invoke(teams, KARI, "agenda_propose_submit", f_meeting=str(meeting_id),
                  f_title="eCRF-maler", f_minutes="15", f_presenter="Kari")["value"]
    validate_card(done)
    assert "#1" in card_text(done)

    # the owner gets the proposal with Accept/Decline buttons in her chat
    ask = teams.stand_in.sent_to(owner_chat)[-1]
    validate_card(ask.cards[0])
    row = next(b for b in ask.cards[0]["body"] if b["type"] == "ActionSet")
    [accept, decline] = [a["data"] for a in row["actions"]]
    assert (accept["value"], decline["value"]) == ("accept 1", "decline 1")
    decide = accept
    accepted = invoke(teams, CECILIE, "agenda_decide", value=decide["value"])["value"]
    validate_card(accepted)
    assert "Godtatt" in card_text(accepted)

    # the agenda post is edited in place, and Kari is told
    edits = [s for s in teams.stand_in.sent_to(owner_chat) if s.method == "PUT"]
    assert [e.target_id for e in edits] == [posted.activity_id]
    assert "eCRF-maler" in card_text(edits[0].cards[0])
    validate_card(edits[0].cards[0])
    told = teams.stand_in.sent_to(kari_chat)[-1]
    assert "eCRF-maler" in told.activity["summary"]

    # Kari is not the owner: her press of an old button is refused
    refused = invoke(teams, KARI, "agenda_decide", value="decline 1")["value"]
    assert "møteeier" in card_text(refused) or "allerede" in card_text(refused)
