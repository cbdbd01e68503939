"""Platform-neutral features. `FEATURES` is the registry: one `Feature` each, in dispatch order
(the router tries interceptors, then command words, of earlier features first)."""

from __future__ import annotations

from bot.features import Feature
from commands import (
    agenda,
    ask,
    directory_cli,
    news,
    posts,
    sources,
    status,
    status_cli,
    status_delivery,
    teachback,
    teachback_admin,
    teachback_cli,
)

FEATURES: tuple[Feature, ...] = (
    Feature("status", router=status.router, cli=status_cli.register_cli,
            jobs=status_delivery.JOBS, listeners=("slack", "teams")),
    Feature("agenda", router=agenda.router, jobs=posts.AGENDA_JOBS,
            listeners=("slack", "teams")),
    Feature("news", router=news.router, jobs=posts.DIGEST_JOBS),
    Feature("sources", router=sources.router),
    Feature("teachback", router=teachback.router, cli=teachback_cli.register_cli,
            listeners=("slack", "teams")),
    Feature("teachback_admin", router=teachback_admin.router, jobs=teachback_admin.JOBS,
            worker_start=(teachback_admin.ensure_purge_schedule,)),
    Feature("ask", router=ask.router),
    Feature("directory", cli=directory_cli.register_cli),
)
