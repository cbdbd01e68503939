"""Teach-back storage on SQLite and PostgreSQL: the migration (up, down, up), the loop in process,
what is kept about askers, and the worker's retention job."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select

from bot.clock import FixedClock
from bot.config import ConfigError, load_settings
from bot.replies import Message, Person
from commands import teachback, teachback_admin
from integrations.runtime.worker import Worker
from storage import questions_log as store
from storage import schedules
from storage.db import MIGRATIONS_DIR, Database
from tests.support.pg import throwaway_database
from tests.support.posts import close_bot, make_posts_bot

WEATHER = "what's the weather in Bergen tomorrow?"
TABLES = {"question_log", "triage_items", "taught_answers"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of its own per test (PostgreSQL: a throw-away one, never the shared one)."""
    if request.param == "sqlite":
        yield str(request.getfixturevalue("sqlite_url"))
        return
    with throwaway_database("norcrin_teachback") as url:
        yield url


def _alembic(db: Database, action: str, target: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, target)


def test_migration_up_down_up(fresh_url: str) -> None:
    db = Database(fresh_url)
    try:
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        columns = {c["name"] for c in inspect(db.engine).get_columns("triage_items")}
        assert {"asker", "asker_destination", "status", "reason", "guesses"} <= columns
        _alembic(db, "downgrade", "0004_outbox_schedules_agenda")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        db.prepare()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
    finally:
        db.dispose()


def test_the_loop_in_process_forgets_the_asker_once_answered(fresh_url: str) -> None:
    clock = FixedClock(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    bot = make_posts_bot(fresh_url, clock=clock)
    try:
        asker = Person("console", "tanja-igland", person_id="tanja-igland", name="Tanja Igland")
        [declined] = bot.handle(Message(text=WEATHER, sender=asker))
        assert declined.intent == "none"
        with bot.services.db.session() as session:
            (item,) = store.list_items(session)
            entry = session.get(store.QuestionLog, item.question_log_id)
            assert entry is not None and not hasattr(entry, "asker")  # the log never holds it
            assert (item.asker, item.asker_destination) == ("Tanja Igland",
                                                            "console:tanja-igland")
            item_id = item.id
        line, keys = teachback_admin.answer_item(bot.services, item_id, "document",
                                           "LM 1.04", "Ellen Johnsen")
        assert "answered" in line and keys == [f"triage:{item_id}:answer"]
        teachback.deliver_now(bot.services, keys)
        with bot.services.db.session() as session:
            item = store.get_item(session, item_id)
            assert (item.status, item.asker, item.asker_destination) == ("answered", None, None)
        [taught] = bot.handle(Message(text="Bergen tomorrow: weather?", sender=asker))
        assert taught.results[0].id == "LM 1.04"
        assert "Ellen Johnsen" in taught.text and "2026-12-03" in taught.text
        pending = [r for hook in bot.services.console_pending for r in hook(asker)]
        assert any("LM 1.04" in r.text for r in pending)
        admin = Person("slack", "U0SEKR", is_admin=True)
        assert "spørsmål venter" not in str(bot.home(admin).parts)  # nothing open any more
        bot.handle(Message(text="hvem er Barack Obama?", sender=asker))
        assert "1 spørsmål venter" in str(bot.home(admin).parts)
        assert "spørsmål venter" not in str(bot.home(asker).parts)
    finally:
        close_bot(bot)


def test_question_key_ignores_case_punctuation_order_and_inflection() -> None:
    key = store.question_key
    assert key("Hvem leder AP8?") == key("ap8 — LEDER hvem!!") == key("AP8, hvem leder")
    assert key("who leads AP8") == key("who is leading ap8?")
    assert key(WEATHER) == key("Tomorrow: the weather in BERGEN")
    assert key("who leads AP8") != key("who leads AP9")
    assert key("hva er det?")  # only stop words still has a key


def test_the_worker_deletes_what_is_older_than_question_log_days(fresh_url: str) -> None:
    now = datetime(2026, 12, 3, 3, 31, tzinfo=UTC)
    clock = FixedClock(now)
    bot = make_posts_bot(fresh_url, clock=clock, QUESTION_LOG_DAYS="30")
    try:
        services = bot.services
        with services.db.session() as session:
            for age in (45, 10):
                entry = store.log_question(
                    session, text=f"{WEATHER} {age}", language="en", surface="slack",
                    intent="none", outcome="declined", guesses=[], now=now - timedelta(days=age))
                store.open_item(session, log=entry, reason="declined", asker="U0OLD",
                                asker_destination="slack-user:U0OLD",
                                now=now - timedelta(days=age))
        for _ in range(2):  # a starting worker schedules the daily job; once, however many
            Worker(services, poll=3600, reload=3600).start().stop()
        with services.db.session() as session:
            (purge,) = [s for s in schedules.active_schedules(session)
                        if s.job == teachback_admin.PURGE_JOB]
            purge.created_at = now - timedelta(days=2)
        ran = Worker(services).sweep(now)
        assert [schedule_id for schedule_id, _ in ran] == [purge.id]
        with services.db.session() as session:
            ages = sorted((now - r.asked_at).days
                          for r in session.scalars(select(store.QuestionLog)))
            items: list[Any] = store.list_items(session)
            assert ages == [10] and [i.asker for i in items] == ["U0OLD"]
            assert (now - items[0].asked_at).days == 10
    finally:
        close_bot(bot)


def test_question_log_days_must_be_a_positive_number() -> None:
    assert load_settings({"DATABASE_URL": "sqlite://"}).question_log_days == 180
    assert load_settings({"DATABASE_URL": "sqlite://",
                          "QUESTION_LOG_DAYS": "30"}).question_log_days == 30
    with pytest.raises(ConfigError, match="QUESTION_LOG_DAYS"):
        load_settings({"DATABASE_URL": "sqlite://", "QUESTION_LOG_DAYS": "half a year"})
