"""`norcrin-bot chat`: a REPL on a terminal, a line-by-line script reader otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from rich.console import Console

from bot.core import Bot
from bot.replies import Message, Person, Reply
from integrations.console.render import render_reply

EXIT_WORDS = frozenset({"exit", "quit", "avslutt", ":q"})

# Hooks features use to show what the bot has queued for this person (prompts, reminders).
PendingMessages = Callable[[Person], list[Reply]]


def run_chat(
    bot: Bot,
    person: Person,
    *,
    stdin: TextIO | None = None,
    console: Console | None = None,
    pending: Iterable[PendingMessages] = (),
) -> int:
    """Talk to the bot as `person` until EOF or 'exit'."""
    stdin = stdin or sys.stdin
    console = console or Console(highlight=False, soft_wrap=True)
    interactive = stdin.isatty() and console.is_terminal
    if interactive:
        who = person.name or "operator"
        console.print(f"[bold]norcrin-bot[/bold] — chatting as {who}. Type 'help', or 'exit'.")

    def show_pending() -> None:
        for hook in pending:
            for reply in hook(person):
                console.print(render_reply(reply))

    show_pending()
    while True:
        if interactive:
            try:
                line = console.input("[bold cyan]> [/bold cyan]")
            except (EOFError, KeyboardInterrupt):
                console.print()
                return 0
        else:
            line = stdin.readline()
            if not line:
                return 0
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.strip().lower() in EXIT_WORDS:
            return 0
        message = Message(text=line, sender=person, surface="console", channel="console")
        for reply in bot.handle(message):
            console.print(render_reply(reply))
        if not interactive:
            console.print()
        show_pending()
