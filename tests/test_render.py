"""Rendering the domain replies: Block Kit within Slack's limits, and the terminal."""

from __future__ import annotations

import io
import json

from rich.console import Console
from slack_bolt import BoltRequest
from slack_sdk.models.blocks import Block

from bot.replies import (
    Actions,
    Button,
    Choice,
    ContactCard,
    DocumentCard,
    GroupCard,
    Heading,
    Note,
    Reply,
    Section,
    Table,
    reply_from_dict,
    reply_to_dict,
)
from integrations.console.render import render_reply
from integrations.slack.render import fallback_text, render_blocks

EVERY_PART = Reply(
    text="fallback",
    parts=(
        Heading("H" * 300),
        Section("*bold* " + "x" * 7000),
        Note("small print"),
        ContactCard(
            "p", "Kari <Nordmann>", ("leder, AP8",), "UNN", ("AP8",), "kari@unn.no", "+47 1"
        ),
        DocumentCard("LM 2", "T" * 200, "SOP", "LM", "https://example.org/" + "a" * 100, "sum"),
        GroupCard(
            "AP8", "AP8 Data", "purpose", "Leader", "Deputy", tuple(f"M{i}" for i in range(300))
        ),
        Table(("A", "B"), tuple((str(i), "y" * 50) for i in range(200)), title="T"),
        Actions(tuple(Button("L" * 200, url="https://example.org") for _ in range(40))),
        Choice("Pick one", "form_answer", tuple((f"option {i}", str(i)) for i in range(30))),
    ),
    language="en",
)


def validate(blocks: list[dict]) -> None:
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.to_dict()


def test_every_part_renders_to_valid_block_kit_within_limits():
    blocks = render_blocks(EVERY_PART)
    assert len(blocks) <= 50
    validate(blocks)
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000


def test_overlong_answer_is_cut_with_a_more_note():
    reply = Reply(text="t", parts=tuple(Section(f"line {i}") for i in range(120)), language="nb")
    blocks = render_blocks(reply)
    assert len(blocks) == 50
    assert blocks[-1]["type"] == "context"
    assert "til" in blocks[-1]["elements"][0]["text"]
    validate(blocks)


def test_data_cannot_become_slack_markup():
    blocks = render_blocks(Reply(text="x", parts=(ContactCard("p", "<!channel>", (), None),)))
    assert "<!channel>" not in json.dumps(blocks)
    assert "&lt;!channel&gt;" in json.dumps(blocks)


def test_fallback_text_is_bounded():
    assert len(fallback_text(Reply(text="x" * 100_000))) <= 3900


def test_replies_round_trip_through_json():
    assert reply_from_dict(json.loads(json.dumps(reply_to_dict(EVERY_PART)))) == EVERY_PART


def test_console_renders_cards_as_panels_and_tables():
    out = io.StringIO()
    Console(file=out, width=100, color_system=None).print(render_reply(EVERY_PART))
    text = out.getvalue()
    assert "Kari <Nordmann>" in text
    assert "╭" in text or "+" in text  # a panel border
    assert "option 29" in text


def test_socket_mode_requests_reach_the_same_listeners(make_bot, sqlite_url, fake_slack):
    from integrations.slack.app import build_slack_app
    from integrations.slack.client import make_web_client

    bot = make_bot(sqlite_url, SLACK_API_URL=fake_slack.base_url, SLACK_SIGNING_SECRET="")
    runtime = build_slack_app(bot, client=make_web_client(bot.services.settings), socket_mode=True)
    body = {
        "type": "event_callback",
        "event_id": "Ev1",
        "team_id": "T0001",
        "event": {
            "type": "app_mention",
            "user": "U1",
            "text": "<@U0BOT> law group",
            "channel": "C1",
            "ts": "1.000001",
        },
    }
    response = runtime.app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200
    [call] = fake_slack.wait_for("chat.postMessage")
    assert "Jusgruppen" in call.params["text"] or "Law group" in call.params["text"]
    runtime.pool.shutdown(wait=True)
