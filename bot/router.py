"""From a message to a handler: command words, conversation interceptors, and the free-text default.

Feature modules register on a `Router`; nothing here knows Slack or SQL. A handler gets a
`Context` (who asked, in which language, and the services it may use) plus the rest of the text,
and returns its replies: it never sends anything itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.i18n import t
from bot.markup import esc
from bot.replies import Message, Person, Reply
from bot.text import detect_language

if TYPE_CHECKING:
    from bot.core import Bot, Services

Handler = Callable[["Context", str], Reply | list[Reply]]
Interceptor = Callable[["Context"], list[Reply] | None]
HomeSection = Callable[["Context"], list[Any]]
Observer = Callable[["Context", list[Reply]], None]
# A feature's reading of a free-text question as one of its commands ("når er neste møte?" ->
# "agenda 12"): the command text, or None when the question is not of its kind.
QuestionReader = Callable[["Context"], str | None]

MAX_MESSAGE_CHARS = 4000
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_BLANK_LINES = re.compile(r"\n{3,}")
_SLACK_LINK = re.compile(r"<(https?://[^|>]+)(?:\|([^>]*))?>")


@dataclass
class Context:
    """What a handler may use: the bot's services, the message and the language to answer in."""

    bot: Bot
    message: Message
    language: str

    @property
    def services(self) -> Services:
        return self.bot.services

    def t(self, nb: str, en: str) -> str:
        """Pick the text in the language of the conversation."""
        return t(self.language, nb, en)

    @property
    def slash_command(self) -> bool:
        """The message came as a slash command (`/norcrin …`: Slack gives it a trigger id)."""
        return "trigger_id" in self.message.extra


@dataclass(frozen=True)
class Route:
    """One chat command: its words, what it does in nb/en, and who may use it.

    `help` is generated from these fields, and `admin_only` is enforced by `Router.run`, so a
    handler never checks rights the route already declares. A name may be two words
    (`news add`): the longest matching name wins, so a sub-command can have its own rights.
    """

    names: tuple[str, ...]
    handler: Handler
    help_nb: str
    help_en: str
    usage: str = ""
    admin_only: bool = False
    usage_en: str = ""  # when the arguments are named differently in English ("KODE"/"CODE")

    def allows(self, person: Person) -> bool:
        return may(person, admin_only=self.admin_only)

    def word(self, language: str) -> str:
        """The route's word in `language`. Routes name the English word first and the Norwegian
        one second where it differs (`help`, `hjelp`, `?`); aliases such as `?` come after."""
        if language != "en" and len(self.names) > 1 and self.names[1][:1].isalpha():
            return self.names[1]
        return self.names[0]

    def synopsis(self, language: str) -> str:
        """`wp CODE` / `ap KODE`: the route's word and its arguments, in `language`."""
        usage = self.usage_en if language == "en" and self.usage_en else self.usage
        return f"{self.word(language)} {usage}".strip()

    def help(self, language: str) -> str:
        return t(language, self.help_nb, self.help_en)


@dataclass
class Router:
    """Command words (first word of a message) and interceptors tried before them."""

    routes: list[Route] = field(default_factory=list)
    interceptors: list[Interceptor] = field(default_factory=list)
    fallback: Handler | None = None
    home_sections: list[HomeSection] = field(default_factory=list)
    observers: list[Observer] = field(default_factory=list)
    questions: list[QuestionReader] = field(default_factory=list)

    def command(
        self,
        *names: str,
        help_nb: str,
        help_en: str,
        usage: str = "",
        usage_en: str = "",
        admin_only: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            words = tuple(" ".join(n.lower().split()) for n in names)
            self.routes.append(
                Route(words, handler, help_nb, help_en, usage, admin_only, usage_en)
            )
            return handler

        return register

    def intercept(self, interceptor: Interceptor) -> Interceptor:
        """Register a hook that may claim a message first (e.g. an open form)."""
        self.interceptors.append(interceptor)
        return interceptor

    def question(self, reader: QuestionReader) -> QuestionReader:
        """Register a reader that may answer a free-text question with one of the feature's
        commands. It runs after the command words and before the free-text default, and the
        command it names is run as if typed: with that command's rights."""
        self.questions.append(reader)
        return reader

    def home(self, section: HomeSection) -> HomeSection:
        """Register parts for a person's home screen (e.g. their pending forms)."""
        self.home_sections.append(section)
        return section

    def observe(self, observer: Observer) -> Observer:
        """Register a hook that sees every answer after it is made (e.g. to remember what was
        shown, for a follow-up question); it cannot change the answer."""
        self.observers.append(observer)
        return observer

    def include(self, other: Router) -> None:
        self.routes.extend(other.routes)
        self.observers.extend(other.observers)
        self.interceptors.extend(other.interceptors)
        self.home_sections.extend(other.home_sections)
        self.questions.extend(other.questions)
        if other.fallback is not None:
            self.fallback = other.fallback

    def find(self, text: str) -> tuple[Route | None, str]:
        """The route whose name starts `text` (the longest such name), and the rest of it."""
        words = text.split()
        if not words:
            return None, ""
        head = [words[0].lower().lstrip("/!"), *(w.lower() for w in words[1:3])]
        best: tuple[int, Route] | None = None
        for route in self.routes:
            for name in route.names:
                size = name.count(" ") + 1
                if head[:size] == name.split() and (best is None or size > best[0]):
                    best = (size, route)
        if best is None:
            return None, text.strip()
        parts = text.split(None, best[0])
        return best[1], (parts[best[0]] if len(parts) > best[0] else "").strip()

    def run(self, context: Context) -> Reply | list[Reply]:
        """Answer a message past the interceptors: its command (if the sender may use it), a
        feature's command for a question of its kind, or the free-text default. A refused command
        never reaches its handler."""
        route, rest = self.find(context.message.text)
        if route is None:
            route, rest = self._read_question(context)
        if route is not None:
            if not route.allows(context.message.sender):
                return refusal(context)
            return route.handler(context, rest)
        if self.fallback is None:
            raise RuntimeError("no fallback handler registered")
        return self.fallback(context, context.message.text)

    def _read_question(self, context: Context) -> tuple[Route | None, str]:
        """The first command a question reader names for this message (none: free text)."""
        for reader in self.questions:
            command = reader(context)
            if command is not None:
                route, rest = self.find(command)
                if route is not None:
                    return route, rest
        return None, ""

    def commands_for(self, person: Person) -> list[Route]:
        """The commands `person` may use, in registration order (what `help` lists)."""
        return [route for route in self.routes if route.allows(person)]

    def help_text(self, person: Person, language: str) -> str:
        """Every command `person` may use, one markup line each, admin commands last under their
        own heading: generated from the routes, so a new command is listed the day it exists."""
        mine = self.commands_for(person)
        blocks = []
        for admin, nb, en in ((False, "Kommandoer", "Commands"),
                              (True, "Bare for sekretariatet", "Secretariat only")):
            lines = [f"• `{esc(r.synopsis(language))}` — {esc(r.help(language))}"
                     for r in mine if r.admin_only == admin]
            if lines:
                blocks.append(f"*{t(language, nb, en)}:*\n" + "\n".join(lines))
        return "\n\n".join(blocks)


def may(person: Person, *, admin_only: bool = True) -> bool:
    """The one rights rule, for routes and for buttons, forms and modals alike: an admin-only
    action is for the secretariat (administrators)."""
    return person.is_admin or not admin_only


def refused(language: str) -> Reply:
    """What someone gets for an action only admins may take (a command, a button, a form)."""
    text = t(
        language,
        "Dette kan bare sekretariatet (administratorer) gjøre.",
        "Only the secretariat (administrators) can do this.",
    )
    return Reply(text=text, language=language, intent="refused")


def refusal(context: Context) -> Reply:
    """A command that only admins may use, asked by someone else."""
    return refused(context.language)


def clean_text(raw: str) -> str:
    """Normalise chat markup: drop bot mentions, unwrap Slack links, cap the length."""
    text = _MENTION.sub(" ", raw or "")
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    lines = [" ".join(line.split()) for line in text.splitlines()]  # a multi-line answer stays so
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text[:MAX_MESSAGE_CHARS]


def language_for(text: str, default: str) -> str:
    return detect_language(text, default)
