"""The bot itself: one `handle(message) -> replies` for every surface, with the error boundary.

Surfaces (terminal, Slack, …) build a `Message`, call `Bot.handle` and render the replies. The
bot never raises to a surface: an unexpected error is logged with a correlation id and the user
gets a short apology carrying that id, so no question is ever left silently unanswered.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.features import ServicesHook
from bot.jobs import JobFunction
from bot.ports import CalendarSource, Database, Delivery, FeedReader
from bot.replies import Message, Person, Reply, Section
from bot.router import Context, Router, clean_text, language_for

log = logging.getLogger(__name__)


BackgroundStarter = Callable[["Bot", Any], Callable[[], None]]  # (bot, surface) -> stop()
PendingHook = Callable[[Person], list[Reply]]  # what a person's terminal inbox holds


@dataclass(eq=False)  # compared and hashed by identity: features key per-bot state on it
class Services:
    """Everything handlers may use; assembled by the composition root
    (`integrations.runtime.wiring.build_bot`), each part typed by its port."""

    settings: Settings
    db: Database
    search: Any  # storage.search.SearchIndex (the core cannot name a storage type)
    clock: Clock
    delivery: Delivery
    feeds: FeedReader
    calendar: CalendarSource
    jobs: dict[str, JobFunction] = field(default_factory=dict)
    worker_start: list[ServicesHook] = field(default_factory=list)  # run by a starting worker
    background: list[BackgroundStarter] = field(default_factory=list)  # `serve` and `worker`
    console_pending: list[PendingHook] = field(default_factory=list)

    def close(self) -> None:
        """Release connections and threads (Graph's event loop, pooled connections)."""
        self.delivery.close()
        self.calendar.close()
        self.db.dispose()


class Bot:
    def __init__(self, services: Services, router: Router) -> None:
        self.services = services
        self.router = router

    def language(self, text: str) -> str:
        return language_for(text, self.services.settings.language)

    def handle(self, message: Message) -> list[Reply]:
        """Answer one message; never raises."""
        text = clean_text(message.text)
        message = Message(
            text=text,
            sender=message.sender,
            surface=message.surface,
            channel=message.channel,
            thread=message.thread,
            direct=message.direct,
            extra=message.extra,
        )
        context = Context(bot=self, message=message, language=self.language(text))
        try:
            # One unit of work per message: on PostgreSQL, one transaction for its reads and logs.
            with self.services.db.unit():
                replies = self._dispatch(context, message, text)
                for observer in self.router.observers:
                    try:
                        observer(context, replies)
                    except Exception:
                        log.exception("answer observer failed (surface %s)", message.surface)
        except Exception:
            incident = uuid.uuid4().hex[:8]
            log.exception("could not commit a message's work (incident %s)", incident)
            return [self.apology(context, incident)]
        return replies

    def _dispatch(self, context: Context, message: Message, text: str) -> list[Reply]:
        try:
            for interceptor in self.router.interceptors:
                replies = interceptor(context)
                if replies is not None:
                    return replies
            return self.dispatch(context)
        except Exception:
            incident = uuid.uuid4().hex[:8]
            log.exception(
                "handler failed (incident %s, surface %s, event %s)",
                incident,
                message.surface,
                message.extra.get("event_id", "-"),
            )
            return [self.apology(context, incident)]

    def dispatch(self, context: Context) -> list[Reply]:
        """A command or question answered as such, past the interceptors.

        Interceptors call this for a message they decide not to claim after all but still want
        to add to (an open form answers "hvem leder AP8?" and then asks its question again).
        """
        return _as_list(self.router.run(context))

    def _help(self, person: Person, surface: str) -> tuple[Context, Reply]:
        """The `help` command's reply for `person`, in the bot's language (BOT_LANGUAGE): the one
        list of what the bot can do, shared by the home screen and the welcome."""
        context = Context(
            bot=self,
            message=Message(text="help", sender=person, surface=surface),
            language=self.services.settings.language,
        )
        route, _ = self.router.find("help")
        return context, (_as_list(route.handler(context, ""))[0] if route else Reply(text=""))

    def home(self, person: Person) -> Reply:
        """What a person's home screen shows: what the bot can do, then each feature's section."""
        context, base = self._help(person, "home")
        parts = list(base.parts)
        for section in self.router.home_sections:
            try:
                parts.extend(section(context))
            except Exception:
                log.exception("home section failed")
        return Reply(text=base.text, parts=tuple(parts), language=base.language, intent="home")

    def welcome(self, person: Person) -> Reply:
        """What a surface says once when a chat with the bot begins (the app added to a Teams
        chat, a Slack DM opened for the first time): a greeting, then the help.
        Private feature sections (pending forms) stay out: a channel may read it."""
        context, base = self._help(person, "welcome")
        greeting = context.t(
            "Velkommen! Skriv «hjelp» når som helst for å se dette igjen.",
            "Welcome! Type “help” any time to see this again.",
        )
        return Reply(text=f"{greeting}\n\n{base.text}", parts=(Section(greeting), *base.parts),
                     language=context.language, intent="welcome")

    @staticmethod
    def apology(context: Context, incident: str) -> Reply:
        text = context.t(
            f"Beklager, noe gikk galt hos meg. Prøv igjen om litt (feil-id {incident}).",
            f"Sorry, something went wrong on my side. Please try again shortly "
            f"(incident {incident}).",
        )
        return Reply(text=text, language=context.language, intent="error")



def _as_list(value: Reply | list[Reply]) -> list[Reply]:
    return value if isinstance(value, list) else [value]
