"""The terminal shows everything (issue 8, item 5): at 60, 80 and 120 columns nothing is cut
inside panels or tables — text wraps, and a table too wide for the terminal becomes plain lines.
Golden files pin the layout; a property check runs real answers from the embedded directory."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from rich.console import Console

from bot.core import Bot
from bot.replies import (
    Actions,
    Button,
    Choice,
    ContactCard,
    DocumentCard,
    GroupCard,
    Heading,
    Message,
    Note,
    Person,
    Reply,
    Section,
    Table,
)
from integrations.console.render import render_reply

GOLDEN = Path(__file__).parent / "golden"
WIDTHS = (60, 80, 120)
_BOX = re.compile(r"[│─╭╮╰╯┏┓┗┛┃━┡┩╇┳┻┬┴├┤┼└┘┌┐╋]")

SAMPLE = Reply(
    text="sample",
    parts=(
        Heading("AP8 Datahåndtering i akademiske kliniske studier"),
        Section(
            "*AP8* skal øke kvaliteten på datahåndtering i akademiske kliniske studier ved å "
            "bygge opp lokale ressurser, se <https://www.norcrin.no/ap8|nettsiden>."
        ),
        GroupCard(
            "AP8",
            "AP8 Datahåndtering i akademiske kliniske studier ved universitetssykehusene",
            "Felles prosedyrer for datahåndtering fra trial participant til arkiv.",
            "Cecilie Moe (OUS)",
            "Anne Caroline Wiik (St. Olavs hospital)",
            (
                "Inger Tvenning (OUS)",
                "Johannes Walsø (UNN)",
                "Marianne Saugestad (Helse Bergen, Haukeland universitetssjukehus)",
                "Marie Ausdal (SUS)",
            ),
        ),
        ContactCard(
            "kari",
            "Kari Nordmann",
            ("leder, AP8", "medlem, AU"),
            "St. Olavs hospital",
            (),
            "kari.nordmann@stolav.no",
            "+47 72 00 00 00",
        ),
        DocumentCard(
            "SOP 1.4.c",
            "Samtykke fra deltakere i kliniske studier som ikke kan samtykke selv",
            "SOP",
            "Legemiddelstudier",
            "https://www.norcrin.no/documents/2023/sop-1-4-c-samtykke-ved-manglende-evne",
            "Hvordan samtykke innhentes fra nærmeste pårørende eller verge.",
        ),
        Table(
            ("Gruppe", "Leder", "Sendt inn av", "Tidspunkt", "Avvik"),
            (
                (
                    "AP8",
                    "Cecilie Moe",
                    "Cecilie Moe",
                    "12.03.2026 10:00",
                    "Forsinket SOP-revisjon fordi arbeidsgruppen mangler representanter",
                ),
                ("AP10", "Tanja Igland", "—", "—", "—"),
            ),
            title="«Vårmøtet 2026» – åpen, frist 31.03.2026 23:59 – 1 av 2 sendt inn",
        ),
        Choice("*3/7* Er det avvik fra fremdriftsplanen?", "a", (("Ja", "y"), ("Nei", "n"))),
        Actions((Button("Send inn", action="s"), Button("Åpne skjema", url="https://x.no/f"))),
        Note("Kommandoer: tilbake · hopp over · vis · endre N · avbryt · send inn"),
    ),
)


def render(reply: Reply, width: int) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, highlight=False)
    console.print(render_reply(reply))
    return buffer.getvalue()


def words_of(reply: Reply) -> list[str]:
    """Every word the reply's parts hold (formatting markers and link targets removed)."""
    texts: list[str] = []
    for part in reply.parts:
        for value in vars(part).values():
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if isinstance(item, tuple):
                    texts += [str(x) for x in item]
                elif isinstance(item, str):
                    texts.append(item)
                elif isinstance(item, Button):
                    texts.append(item.label)
    text = re.sub(r"<https?://[^|>]+\|([^>]+)>", r"\1", " ".join(texts))
    return [w.strip("*_") for w in text.split() if 1 < len(w.strip("*_")) <= 16]


def shown_words(output: str) -> str:
    return " ".join(_BOX.sub(" ", output).split())


@pytest.mark.parametrize("width", WIDTHS)
def test_golden_layout_at_each_width(width: int) -> None:
    output = render(SAMPLE, width)
    assert all(len(line) <= width for line in output.splitlines())
    golden = GOLDEN / f"console_{width}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":  # after a deliberate layout change, then review
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_is_cut_in_the_sample(width: int) -> None:
    shown = shown_words(render(SAMPLE, width))
    for word in words_of(SAMPLE):
        assert word in shown, (width, word)
    assert "…" not in shown  # nothing was ellipsised


def test_a_table_too_wide_falls_back_to_plain_lines() -> None:
    wide = Reply(
        text="t",
        parts=(Table(tuple(f"Kolonne{i}" for i in range(8)), (tuple("verdi" for _ in range(8)),)),),
    )
    output = render(wide, 60)
    assert "┃" not in output and "Kolonne7: verdi" in output


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "question", ["wp 8", "hvem er med i AP8?", "contact St. Olavs", "sop samtykke", "help"]
)
def test_real_answers_are_shown_whole(bot: Bot, width: int, question: str) -> None:
    person = Person(platform="console", user_id="operator", name="operator", is_admin=True)
    for reply in bot.handle(Message(text=question, sender=person)):
        output = render(reply, width)
        assert all(len(line) <= width for line in output.splitlines())
        shown = shown_words(output)
        for word in words_of(reply):
            assert word in shown, (question, width, word)
