"""Replies as Rich renderables: cards become panels, tables stay tables — nothing is cut.

Data never goes through Rich markup: text is built as `Text` objects with styles applied to
spans, so a planted `[/x]` or `<https://a[/x]|b>` in a title stays text instead of ending the
terminal with a `MarkupError`. Everything wraps at the console's width; a table too wide to fit
even with its words folded falls back to one plain line per cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.console import Group as RenderGroup
from rich.console import RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.text import Text

from bot.i18n import t, word
from bot.markup import Link as MarkupLink
from bot.markup import tokens as markup_tokens
from bot.replies import (
    Actions,
    Choice,
    ContactCard,
    DocumentCard,
    GroupCard,
    Heading,
    Note,
    Part,
    Reply,
    Section,
    Table,
)
from bot.terminal import FittedTable, labelled

if TYPE_CHECKING:
    from bot.interactions import Field, FormModal, InputHint

# our light chat formatting inside text runs: *bold*, _italic_ (links come from bot.markup.tokens)
_FORMAT = re.compile(r"\*(?P<bold>[^*\n]+)\*|(?<!\w)_(?P<italic>[^_\n]+)_(?!\w)")
_SAFE_URL = re.compile(r"^(https?://|mailto:)[^\s\[\]]+$")


def link_style(url: str | None) -> Style | None:
    """A clickable link for an http(s) URL; anything else is shown, not linked."""
    return Style(link=url) if url and _SAFE_URL.match(url) else None


def rich_text(text: str, style: str | Style = "") -> Text:
    """Our light markup (entities, *bold*, _italic_, <url|label>) as a `Text`; data is never Rich
    markup, and entities are decoded so `&lt;` shows as `<`."""
    out = Text(style=style)
    for token in markup_tokens(text):
        if isinstance(token, MarkupLink):
            out.append(token.label, style=link_style(token.url))
            continue
        run = token.text
        position = 0
        for match in _FORMAT.finditer(run):
            out.append(run[position : match.start()])
            if match.group("bold"):
                out.append(match.group("bold"), style="bold")
            else:
                out.append(match.group("italic"), style="italic")
            position = match.end()
        out.append(run[position:])
    return out


def markup(text: str) -> Text:
    """Kept for callers of the old name: the formatted `Text` of `text`."""
    return rich_text(text)


def render_reply(reply: Reply) -> RenderableType:
    if not reply.parts:
        return rich_text(reply.text)
    return RenderGroup(*_render_parts(reply.parts))


def _render_parts(parts: tuple[Part, ...]) -> Iterator[RenderableType]:
    for part in parts:
        rendered = render_part(part)
        if rendered is not None:
            yield rendered


def _lines(*pieces: Text | None) -> Text:
    return Text("\n").join(p for p in pieces if p is not None and p.plain)


def _panel(body: Text, title: str) -> Panel:
    """A card: the title inside the box (a border title would be cut on a narrow terminal)."""
    return Panel(_lines(Text(title, style="bold"), body), expand=False)


def render_part(part: Part) -> RenderableType | None:
    if isinstance(part, Section):
        return rich_text(part.text) if part.text else None
    if isinstance(part, Heading):
        return Text(part.text, style="bold underline")
    if isinstance(part, Note):
        return Text(part.text, style="dim") if part.text else None
    if isinstance(part, ContactCard):
        return _panel(
            _lines(
                Text(", ".join(part.roles)) if part.roles else None,
                Text(part.organisation) if part.organisation else None,
                Text(f"✉ {part.email}") if part.email else None,
                Text(f"☎ {part.phone}") if part.phone else None,
            ),
            part.name,
        )
    if isinstance(part, DocumentCard):
        meta = " · ".join(filter(None, [part.kind, part.area]))
        return _panel(
            _lines(
                Text(part.title, style="bold"),
                Text(part.subtitle, style="dim") if part.subtitle else None,
                Text(meta),
                Text(part.summary) if part.summary else None,
                Text(part.url, style=link_style(part.url) or "") if part.url else None,
            ),
            part.code,
        )
    if isinstance(part, GroupCard):
        return _panel(
            _lines(
                Text(part.purpose) if part.purpose else None,
                labelled("Leder/Leader:", part.leader) if part.leader else None,
                labelled("Nestleder/Deputy:", part.deputy) if part.deputy else None,
                labelled("Medlemmer/Members:", ", ".join(part.members)) if part.members else None,
            ),
            part.title,
        )
    if isinstance(part, Table):
        return FittedTable(part.columns, part.rows, part.title)
    if isinstance(part, Actions):
        labels = Text("  ").join(
            Text(b.label, style=link_style(b.url) or "underline")
            if b.url
            else Text.assemble("[", b.label, "]")
            for b in part.buttons
        )
        return labels
    if isinstance(part, Choice):
        return _lines(
            rich_text(part.prompt),
            *(Text(f"  {i}. {label}") for i, (label, _value) in enumerate(part.options, 1)),
        )
    return None


def _what(hint: InputHint, language: str) -> str:
    """What a field takes, said in words (a terminal has no widgets)."""
    # lazy: forms only (`bot.interactions`); rendering a reply, every `ask`, needs none of it
    from bot.interactions import DateEntry, FreeText, Lookup, NumberEntry, Pick, YesNo

    if isinstance(hint, Pick):
        return t(language, "flere valg", "several choices") if hint.multiple else t(
            language, "ett valg", "one choice"
        )
    if isinstance(hint, YesNo):
        return f"{hint.yes}/{hint.no}"
    if isinstance(hint, NumberEntry):
        return t(language, "tall", "number")
    if isinstance(hint, DateEntry):
        return t(language, "dato", "date")
    if isinstance(hint, Lookup):
        return t(language, "søk", "search")
    assert isinstance(hint, FreeText)
    return t(language, "tekst, flere linjer", "text, several lines") if hint.multiline else t(
        language, "tekst", "text"
    )


def _field(number: int, field: Field, language: str) -> Text:
    from bot.interactions import Pick, YesNo  # lazy: as in `_what`

    optional = f", {word('optional', language)}" if field.optional else ""
    head = Text.assemble((f"{number}. ", "bold"), (field.label, "bold"))
    head.append(f" ({_what(field.input, language)}{optional})", style="dim")
    lines: list[Text | None] = [head]
    if isinstance(field.input, Pick | YesNo):
        chosen = field.initial if isinstance(field.initial, list) else [field.initial]
        for i, (label, value) in enumerate(field.input.options, 1):
            mark = "x" if value in chosen else " "
            lines.append(Text(f"   [{mark}] {i}. {label}"))
    elif field.initial:
        lines.append(Text.assemble("   ", (str(field.initial), "italic")))
    if field.hint:
        lines.append(Text(f"   {field.hint}", style="dim"))
    if field.error:
        lines.append(Text(f"   ⚠ {field.error}", style="red"))
    return _lines(*lines)


def render_modal(modal: FormModal) -> RenderableType:
    """A whole form as a panel: each field with what it takes, its current value, hint and
    problem (the terminal fills forms one question at a time; this is the overview)."""
    body = _lines(
        rich_text(modal.intro) if modal.intro else None,
        *(_field(i, f, modal.language) for i, f in enumerate(modal.fields, 1)),
        *(Text(note, style="dim") for note in modal.notes),
    )
    return _panel(body, modal.title)
