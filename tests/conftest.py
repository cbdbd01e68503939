"""Shared fixtures: prepared databases (SQLite and PostgreSQL), bots, and Slack over real HTTP."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("SKIP_SLACK_SDK_WARNING", "1")

from bot.config import Settings, load_settings
from bot.core import Bot
from integrations.runtime.cli import main as cli_main
from integrations.runtime.wiring import build_bot
from storage.db import Database
from tests.support.graph_api import FakeGraphAPI
from tests.support.pg import drop_template, template_name, throwaway_database
from tests.support.posts import posts_env
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_harness import SIGNING_SECRET, SlackHarness, serve_slack

BOT_TOKEN = "xoxb-test-token"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than cores. About a third of the suite's time is spent waiting
    (real server processes starting, timeouts that must pass, answers in other processes), so a
    spare worker uses the cores those waits leave idle (2 cores: 129 s against 145 s)."""
    return (os.cpu_count() or 1) + 1


def pytest_configure(config: pytest.Config) -> None:
    """The controlling process names the run's PostgreSQL template before workers start."""
    if not hasattr(config, "workerinput"):
        template_name()


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        drop_template()


def make_settings(database_url: str, **overrides: str) -> Settings:
    env = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "BOT_LANGUAGE": "nb",
        "TZ": "Europe/Oslo",
    }
    env.update(overrides)
    return load_settings(env)


@pytest.fixture(scope="session")
def template_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prepared database file per test session; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.prepare()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def sqlite_url(template_sqlite: Path, tmp_path: Path) -> str:
    target = tmp_path / "bot.sqlite3"
    shutil.copy(template_sqlite, target)
    return f"sqlite:///{target}"


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    database.prepare()
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session, migrated and loaded."""
    with throwaway_database("norcrin_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def make_bot() -> Iterator[Any]:
    bots: list[Bot] = []

    def factory(database_url: str, **overrides: str) -> Bot:
        bot = build_bot(make_settings(database_url, **overrides))
        bots.append(bot)
        return bot

    yield factory
    for bot in bots:
        bot.services.db.dispose()


@pytest.fixture
def bot(make_bot: Any, sqlite_url: str) -> Bot:
    return make_bot(sqlite_url)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def fake_graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI() as fake:
        yield fake


@pytest.fixture
def slack(make_bot: Any, sqlite_url: str, fake_slack: FakeSlackAPI) -> Iterator[SlackHarness]:
    bot = make_bot(sqlite_url, SLACK_API_URL=fake_slack.base_url)
    with serve_slack(bot, fake_slack) as harness:
        yield harness


@pytest.fixture
def cli(
    sqlite_url: str,
    fake_slack: FakeSlackAPI,
    fake_graph: FakeGraphAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    """`norcrin-bot ARGS…` in this process with Slack and Graph at the stand-ins; returns stdout
    and checks the exit status (0 unless `status=`). Test files needing more define their own."""
    for name, value in posts_env(sqlite_url, slack=fake_slack, graph=fake_graph).items():
        monkeypatch.setenv(name, value)

    def run(*argv: str, status: int = 0) -> str:
        code = cli_main(list(argv))
        out = capsys.readouterr().out
        assert code == status, out
        return out

    return run
