"""Shared fixtures: prepared databases (SQLite and PostgreSQL), bots, and Slack over real HTTP."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("SKIP_SLACK_SDK_WARNING", "1")

from bot.app import build_bot
from bot.config import Settings, load_settings
from bot.core import Bot
from storage.db import Database
from tests.support.graph_api import FakeGraphAPI
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_harness import SIGNING_SECRET, SlackHarness, serve_slack

BOT_TOKEN = "xoxb-test-token"
PG_ADMIN_URL = os.environ.get("NORCRIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


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


def _pg_admin() -> Any:
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session, migrated and loaded."""
    name = f"norcrin_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    admin.execute(f'CREATE DATABASE "{name}"')
    url = (
        PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        + "/"
        + name
    )
    database = Database(url)
    database.prepare()
    database.dispose()
    try:
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


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
