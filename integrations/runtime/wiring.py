"""The composition root: the only place that wires storage, features and surfaces together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import integrations.transports  # noqa: F401  registers every destination kind
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.core import Bot, Services
from bot.features import all_jobs, check_features
from bot.redact import install_log_masking
from bot.replies import Person, Reply
from bot.router import Router
from commands import FEATURES
from integrations.delivery import DeliveryPolicy, OutboxDelivery
from integrations.feeds import read_feed
from integrations.graph.teams import GraphCalendar, GraphLink, bind_graph_link
from integrations.transports.checks import check_settings
from storage.db import Database
from storage.outbox import console_inbox
from storage.search import SearchIndex


def start_background(bot: Bot, surface: Any | None = None) -> Callable[[], None]:
    """`Services.background`: the worker (`serve` and `worker` call it; returns stop())."""
    # lazy: the worker and its schedule tables load only for the processes that run one
    from integrations.runtime.worker import start_background as start

    return start(bot, surface)


def console_pending(services: Services) -> Callable[[Person], list[Reply]]:
    """The terminal inbox hook: a person's console posts, for `chat` to show."""

    def pending(person: Person) -> list[Reply]:
        with services.db.session() as session:
            return console_inbox(session, person.person_id or person.user_id)

    return pending


# Surfaces that register per-feature listeners (a feature's `listeners` must name one of these;
# Slack checks its own registrars against the features when its app is built).
SURFACES: frozenset[str] = frozenset({"slack", "teams"})


def build_router() -> Router:
    """Every feature's router, in `FEATURES` order (interceptors of earlier ones run first)."""
    router = Router()
    for feature in FEATURES:
        if feature.router is not None:
            router.include(feature.router)
    return router


def build_bot(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    prepare: bool = True,
    policy: DeliveryPolicy | None = None,
) -> Bot:
    """A ready bot on `settings.database_url` (migrated and loaded unless `prepare=False`)."""
    check_features(FEATURES, SURFACES)
    check_settings(settings)  # a SECRETARIAT_CHANNEL no transport takes: ConfigError, exit 2
    install_log_masking()  # webhook URLs never reach a log line
    database = db if db is not None else Database(settings.database_url)
    if prepare:
        database.prepare()
    graph = GraphLink(settings)
    services = Services(
        settings=settings,
        db=database,
        search=SearchIndex(),
        clock=clock or SystemClock(),
        delivery=OutboxDelivery(policy),
        feeds=read_feed,
        calendar=GraphCalendar(graph),
        jobs=all_jobs(FEATURES),
        worker_start=[hook for feature in FEATURES for hook in feature.worker_start],
    )
    bind_graph_link(services, graph)  # Teams posts and mail share the calendar's Graph gateway
    services.background.append(start_background)  # `serve` and `worker` start the worker
    services.console_pending.append(console_pending(services))  # the terminal inbox
    return Bot(services, build_router())
