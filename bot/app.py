"""The composition root: the only place that wires storage, features and surfaces together."""

from __future__ import annotations

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.core import Bot, Services
from bot.router import Router


def feature_routers() -> list[Router]:
    """Every feature's router, in dispatch order (interceptors of earlier ones run first)."""
    from commands import agenda, ask, news, sources, status, teachback, teachback_admin

    return [
        status.router, agenda.router, news.router, sources.router, teachback.router,
        teachback_admin.router, ask.router,
    ]


def build_bot(
    settings: Settings,
    *,
    db: object | None = None,
    clock: Clock | None = None,
    prepare: bool = True,
) -> Bot:
    """A ready bot on `settings.database_url` (migrated and loaded unless `prepare=False`)."""
    import integrations.transports  # noqa: F401  every destination kind, before any is checked
    from bot.redact import install_log_masking
    from integrations.transports.checks import check_settings

    check_settings(settings)  # a SECRETARIAT_CHANNEL no transport takes fails here, exit 2
    from storage.db import Database
    from storage.search import SearchIndex

    install_log_masking()  # webhook URLs never reach a log line
    database = db if db is not None else Database(settings.database_url)
    if prepare and isinstance(database, Database):
        database.prepare()
    services = Services(
        settings=settings, db=database, search=SearchIndex(), clock=clock or SystemClock()
    )
    from bot.worker import install as install_posts  # outbox worker + terminal inbox

    install_posts(services)
    from commands.teachback_admin import install as install_teachback  # retention schedule

    install_teachback(services)
    router = Router()
    for feature in feature_routers():
        router.include(feature)
    return Bot(services, router)
