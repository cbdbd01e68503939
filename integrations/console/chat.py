"""`norcrin-bot chat`: a REPL on a terminal, a line-by-line script reader otherwise.

A reply that asks for a long text (`Reply.multiline`) makes the next answer span lines: they are
read until a line with only `.` or an empty line, and sent as one message — unless the first line
is a form command, a plain question or a bot command, which goes alone as usual.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from bot.core import Bot
from bot.form_engine import aside_of, command_of, forced_answer
from bot.replies import Message, Person, Reply
from integrations.console.render import render_reply

EXIT_WORDS = frozenset({"exit", "quit", "avslutt", ":q"})
END_OF_TEXT = "."
MULTILINE_HINT = {
    "nb": "Flere linjer går fint: avslutt svaret med en linje med bare «.» eller en tom linje.",
    "en": "Several lines are fine: end the answer with a line with only “.” or an empty line.",
}

# Hooks features use to show what the bot has queued for this person (prompts, reminders).
PendingMessages = Callable[[Person], list[Reply]]


def _goes_alone(line: str) -> bool:
    """A first line that is a command or a question is sent at once, not as a long text."""
    text = line.strip()
    if forced_answer(text) is not None:
        return False
    words = text.lower().split()
    return (
        text.lower() in EXIT_WORDS
        or command_of(text)[0] is not None
        or aside_of(text) is not None
        or (bool(words) and words[0] == "status" and len(words) <= 2)  # not "Status er at …"
    )


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
    console = console or Console(highlight=False)
    interactive = stdin.isatty() and console.is_terminal
    if interactive:
        who = escape(person.name or "operator")
        console.print(f"[bold]norcrin-bot[/bold] — chatting as {who}. Type 'help', or 'exit'.")

    def read(prompt: str) -> str | None:
        if interactive:
            try:
                return console.input(prompt)
            except (EOFError, KeyboardInterrupt):
                console.print()
                return None
        line = stdin.readline()
        return line.rstrip("\n") if line else None

    def show(replies: Iterable[Reply]) -> str | None:
        """Print replies; the language of a long-text question asked last, if any."""
        asks: str | None = None
        for reply in replies:
            console.print(render_reply(reply))
            asks = reply.language if reply.multiline else None
        if asks is not None:
            console.print(Text(MULTILINE_HINT["en" if asks == "en" else "nb"], style="dim"))
        return asks

    long_text = show(r for hook in pending for r in hook(person))
    while True:
        line = read("[bold cyan]> [/bold cyan]")
        if line is None:
            return 0
        if not line.strip():
            continue
        if line.strip().lower() in EXIT_WORDS:
            return 0
        if long_text is not None and not _goes_alone(line):
            lines = [line]
            while True:
                more = read("[cyan]… [/cyan]")
                if more is None or not more.strip() or more.strip() == END_OF_TEXT:
                    break
                lines.append(more)
            line = "\n".join(lines)
        message = Message(text=line, sender=person, surface="console", channel="console")
        long_text = show(bot.handle(message))
        if not interactive:
            console.print()
        queued = show(r for hook in pending for r in hook(person))
        long_text = queued or long_text
