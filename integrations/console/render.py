"""Replies as Rich renderables: cards become panels, tables stay tables — nothing is cut.

Data never goes through Rich markup: text is built as `Text` objects with styles applied to
spans, so a planted `[/x]` or `<https://a[/x]|b>` in a title stays text instead of ending the
terminal with a `MarkupError`. Everything wraps at the console's width; a table too wide to fit
even with its words folded falls back to one plain line per cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.console import Group as RenderGroup
from rich.panel import Panel
from rich.style import Style
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

# our light chat formatting: <url|label>, *bold*, _italic_
_FORMAT = re.compile(
    r"<(?P<url>https?://[^|>\s]+)\|(?P<label>[^>]+)>"
    r"|\*(?P<bold>[^*\n]+)\*"
    r"|(?<!\w)_(?P<italic>[^_\n]+)_(?!\w)"
)
_SAFE_URL = re.compile(r"^https?://[^\s\[\]]+$")


def link_style(url: str | None) -> Style | None:
    """A clickable link for an http(s) URL; anything else is shown, not linked."""
    return Style(link=url) if url and _SAFE_URL.match(url) else None


def rich_text(text: str, style: str | Style = "") -> Text:
    """Our light formatting (*bold*, _italic_, <url|label>) as a `Text`; data is never markup."""
    out = Text(style=style)
    position = 0
    for match in _FORMAT.finditer(text):
        out.append(text[position : match.start()])
        if match.group("url"):
            out.append(match.group("label"), style=link_style(match.group("url")))
        elif match.group("bold"):
            out.append(match.group("bold"), style="bold")
        else:
            out.append(match.group("italic"), style="italic")
        position = match.end()
    out.append(text[position:])
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


def _labelled(label: str, value: str) -> Text:
    return Text.assemble((label, "bold"), " ", value)


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
                _labelled("Leder/Leader:", part.leader) if part.leader else None,
                _labelled("Nestleder/Deputy:", part.deputy) if part.deputy else None,
                _labelled("Medlemmer/Members:", ", ".join(part.members)) if part.members else None,
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


class FittedTable:
    """A table that wraps its cells (folding long words) at the console's width, or — when even
    that cannot fit — shows each row as plain `column: value` lines, so no text is ever cut."""

    def __init__(
        self,
        columns: Iterable[str],
        rows: Iterable[Iterable[str]],
        title: str | None = None,
    ) -> None:
        self.columns = tuple(columns)
        self.rows = tuple(tuple(str(c) for c in row) for row in rows)
        self.title = title

    # a word longer than this may fold inside its cell (URLs); shorter words never break
    _LONGEST_UNBROKEN = 24

    def _column_cells(self, index: int) -> list[str]:
        return [row[index] for row in (self.columns, *self.rows) if index < len(row)]

    def widths(self, width: int) -> list[int] | None:
        """Column widths for `width` terminal columns: each at least its longest word, the rest
        shared by need; None when even the longest words do not fit."""
        count = len(self.columns)
        available = width - (3 * count + 1)  # borders and padding
        least, wanted = [], []
        for index in range(count):
            cells = self._column_cells(index)
            words = [len(w) for cell in cells for w in cell.split()] or [1]
            least.append(min(max(words), self._LONGEST_UNBROKEN))
            wanted.append(max(len(line) for cell in cells for line in cell.splitlines() or [""]))
        if sum(least) > available:
            return None
        widths = list(least)
        spare = available - sum(widths)
        while spare > 0:
            short = [i for i in range(count) if widths[i] < wanted[i]]
            if not short:
                break
            share = max(1, spare // len(short))
            for i in short:
                grant = min(share, wanted[i] - widths[i], spare)
                widths[i] += grant
                spare -= grant
        return widths

    def table(self, widths: list[int]) -> RichTable:
        table = RichTable(title=Text(self.title) if self.title else None, title_justify="left")
        for column, size in zip(self.columns, widths, strict=True):
            table.add_column(Text(column), overflow="fold", width=size)
        for row in self.rows:
            table.add_row(*(Text(cell) for cell in row))
        return table

    def plain(self) -> Text:
        out: list[Text] = []
        if self.title:
            out.append(Text(self.title, style="bold"))
        for row in self.rows:
            out.append(Text("—"))
            for column, cell in zip(self.columns, row, strict=False):
                out.append(_labelled(f"{column}:", cell))
        return Text("\n").join(out)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self.widths(options.max_width)
        yield self.table(widths) if widths is not None else self.plain()
