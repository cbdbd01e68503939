"""Replies as Rich renderables: cards become panels, tables stay tables."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rich.console import Group as RenderGroup
from rich.console import RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

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

_BOLD = re.compile(r"\*([^*\n]+)\*")
_ITALIC = re.compile(r"(?<!\w)_([^_\n]+)_(?!\w)")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


def markup(text: str) -> str:
    """Our light chat formatting (*bold*, _italic_, <url|label>) as Rich markup, safely escaped."""
    out = escape(text)
    out = _LINK.sub(lambda m: f"[link={m.group(1)}]{m.group(2)}[/link]", out)
    out = _BOLD.sub(r"[bold]\1[/bold]", out)
    return _ITALIC.sub(r"[italic]\1[/italic]", out)


def render_reply(reply: Reply) -> RenderableType:
    if not reply.parts:
        return Text.from_markup(markup(reply.text))
    return RenderGroup(*_render_parts(reply.parts))


def _render_parts(parts: tuple[Part, ...]) -> Iterator[RenderableType]:
    for part in parts:
        rendered = render_part(part)
        if rendered is not None:
            yield rendered


def render_part(part: Part) -> RenderableType | None:
    if isinstance(part, Section):
        return Text.from_markup(markup(part.text)) if part.text else None
    if isinstance(part, Heading):
        return Text(part.text, style="bold underline")
    if isinstance(part, Note):
        return Text(part.text, style="dim") if part.text else None
    if isinstance(part, ContactCard):
        lines = [", ".join(part.roles)] if part.roles else []
        if part.organisation:
            lines.append(part.organisation)
        if part.email:
            lines.append(f"✉ {part.email}")
        if part.phone:
            lines.append(f"☎ {part.phone}")
        return Panel(
            "\n".join(escape(line) for line in lines) or "-",
            title=escape(part.name),
            title_align="left",
            expand=False,
        )
    if isinstance(part, DocumentCard):
        lines = [f"[bold]{escape(part.title)}[/bold]"]
        if part.subtitle:
            lines.append(f"[dim]{escape(part.subtitle)}[/dim]")
        meta = " · ".join(filter(None, [part.kind, part.area]))
        lines.append(escape(meta))
        if part.summary:
            lines.append(escape(part.summary))
        if part.url:
            lines.append(f"[link={part.url}]{escape(part.url)}[/link]")
        return Panel("\n".join(lines), title=escape(part.code), title_align="left", expand=False)
    if isinstance(part, GroupCard):
        lines = [escape(part.purpose)] if part.purpose else []
        if part.leader:
            lines.append(f"[bold]Leder/Leader:[/bold] {escape(part.leader)}")
        if part.deputy:
            lines.append(f"[bold]Nestleder/Deputy:[/bold] {escape(part.deputy)}")
        if part.members:
            lines.append("[bold]Medlemmer/Members:[/bold] " + escape(", ".join(part.members)))
        return Panel(
            "\n".join(lines) or "-", title=escape(part.title), title_align="left", expand=False
        )
    if isinstance(part, Table):
        table = RichTable(title=escape(part.title) if part.title else None)
        for column in part.columns:
            table.add_column(escape(column))
        for row in part.rows:
            table.add_row(*(escape(cell) for cell in row))
        return table
    if isinstance(part, Actions):
        labels = [
            f"[link={b.url}]{escape(b.label)}[/link]" if b.url else f"[{escape(b.label)}]"
            for b in part.buttons
        ]
        return Text.from_markup("  ".join(labels))
    if isinstance(part, Choice):
        lines = [markup(part.prompt)] + [
            f"  {i}. {escape(label)}" for i, (label, _value) in enumerate(part.options, 1)
        ]
        return Text.from_markup("\n".join(lines))
    return None
