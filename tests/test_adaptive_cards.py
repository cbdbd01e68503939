"""Every Adaptive Card the bot sends validates against the official schema of the version it
declares; the validator itself is shown to refuse malformed cards and too-low versions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.core import Bot
from bot.markup import link
from bot.replies import Heading, Message, Person, Reply, Section, Table
from integrations.graph.render import adaptive_card
from integrations.graph.webhook import webhook_payload
from tests.support.adaptive_cards import VERSIONS, card_schema, validate_card
from tests.support.graph_api import FakeGraphAPI
from tests.test_render import EVERY_PART

GOOD = {
    "type": "AdaptiveCard",
    "version": "1.4",
    "body": [
        {"type": "RichTextBlock",
         "inlines": [{"type": "TextRun", "text": "Hei", "weight": "Bolder"}]},
        {"type": "TextBlock", "text": "tekst", "wrap": True},
    ],
    "actions": [{"type": "Action.OpenUrl", "title": "NorCRIN", "url": "https://www.norcrin.no/"}],
}


def _with(change: Any) -> dict[str, Any]:
    card = copy.deepcopy(GOOD)
    change(card)
    return card


def test_the_schemas_are_the_official_draft_06_files_with_local_refs_only() -> None:
    for version in VERSIONS:
        schema = card_schema(version)
        assert schema["$schema"] == "http://json-schema.org/draft-06/schema#"
        assert schema["id"] == "http://adaptivecards.io/schemas/adaptive-card.json"
        refs: list[str] = []

        def walk(node: Any, refs: list[str] = refs) -> None:
            if isinstance(node, dict):
                refs.extend(v for k, v in node.items() if k == "$ref")
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(schema)
        assert refs and all(ref.startswith("#/definitions/") for ref in refs)


def test_a_valid_card_passes() -> None:
    validate_card(GOOD)
    validate_card(_with(lambda c: c.update(version="1.5", body=[
        {"type": "Table", "columns": [{"width": 1}],
         "rows": [{"type": "TableRow", "cells": [{"type": "TableCell", "items": []}]}]}
    ])))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c.pop("version"), "version None is not one of 1.0"),
        (lambda c: c.update(version="2.0"), "version '2.0' is not one of"),
        (lambda c: c.update(type="Card"), "not an Adaptive Card: type is 'Card'"),
        (lambda c: c.update(bogus=1), "at (card): Additional properties are not allowed ('bogus'"),
        (lambda c: c["body"][0].pop("inlines"), "at body[0]: 'inlines' is a required property"),
        (lambda c: c["body"][0]["inlines"][0].update(weight="Heavy"),
         "at body[0].inlines[0].weight: 'Heavy' is not one of ['default', 'lighter', 'bolder']"),
        (lambda c: c["body"][1].update(type="Markdown"),
         "at body[1]: type 'Markdown' is not allowed here (allowed: ActionSet"),
        (lambda c: c["actions"][0].pop("url"), "at actions[0]: 'url' is a required property"),
        (lambda c: c["body"][1].update(wrap="yes"), "at body[1].wrap: 'yes' is not of type"),
        # a feature newer than the declared version: Table and heading style are 1.5
        (lambda c: c["body"].append({"type": "Table", "columns": [], "rows": []}),
         "invalid Adaptive Card 1.4 at body[2]: type 'Table' is not allowed here"),
        (lambda c: c["body"][1].update(style="heading"),
         "at body[1]: Additional properties are not allowed ('style' was unexpected)"),
        # the 1.0 file is the 1.1 one, so only the feature check sees that height is 1.1
        (lambda c: c.update(version="1.0", body=[{"type": "TextBlock", "text": "x",
                                                  "height": "stretch"}], actions=[]),
         "Adaptive Card 1.0 uses a newer feature at body[0].height: needs Adaptive Card 1.1"),
        # RichTextBlock is 1.2
        (lambda c: c.update(version="1.1"), "invalid Adaptive Card 1.1 at body[0]: type "
                                            "'RichTextBlock' is not allowed here"),
    ],
)
def test_malformed_cards_are_refused_with_the_path(change: Any, message: str) -> None:
    with pytest.raises(AssertionError) as refused:
        validate_card(_with(change))
    assert message in str(refused.value)


def test_teams_msteams_extension_only_when_asked_for() -> None:
    mention = {"type": "mention", "text": "<at>Kari</at>",
               "mentioned": {"id": "29:1abc", "name": "Kari Nordmann"}}
    card = _with(lambda c: c.update(msteams={"width": "Full", "entities": [mention]}))
    validate_card(card, teams=True)
    with pytest.raises(AssertionError, match=r"'msteams' was unexpected"):
        validate_card(card)
    for extension, message in [
        ({"width": "Wide"}, "msteams.width: must be 'Full'"),
        ({"colour": "red"}, "msteams: only width and entities are known"),
        ({"entities": [{"type": "mention", "text": "x"}]}, r"msteams.entities\[0\]: a mention"),
    ]:
        with pytest.raises(AssertionError, match=message):
            validate_card(_with(lambda c, e=extension: c.update(msteams=e)), teams=True)


@pytest.mark.parametrize(
    "question, kind",
    [
        ("hvem leder AP8?", "ContactCard"),
        ("who is the deputy of AP2?", "ContactCard"),
        ("SOP for monitorering", "DocumentCard"),
        ("hvem er ledere for arbeidspakkene?", "Table"),
        ("hvem er i styret?", "Table"),
        ("who can help me with sample size calculations?", "GroupCard"),
        ("hva er AP8?", "GroupCard"),
        ("digest", "Heading"),
        ("hjelp", "Section"),
        ("which room is the new coffee machine in?", "Actions"),
    ],
)
def test_real_replies_make_valid_cards(bot: Bot, question: str, kind: str) -> None:
    replies = bot.handle(Message(question, Person("console", "t"), surface="console"))
    assert replies and kind in {type(part).__name__ for reply in replies for part in reply.parts}
    for reply in replies:
        validate_card(adaptive_card(reply))
        payload: Any = webhook_payload(reply)
        (attachment,) = payload["attachments"]
        validate_card(attachment["content"])


def test_every_part_kind_and_an_oversized_reply_make_valid_cards() -> None:
    validate_card(adaptive_card(EVERY_PART))
    tricky = Reply(text="x", parts=(
        Heading("**ikke** [md](javascript:x)"),
        Section(f"*Fet* {link('https://www.norcrin.no/', 'NorCRIN')}\n\n_kursiv_ `kode`"),
        Table(("A", "B"), (("", ""), ("1", "")), title=""),
    ))
    validate_card(adaptive_card(tricky))
    big = Reply(text="x", parts=tuple(Section(f"Sak {i}: " + "æ" * 400) for i in range(200)))
    card = adaptive_card(big)
    assert "more" in card["body"][-1]["inlines"][0]["text"]
    validate_card(card)
    validate_card(adaptive_card(Reply(text="", parts=())))


def test_agenda_and_digest_posted_to_a_teams_webhook_are_valid_cards(
    cli: Any, fake_graph: FakeGraphAPI
) -> None:
    meeting = cli("agenda", "new", "--series", "AP8", "--title", "AP8-møte",
                  "--start", "2030-02-12 09:30").strip().splitlines()[-1]
    cli("agenda", "add", meeting, "--title", "Datahåndteringsplaner <b>", "--minutes", "20")
    cli("agenda", "add", meeting, "--title", "Pause", "--minutes", "5", "--kind", "break")
    cli("agenda", "post", meeting, "--to", f"teams-webhook:{fake_graph.webhook_url('agenda')}")
    cli("news", "add", "--title", "Nytt kurs i GCP", "--url", "https://www.norcrin.no/gcp",
        "--published", "2025-11-01T10:00", "--summary", "Påmelding *nå* <https://x|y>")
    cli("digest", "post", "--to", f"teams-webhook:{fake_graph.webhook_url('news')}")
    posts = fake_graph.webhook_posts()
    assert sorted(post["name"] for post in posts) == ["agenda", "news"]
    for post in posts:
        for attachment in post["payload"]["attachments"]:
            assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
            validate_card(attachment["content"])
    text = str(posts)
    assert "Datahåndteringsplaner <b>" in text and "Nytt kurs i GCP" in text
