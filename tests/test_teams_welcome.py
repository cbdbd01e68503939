"""The welcome in Teams, over real HTTP: installed in a personal chat, added to a team or a group
chat, the bot says who it is and what it can do, once; a person joining, an uninstall or a
redelivered activity says nothing more."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.replies import Person
from tests.support.teams_api import BotFrameworkStandIn, Member
from tests.support.teams_harness import TeamsHarness, serve_teams_edge
from tests.test_teams_edge import card_text, quiet, validate_card

KARI = Member("29:1kari", "Kari Nordmann", "aad-kari-0001", "kari@example.org", None)
SEKR = Member("29:1sekr", "Sekretariatet", "aad-sekr-0002", "post@norcrin.example", None)
CHANNEL = "19:general-norcrin@thread.tacv2"


@pytest.fixture
def stand_in() -> Iterator[BotFrameworkStandIn]:
    with BotFrameworkStandIn() as server:
        server.roster.update({KARI.id: KARI, SEKR.id: SEKR})
        yield server


def serve(make_bot: Any, sqlite_url: str, stand_in: BotFrameworkStandIn,
          **settings: str) -> Any:
    bot = make_bot(sqlite_url, SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="",
                   BOT_ADMINS=SEKR.aad_object_id, **settings, **stand_in.env())
    return serve_teams_edge(bot, stand_in)


@pytest.fixture
def teams(make_bot: Any, sqlite_url: str, stand_in: BotFrameworkStandIn
          ) -> Iterator[TeamsHarness]:
    with serve(make_bot, sqlite_url, stand_in) as harness:
        yield harness


def only_welcome(teams: TeamsHarness, conversation_id: str) -> str:
    """The one activity sent (waited for, then nothing more), in `conversation_id`: its card's
    text, the card checked against the schema."""
    teams.stand_in.wait_for(1)
    quiet(teams)
    [sent] = teams.stand_in.sent
    assert sent.method == "POST" and sent.conversation_id == conversation_id
    [card] = sent.cards
    validate_card(card)
    return card_text(card)


def synopses(teams: TeamsHarness, *, admin: bool, language: str = "nb") -> list[str]:
    """Every command a person may use (the help's list, generated from the routes)."""
    person = Person("teams", "someone", is_admin=admin)
    return [r.synopsis(language) for r in teams.bot.router.commands_for(person)]


def test_a_personal_install_is_welcomed_once_with_what_the_bot_can_do(teams):
    assert teams.post(teams.activities.installed(KARI)).status_code == 200
    shown = only_welcome(teams, teams.activities.personal_conversation(KARI)["id"])
    assert "Velkommen! Skriv «hjelp»" in shown
    assert "Spør meg om folk" in shown  # the help's own introduction
    for synopsis in synopses(teams, admin=False):
        assert synopsis in shown
    assert "sekretariatet:" not in shown.lower()  # Kari is no admin


def test_the_welcome_is_in_the_bots_language(make_bot, sqlite_url, stand_in):
    with serve(make_bot, sqlite_url, stand_in, BOT_LANGUAGE="en") as teams:
        assert teams.post(teams.activities.installed(KARI)).status_code == 200
        shown = only_welcome(teams, teams.activities.personal_conversation(KARI)["id"])
    assert "Welcome! Type “help”" in shown and "Ask me about people" in shown
    assert "Takk" not in shown
    for synopsis in synopses(teams, admin=False, language="en"):
        assert synopsis in shown


def test_added_to_a_team_the_bot_is_welcomed_once_in_its_channel(teams):
    bot = {"id": teams.activities.bot_id, "name": teams.activities.bot_name}
    assert teams.post(teams.activities.members_added(KARI, [bot])).status_code == 200
    shown = only_welcome(teams, CHANNEL)
    assert "Velkommen! Skriv «hjelp»" in shown


def test_one_install_announced_twice_is_welcomed_once(teams):
    """Teams sends installationUpdate and conversationUpdate for the same install."""
    bot = {"id": teams.activities.bot_id, "name": teams.activities.bot_name}
    assert teams.post(teams.activities.installed_in_team(KARI)).status_code == 200
    assert teams.post(teams.activities.members_added(KARI, [bot])).status_code == 200
    only_welcome(teams, CHANNEL)


def test_a_group_chat_is_welcomed_and_shown_only_what_everyone_may_use(teams):
    """An admin adds the bot to a group chat: the others read it, so no secretariat commands."""
    chat = "19:meeting-group@thread.v2"
    bot = {"id": teams.activities.bot_id, "name": teams.activities.bot_name}
    activity = teams.activities.members_added(SEKR, [bot])
    activity["conversation"] = {"isGroup": True, "conversationType": "groupChat",
                                "tenantId": activity["conversation"]["tenantId"], "id": chat}
    del activity["channelData"]["team"]
    assert teams.post(activity).status_code == 200
    shown = only_welcome(teams, chat)
    admin_only = set(synopses(teams, admin=True)) - set(synopses(teams, admin=False))
    assert admin_only and not any(s in shown for s in admin_only)


def test_an_admins_own_chat_lists_the_secretariats_commands(teams):
    assert teams.post(teams.activities.installed(SEKR)).status_code == 200
    shown = only_welcome(teams, teams.activities.personal_conversation(SEKR)["id"])
    for synopsis in synopses(teams, admin=True):
        assert synopsis in shown


def test_a_person_joining_a_team_is_not_welcomed(teams):
    joined = {"id": SEKR.id, "name": SEKR.name, "aadObjectId": SEKR.aad_object_id}
    assert teams.post(teams.activities.members_added(KARI, [joined])).status_code == 200
    quiet(teams)
    assert teams.stand_in.sent == []


def test_an_uninstall_says_nothing(teams):
    assert teams.post(teams.activities.uninstalled(KARI)).status_code == 200
    quiet(teams)
    assert teams.stand_in.sent == []


def test_a_redelivered_install_is_welcomed_once(teams, caplog):
    activity = teams.activities.installed(KARI)
    with caplog.at_level(logging.INFO, logger="norcrin_bot.teams"):
        assert [teams.post(activity).status_code for _ in range(3)] == [200, 200, 200]
        only_welcome(teams, activity["conversation"]["id"])
    dropped = [r for r in caplog.records if "redelivery ignored" in r.getMessage()]
    assert len(dropped) == 2  # dropped at the edge, before any handler ran
