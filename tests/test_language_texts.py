"""Texts moved from inline nb/en ternaries to `bot.i18n.t` are word for word what they were, in
both languages (the expected strings are the old ones, spelled out)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from bot.replies import GroupCard, Reply, Section
from commands.posts import digest_markdown, digest_reply
from integrations.graph.render import reply_html
from integrations.slack.render import render_blocks, render_part
from storage.news import NewsItem
from storage.provenance import describe

OSLO = ZoneInfo("Europe/Oslo")


def test_source_lines_in_both_languages() -> None:
    report = {"kind": "report", "section": "Styret", "page": 4, "lines": "10-12",
              "inferred": True, "decided_by": "ada"}
    assert describe(report, "nb") == (
        "Årsrapport 2024 (framdriftsrapport), «Styret», side 4, linje 10-12 "
        "(seeds/001_24c3ba59667219ab.txt) — utledet, ikke uttrykkelig sagt "
        "(admin-beslutning av ada)")
    assert describe(report, "en") == (
        "Annual report 2024 (progress report), «Styret», page 4, lines 10-12 "
        "(seeds/001_24c3ba59667219ab.txt) — inferred, not stated (admin decision by ada)")
    web = {"kind": "web", "url": "https://norcrin.no/x", "date": "2025-03-01"}
    assert describe(web, "nb") == "nettside https://norcrin.no/x (lest 2025-03-01)"
    assert describe(web, "en") == "web page https://norcrin.no/x (as of 2025-03-01)"
    imported = {"kind": "import", "file": "p.yaml", "by": "ada", "at": "2025-01-02"}
    assert describe(imported, "nb") == "import av p.yaml (av ada, 2025-01-02)"
    assert describe(imported, "en") == "import of p.yaml (by ada, 2025-01-02)"
    assert describe({"kind": "document", "lines": "3"}, "nb") == "dokument, linje 3"
    assert describe({"kind": "document", "lines": "3"}, "en") == "document, lines 3"
    assert (describe(None, "nb"), describe(None, "en")) == ("ukjent kilde", "unknown source")


def test_digest_words_and_dates_in_both_languages() -> None:
    item = NewsItem(link="https://norcrin.no/n/1", title="Kurs", summary=None,
                    published_at=datetime(2025, 3, 4, 9, tzinfo=UTC))
    nb, en = digest_reply([item], "nb", OSLO), digest_reply([item], "en", OSLO)
    assert nb.text == "Nytt fra NorCRIN\nKurs (04.03.2025) https://norcrin.no/n/1"
    assert en.text == "News from NorCRIN\nKurs (04 Mar 2025) https://norcrin.no/n/1"
    assert nb.parts[-1].text == "1 saker" and en.parts[-1].text == "1 items"
    empty = digest_reply([], "en", OSLO)
    assert [p.text for p in empty.parts if isinstance(p, Section)] == ["No new items."]
    assert digest_markdown([], "nb", OSLO) == "# Nytt fra NorCRIN\n\n_Ingen nye saker._\n"
    assert digest_markdown([], "en", OSLO) == "# News from NorCRIN\n\n_No new items._\n"


def test_overflow_and_card_labels_in_both_languages() -> None:
    many = Reply(text="x", parts=tuple(Section(f"s{i}") for i in range(5)), language="en")
    blocks = render_blocks(many, max_blocks=3)
    assert blocks[-1]["elements"][0]["text"].startswith("… 3 more — <")
    nb = Reply(text="x", parts=many.parts, language="nb")
    assert render_blocks(nb, max_blocks=3)[-1]["elements"][0]["text"].startswith("… 3 til — <")
    assert "… 5 more: " in reply_html(many, budget=40)
    assert "… 5 til: " in reply_html(nb, budget=40)
    card = GroupCard(group_id="AP8", title="AP8", purpose=None, leader="Kari", deputy="Ola",
                     members=("Per",))
    for language, words in (("nb", ("*Leder*", "*Nestleder*", "Medlemmer")),
                            ("en", ("*Leader*", "*Deputy*", "Members"))):
        rendered = [b.to_dict() for b in render_part(card, 0, language)]
        for block in rendered:
            Block.parse(block)
        assert all(word in str(rendered) for word in words), (language, rendered)
