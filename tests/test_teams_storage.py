"""Teams conversation references on SQLite and PostgreSQL: the migration (up, down, up), a
reference refreshed in place, the 1:1 chat found by Entra id or directory id, the person linked by
e-mail or UPN case-blind, and the outbox destination a linked leader gets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import inspect

from commands.status_delivery import person_destinations
from storage.db import Database
from storage.models import Person
from storage.teams import known_person, person_for_address, personal_chat, remember
from tests.support.pg import throwaway_database
from tests.test_teachback_storage import _alembic

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(str(request.getfixturevalue("sqlite_url")))
        yield database
        database.dispose()
        return
    with throwaway_database("norcrin_teams") as url:
        database = Database(url)
        database.prepare()
        yield database
        database.dispose()


def test_migration_up_down_up(db: Database) -> None:
    assert "teams_conversations" in inspect(db.engine).get_table_names()
    _alembic(db, "downgrade", "0006_question_log")
    assert "teams_conversations" not in inspect(db.engine).get_table_names()
    assert "question_log" in inspect(db.engine).get_table_names()
    db.prepare()
    columns = {c["name"] for c in inspect(db.engine).get_columns("teams_conversations")}
    assert {"conversation_id", "service_url", "aad_object_id", "person_id", "email"} <= columns


def test_references_links_and_destinations(db: Database) -> None:
    with db.session() as session:
        session.get(Person, "cecilie-moe").email = "Cecilie.Moe@Example.org"
        found = person_for_address(session, None, "cecilie.moe@example.org")
        assert found is not None and found.id == "cecilie-moe"
        assert person_for_address(session, "not-an-address", None) is None
        remember(session, conversation_id="a:1x", scope="personal", service_url="https://old/",
                 now=NOW, user_id="29:1c", aad_object_id="aad-c", person_id="cecilie-moe")
        remember(session, conversation_id="a:1x", scope="personal", service_url="https://new/",
                 now=NOW + timedelta(hours=1))
    with db.session() as session:
        chat = personal_chat(session, "aad-c")
        assert chat is not None and chat.service_url == "https://new/"  # refreshed, kept its link
        assert chat.person_id == "cecilie-moe" and chat.user_id == "29:1c"
        assert personal_chat(session, "cecilie-moe") is chat
        assert known_person(session, "aad-c") is chat
        services = SimpleNamespace(settings=SimpleNamespace(
            slack_enabled=False, teams_enabled=True, graph_mail_sender=None))
        leader = session.get(Person, "cecilie-moe")
        assert person_destinations(services, leader) == ["console:cecilie-moe",
                                                         "teams-user:aad-c"]
        services.settings.teams_enabled = False
        assert person_destinations(services, leader) == ["console:cecilie-moe"]
