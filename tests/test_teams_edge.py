"""Teams over real HTTP: our edge under Hypercorn, the real Teams SDK behind it, the Bot Framework
stand-in (OpenID metadata + JWKS, token endpoint, Bot Connector) on the other side."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.adaptive_cards import validate_card as validate_schema
from tests.support.teams_api import APP_ID, BotFrameworkStandIn, Member
from tests.support.teams_harness import TeamsHarness, serve_teams_edge


def validate_card(card: dict[str, Any]) -> None:
    """Every card the bot sends: valid under the official schema of its declared version."""
    validate_schema(card, teams=True)

KARI = Member("29:1kari", "Kari Nordmann", "aad-kari-0001", "kari@example.org",
              "kari@norcrin.example")


@pytest.fixture
def stand_in() -> Iterator[BotFrameworkStandIn]:
    with BotFrameworkStandIn() as server:
        server.roster[KARI.id] = KARI
        yield server


@pytest.fixture
def teams(make_bot: Any, sqlite_url: str, stand_in: BotFrameworkStandIn) -> Iterator[TeamsHarness]:
    bot = make_bot(sqlite_url, SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="", **stand_in.env())
    with serve_teams_edge(bot, stand_in) as harness:
        yield harness


def card_text(card: dict[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("TextRun", "TextBlock"):
                out.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("body", []))
    return "\n".join(out)


def quiet(teams: TeamsHarness, seconds: float = 0.5) -> None:
    """Let background answers finish: nothing more may be sent after this."""
    time.sleep(seconds)


def test_personal_question_is_answered_with_a_card_naming_the_leader(teams):
    activity = teams.activities.personal_message(KARI, "hvem leder AP8?")
    assert teams.post(activity).status_code == 200
    [sent] = teams.stand_in.wait_for(1)
    assert sent.method == "POST"
    assert sent.conversation_id == activity["conversation"]["id"]
    [card] = sent.cards
    validate_card(card)
    assert "Cecilie Moe" in card_text(card)
    assert "Cecilie Moe" in sent.activity["summary"]
    verbs = [a.get("verb") for a in card.get("actions", [])]
    assert verbs[:2] == ["teachback_up", "teachback_down"]
    assert sent.auth.startswith("Bearer ") and teams.stand_in.token_requests[0]["scope"] == \
        "https://api.botframework.com/.default"


def test_channel_mention_is_answered_in_its_thread(teams):
    activity = teams.activities.channel_mention(KARI, "who leads AP8?")
    assert teams.post(activity).status_code == 200
    [sent] = teams.stand_in.wait_for(1)
    assert sent.conversation_id == f"19:general-norcrin@thread.tacv2;messageid={activity['id']}"
    assert sent.activity.get("replyToId") == activity["id"]
    [card] = sent.cards
    validate_card(card)
    assert "Cecilie Moe" in card_text(card)


@pytest.mark.parametrize("kind", ["missing", "forged", "expired", "audience", "issuer",
                                  "service_url"])
def test_bad_tokens_get_401_and_nothing_is_sent(teams, kind):
    activity = teams.activities.personal_message(KARI, "hvem leder AP8?")
    tokens = {
        "missing": "",
        "forged": teams.stand_in.inbound_token(forged=True),
        "expired": teams.stand_in.inbound_token(expired=True),
        "audience": teams.stand_in.inbound_token(audience="another-app"),
        "issuer": teams.stand_in.inbound_token(issuer="https://evil.example"),
        "service_url": teams.stand_in.inbound_token(service_url="https://evil.example/"),
    }
    response = teams.post(activity, token=tokens[kind])
    assert response.status_code == 401
    quiet(teams)
    assert teams.stand_in.sent == []
    from sqlalchemy import select

    from storage.teams import TeamsConversation

    with teams.bot.services.db.session() as session:
        assert session.scalars(select(TeamsConversation)).all() == []


def test_another_tenant_is_refused(teams):
    activity = teams.activities.personal_message(KARI, "hvem leder AP8?")
    activity["channelData"]["tenant"]["id"] = "99999999-0000-4000-8000-000000000000"
    activity["conversation"]["tenantId"] = "99999999-0000-4000-8000-000000000000"
    assert teams.post(activity).status_code == 403
    quiet(teams)
    assert teams.stand_in.sent == []


def test_redelivered_activity_is_answered_once(teams):
    activity = teams.activities.personal_message(KARI, "law group")
    assert [teams.post(activity).status_code for _ in range(3)] == [200, 200, 200]
    teams.stand_in.wait_for(1)
    quiet(teams)
    assert len(teams.stand_in.sent) == 1


def test_throttled_reply_waits_for_retry_after_and_is_sent_once(teams):
    teams.stand_in.fail_next(429, retry_after="0.2")
    activity = teams.activities.personal_message(KARI, "hvem leder AP8?")
    assert teams.post(activity).status_code == 200
    [_sent] = teams.stand_in.wait_for(1)
    quiet(teams)
    assert len(teams.stand_in.sent) == 1


def test_a_500_is_not_retried_so_nothing_is_posted_twice(teams):
    teams.stand_in.fail_next(500)
    activity = teams.activities.personal_message(KARI, "hvem leder AP8?")
    assert teams.post(activity).status_code == 200
    [apology] = teams.stand_in.wait_for(1)  # the apology, once; the answer was not re-posted
    quiet(teams)
    assert len(teams.stand_in.sent) == 1
    assert "Beklager" in apology.activity["summary"]


def test_first_message_links_the_person_by_email_and_stores_the_reference(teams):
    activity = teams.activities.personal_message(KARI, "hei")
    assert teams.post(activity).status_code == 200
    teams.stand_in.wait_for(1)
    from storage.teams import personal_chat

    with teams.bot.services.db.session() as session:
        row = personal_chat(session, KARI.aad_object_id)
        assert row is not None
        assert row.service_url == teams.stand_in.service_url
        assert row.user_id == KARI.id and row.email == KARI.email


def test_malformed_bodies_are_refused_before_any_work(teams):
    token = teams.stand_in.inbound_token()
    assert teams.post({}, token=token, raw=b"{not json").status_code == 400
    assert teams.post({}, token=token, raw=b"[1]").status_code == 400
    assert teams.stand_in.sent == []


def test_the_keys_url_comes_from_the_metadata(teams):
    assert APP_ID
    activity = teams.activities.personal_message(KARI, "law group")
    assert teams.post(activity).status_code == 200
    teams.stand_in.wait_for(1)
    assert teams.stand_in.metadata_reads == 1


def test_made_up_key_ids_cost_no_key_fetches(teams):
    teams.post(teams.activities.personal_message(KARI, "law group"))  # keys read once
    teams.stand_in.wait_for(1)
    reads = teams.stand_in.jwks_reads
    for n in range(20):
        forged = teams.stand_in.inbound_token(forged=True, kid=f"made-up-{n}")
        assert teams.post(teams.activities.personal_message(KARI, "x"),
                          token=forged).status_code == 401
    assert teams.stand_in.jwks_reads == reads
    assert len(teams.stand_in.sent) == 1


def test_group_chat_mention_is_stripped_and_answered_in_the_chat(teams):
    activity = teams.activities.group_mention(KARI, "hvem leder AP8?")
    assert teams.post(activity).status_code == 200
    [sent] = teams.stand_in.wait_for(1)
    assert sent.conversation_id == "19:meeting-group@thread.v2"
    assert "Cecilie Moe" in card_text(sent.cards[0])
    from storage.questions_log import QuestionLog

    with teams.bot.services.db.session() as session:
        [logged] = session.query(QuestionLog).all()
        assert logged.question == "hvem leder AP8?" and logged.surface == "teams"


def test_untrusted_text_stays_text_in_cards(teams):
    hostile = "**fet** [klikk](javascript:alert(1)) <at>Alle</at> ![x](https://evil.example/x.png)"
    activity = teams.activities.personal_message(KARI, hostile)
    assert teams.post(activity).status_code == 200
    [sent] = teams.stand_in.wait_for(1)
    [card] = sent.cards
    validate_card(card)
    raw = json.dumps(card)
    assert '"TextBlock"' not in raw  # Teams reads Markdown in TextBlocks; data goes in TextRuns
    assert "javascript:" not in "".join(
        a.get("url", "") for a in _all(card) if isinstance(a, dict))


def _all(node: Any) -> list[Any]:
    out = [node]
    if isinstance(node, dict):
        for value in node.values():
            out.extend(_all(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_all(value))
    return out


def test_a_huge_answer_stays_within_teams_limit():
    from bot.replies import Reply, Section
    from integrations.teams.cards import message_activity

    big = Reply(text="x", parts=tuple(Section(f"Sak {i}: " + "æ" * 400) for i in range(200)))
    activity = message_activity(big)
    assert len(json.dumps(activity).encode("utf-16-le")) < 28_000
    card = activity["attachments"][0]["content"]
    validate_card(card)
    assert "Sak 0:" in card_text(card) and "more" in card_text(card)
