"""Platform-neutral features. `FEATURES` is the registry: one `Feature` each, in dispatch order
(the router tries interceptors, then command words, of earlier features first)."""

from __future__ import annotations

from bot.features import CliCommands, Feature
from commands import (
    agenda,
    ask,
    news,
    posts,
    sources,
    status,
    status_delivery,
    teachback,
    teachback_admin,
)

# Sub-commands by module, imported only when one of them runs (`bot.features.CliCommands`).
STATUS_CLI = CliCommands(
    "commands.status_cli", (("status", "work-package status campaigns and reports"),)
)
TEACHBACK_CLI = CliCommands(
    "commands.teachback_cli",
    (
        ("triage", "questions the bot declined or that got a 👎"),
        ("taught", "taught answers: list, edit, retire"),
        ("stats", "usage statistics"),
    ),
)
DIRECTORY_CLI = CliCommands(
    "commands.directory_cli",
    (("directory", "directory facts, their sources and conflicts"),),
)

FEATURES: tuple[Feature, ...] = (
    Feature("status", router=status.router, cli=STATUS_CLI,
            jobs=status_delivery.JOBS, listeners=("slack", "teams")),
    Feature("agenda", router=agenda.router, jobs=posts.AGENDA_JOBS,
            listeners=("slack", "teams")),
    Feature("news", router=news.router, jobs=posts.DIGEST_JOBS),
    Feature("sources", router=sources.router),
    Feature("teachback", router=teachback.router, cli=TEACHBACK_CLI,
            listeners=("slack", "teams")),
    Feature("teachback_admin", router=teachback_admin.router, jobs=teachback_admin.JOBS,
            worker_start=(teachback_admin.ensure_purge_schedule,)),
    Feature("ask", router=ask.router),
    Feature("directory", cli=DIRECTORY_CLI),
)
