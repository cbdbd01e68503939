"""Route metadata is the truth (issue 10, part 3): `help` in the terminal, in Slack and on the App
Home is generated from the registered routes and the person's rights, and `admin_only` is
enforced by the router — a non-admin is refused in their language and the handler never runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from sqlalchemy import func, select

from bot.core import Bot
from bot.replies import Message, Person, Reply
from storage.news import NewsItem
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_harness import SlackHarness, serve_slack
from tests.support.slack_signing import message_event

ADMIN = "U0ADMIN"
MEMBER = "U0MEMBER"


def say(bot: Bot, text: str, *, admin: bool) -> Reply:
    person = Person(platform="console", user_id="kari", name="Kari", is_admin=admin)
    [reply] = bot.handle(Message(text=text, sender=person))
    return reply


def news_count(bot: Bot) -> int:
    with bot.services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(NewsItem)) or 0)


def test_help_lists_every_command_a_member_may_use_and_no_admin_command(bot: Bot) -> None:
    text = say(bot, "hjelp", admin=False).text
    for word in ("`dagsorden [vis|", "`nyheter`", "`nyhetsbrev`", "`status", "`kontakt ORG`",
                 "`ap KODE`", "`sop TEKST`", "`hjelp`"):
        assert word in text, word
    for route in bot.router.routes:
        shown = f"`{route.synopsis('nb')}` — {route.help_nb}"
        assert (shown in text) is (not route.admin_only), route.names
    assert "triage" not in text and "news add" not in text and "sekretariatet:" not in text


def test_an_admin_also_sees_the_secretariat_commands(bot: Bot) -> None:
    text = say(bot, "hjelp", admin=True).text
    assert "*Bare for sekretariatet:*" in text
    admin_part = text.split("*Bare for sekretariatet:*", 1)[1]
    for word in ("`triage", "`lært", "`nyheter legg Tittel | URL | sammendrag`"):
        assert word in admin_part, word
    for route in bot.router.routes:
        assert f"`{route.synopsis('nb')}`" in text, route.names


def test_help_follows_the_conversation_language(bot: Bot) -> None:
    english = say(bot, "what can you do?", admin=False)
    assert english.language == "en" and english.intent == "help"
    assert "*Commands:*" in english.text and "`wp CODE` — about a work package" in english.text
    norwegian = say(bot, "hva kan du hjelpe meg med?", admin=False)
    assert norwegian.language == "nb" and "*Kommandoer:*" in norwegian.text
    assert "`ap KODE` — om en arbeidspakke" in norwegian.text  # the Norwegian command word
    assert "`agenda [show|propose|" in english.text and "`dagsorden [vis|" in norwegian.text


def test_every_admin_command_is_refused_to_a_member_before_its_handler(bot: Bot) -> None:
    admin_routes = [r for r in bot.router.routes if r.admin_only]
    assert {r.names[0] for r in admin_routes} >= {"triage", "taught", "news add"}
    for route in admin_routes:
        for name in route.names:
            refused = say(bot, f"{name} 1", admin=False)
            assert refused.intent == "refused", name
            assert refused.text == "Dette kan bare sekretariatet (administratorer) gjøre."
    english = say(bot, "news add Our new trial | https://example.org/trial", admin=False)
    assert english.intent == "refused"
    assert english.text == "Only the secretariat (administrators) can do this."
    assert news_count(bot) == 0  # the handler never ran: nothing was added


def test_an_admin_command_works_for_an_admin(bot: Bot) -> None:
    added = say(bot, "news add Ny studie | https://example.org/studie | kort", admin=True)
    assert added.intent == "news" and added.text.startswith("Lagt til (#")
    assert news_count(bot) == 1
    assert say(bot, "triage", admin=True).intent == "teachback"
    preview = say(bot, "news", admin=False)  # the plain command stays open to everyone
    assert preview.intent == "digest" and "Ny studie" in preview.text


@pytest.fixture
def admin_slack(make_bot: Any, sqlite_url: str, fake_slack: FakeSlackAPI
                ) -> Iterator[SlackHarness]:
    bot = make_bot(sqlite_url, SLACK_API_URL=fake_slack.base_url, BOT_ADMINS=ADMIN)
    with serve_slack(bot, fake_slack) as harness:
        yield harness


def assert_valid_blocks(blocks: list[dict[str, Any]]) -> None:
    assert 0 < len(blocks) <= 100
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.to_dict()


def command_reply(slack: SlackHarness, user: str, text: str) -> dict[str, Any]:
    url = slack.fake.response_url(f"{user}-{text}".replace(" ", "-"))
    assert slack.http.send_command(text=text, user_id=user, response_url=url).status == 200
    [call] = slack.fake.wait_for("response_url")
    slack.fake.clear()
    assert_valid_blocks(call.params["blocks"])
    return call.params


def test_slack_help_is_generated_per_person(admin_slack: SlackHarness) -> None:
    member = command_reply(admin_slack, MEMBER, "hjelp")["text"]
    for word in ("`dagsorden", "`nyheter`", "`nyhetsbrev`", "`kontakt ORG`"):
        assert word in member, word
    assert "triage" not in member
    admin = command_reply(admin_slack, ADMIN, "hjelp")["text"]
    assert "`triage" in admin and "`nyheter legg" in admin and "`nyhetsbrev`" in admin


def test_slack_refuses_an_admin_command_to_a_member_and_runs_it_for_an_admin(
    admin_slack: SlackHarness,
) -> None:
    event = message_event("triage", user=MEMBER, channel="D7", channel_type="im")
    assert admin_slack.http.send_event(event).status == 200
    [call] = admin_slack.fake.wait_for("chat.postMessage")
    assert call.params["text"] == "Dette kan bare sekretariatet (administratorer) gjøre."
    admin_slack.fake.clear()
    event = message_event("triage", user=ADMIN, channel="D8", channel_type="im")
    assert admin_slack.http.send_event(event).status == 200
    [call] = admin_slack.fake.wait_for("chat.postMessage")
    assert call.params["text"] == "Ingen åpne spørsmål."
    assert_valid_blocks(call.params["blocks"])


def home_view(slack: SlackHarness, user: str) -> str:
    event = {"type": "app_home_opened", "user": user, "channel": "D5", "tab": "home"}
    assert slack.http.send_event(event).status == 200
    [call] = slack.fake.wait_for("views.publish")
    slack.fake.clear()
    view = call.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert_valid_blocks(view["blocks"])
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_app_home_lists_the_commands_for_the_person(admin_slack: SlackHarness) -> None:
    member = home_view(admin_slack, MEMBER)
    assert "`dagsorden" in member and "`nyhetsbrev`" in member and "`nyheter`" in member
    assert "triage" not in member
    admin = home_view(admin_slack, ADMIN)
    assert "`triage" in admin and "`lært" in admin and "Bare for sekretariatet" in admin


def test_buttons_forms_and_modals_refuse_a_member_with_the_routers_words(bot: Bot) -> None:
    """Slack-only entry points (the "new status round" modal, teach-back buttons and forms) use
    the router's rule and refusal, so the wording cannot drift from the commands'."""
    from commands import status, teachback_form
    from storage.forms import StatusCampaign

    member = Person(platform="slack", user_id=MEMBER, name="Kari", is_admin=False)
    expected = {"nb": "Dette kan bare sekretariatet (administratorer) gjøre.",
                "en": "Only the secretariat (administrators) can do this."}
    for language, text in expected.items():
        modal = status.campaign_modal_for(bot.services, member, language)
        assert isinstance(modal, Reply)
        assert (modal.intent, modal.text) == ("refused", text)
        values = {"name": "Vår", "deadline": "2030-01-01 12:00"}
        assert status.create_from_modal(bot.services, member, values, language) == {"name": text}
    with bot.services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(StatusCampaign)) == 0

    assert say(bot, "triage", admin=False).text == expected["nb"]  # an admin-only command
    nb = expected[bot.services.settings.language]
    refused_modal = teachback_form.modal_for(bot.services, member, "1")
    assert isinstance(refused_modal, Reply) and refused_modal.text == nb
    assert teachback_form.submit_answer(bot.services, member, "1", {"text": "x"}) == (
        {"text": nb}, None, [])
    ran: list[str] = []

    def work(by: str) -> tuple[str, list[str]]:
        ran.append(by)
        return "done", []

    reply, keys = teachback_form.admin_action(bot.services, member, work)
    assert (reply.intent, reply.text, keys, ran) == ("refused", nb, [], [])
    assert teachback_form.pick_options(bot.services, member, "godkjenning") == []
