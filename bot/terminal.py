"""Terminal output that never cuts text: tables fitted to the console, plain CLI tables.

Shared by the chat renderer and the CLI's list commands (`outbox`, `schedule list`, `status list`,
`agenda list`, `news list`). Cells are `Text`, never Rich markup, so data such as a planted
`[/x]` is shown as written. Times in JSON output use one style everywhere: ISO 8601 in the
bot's time zone with its offset (`iso_local`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table as RichTable
from rich.text import Text

from bot.redact import mask_destination

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import Bot
    from bot.replies import Reply


class CliError(Exception):
    """A user-facing failure of a sub-command: printed as one line, exit status 1."""


@dataclass(frozen=True)
class CliTools:
    """What a feature's sub-commands get from the composition root (which they cannot import):
    a bot on the given settings, and the terminal renderer for a reply."""

    open_bot: Callable[[Settings], Bot]
    print_reply: Callable[[Reply], None]


def cli_tools(args: argparse.Namespace) -> CliTools:
    """The tools the CLI put on the parsed arguments (`norcrin-bot` sets them as a default)."""
    tools = getattr(args, "cli_tools", None)
    if not isinstance(tools, CliTools):
        raise RuntimeError("sub-command run without the CLI's tools (use integrations.runtime.cli)")
    return tools


def labelled(label: str, value: str) -> Text:
    return Text.assemble((label, "bold"), " ", value)


def iso_local(value: datetime | None, zone: ZoneInfo) -> str | None:
    """An instant as ISO 8601 with the offset of `zone` (the one style of every JSON output)."""
    return value.astimezone(zone).isoformat() if value is not None else None


def shown_destination(destination: str) -> str:
    """A post destination as CLI output shows it: the one place output formats destinations, so
    secret parts (webhook signatures) are masked for every command."""
    return mask_destination(destination)


def local_time(value: datetime | None, zone: ZoneInfo) -> str | None:
    """An instant for a table cell: local wall-clock time, minutes."""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value is not None else None


def print_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    console: Console | None = None,
) -> None:
    """A list command's table on stdout (cells as text; `None` as "-")."""
    cells = [tuple("-" if c is None else str(c) for c in row) for row in rows]
    (console or Console(highlight=False)).print(FittedTable(columns, cells, title))


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
    _LONGEST_UNBROKEN = 16

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
                out.append(labelled(f"{column}:", cell))
        return Text("\n").join(out)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self.widths(options.max_width)
        yield self.table(widths) if widths is not None else self.plain()
