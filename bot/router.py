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
from bot.replies import Message, Reply
from bot.text import detect_language

if TYPE_CHECKING:
    from bot.core import Bot, Services

Handler = Callable[["Context", str], Reply | list[Reply]]
Interceptor = Callable[["Context"], list[Reply] | None]
HomeSection = Callable[["Context"], list[Any]]
Observer = Callable[["Context", list[Reply]], None]

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


@dataclass(frozen=True)
class Route:
    names: tuple[str, ...]
    handler: Handler
    help_nb: str
    help_en: str
    usage: str = ""
    admin_only: bool = False


@dataclass
class Router:
    """Command words (first word of a message) and interceptors tried before them."""

    routes: list[Route] = field(default_factory=list)
    interceptors: list[Interceptor] = field(default_factory=list)
    fallback: Handler | None = None
    home_sections: list[HomeSection] = field(default_factory=list)
    observers: list[Observer] = field(default_factory=list)

    def command(
        self, *names: str, help_nb: str, help_en: str, usage: str = "", admin_only: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(tuple(n.lower() for n in names), handler, help_nb, help_en, usage, admin_only)
            )
            return handler

        return register

    def intercept(self, interceptor: Interceptor) -> Interceptor:
        """Register a hook that may claim a message first (e.g. an open form)."""
        self.interceptors.append(interceptor)
        return interceptor

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
        if other.fallback is not None:
            self.fallback = other.fallback

    def find(self, text: str) -> tuple[Route | None, str]:
        head, rest = ([*text.split(None, 1), "", ""])[:2]
        word = head.lower().lstrip("/!")
        for route in self.routes:
            if word in route.names:
                return route, rest.strip()
        return None, text.strip()


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
