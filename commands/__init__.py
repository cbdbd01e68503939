"""Platform-neutral features. `FEATURES` is the registry: one `Feature` each, in dispatch order
(the router tries interceptors, then command words, of earlier features first)."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.features import CliCommands, Feature
from bot.jobs import JobFunction
from commands import (
    agenda,
    ask,
    news,
    sources,
    status_router,
    teachback,
    teachback_admin,
)

if TYPE_CHECKING:
    from bot.core import Services


def lazy_jobs(module: str, table: str, names: tuple[str, ...]) -> dict[str, JobFunction]:
    """The jobs `module.table` defines, by name, with `module` imported when one of them first
    runs (the posting machinery is not loaded by the chat answers and CLI calls that run none).
    `tests/test_fast_start.py` checks the names against the table."""

    def job(name: str) -> JobFunction:
        def run(services: Services, args: dict[str, Any], occurrence: datetime) -> None:
            getattr(importlib.import_module(module), table)[name](services, args, occurrence)

        run.__qualname__ = run.__name__ = f"{module}.{table}[{name!r}]"
        return run

    return {name: job(name) for name in names}


AGENDA_JOBS = lazy_jobs("commands.posts", "AGENDA_JOBS",
                        ("agenda", "agenda-reminder", "agenda-minutes"))
DIGEST_JOBS = lazy_jobs("commands.posts", "DIGEST_JOBS", ("digest",))
STATUS_JOBS = lazy_jobs("commands.status_delivery", "JOBS",
                        ("status_open", "status_reminder", "status_deadline"))

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
    Feature("status", router=status_router.router, cli=STATUS_CLI,
            jobs=STATUS_JOBS, listeners=("slack", "teams")),
    Feature("agenda", router=agenda.router, jobs=AGENDA_JOBS,
            listeners=("slack", "teams")),
    Feature("news", router=news.router, jobs=DIGEST_JOBS),
    Feature("sources", router=sources.router),
    Feature("teachback", router=teachback.router, cli=TEACHBACK_CLI,
            listeners=("slack", "teams")),
    Feature("teachback_admin", router=teachback_admin.router, jobs=teachback_admin.JOBS,
            worker_start=(teachback_admin.ensure_purge_schedule,)),
    Feature("ask", router=ask.router),
    Feature("directory", cli=DIRECTORY_CLI),
)
