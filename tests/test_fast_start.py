"""Starting on a current database is cheap: the schema check reads `alembic_version` and the
migration files, and Alembic is imported only when there is something to upgrade."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from storage.db import MIGRATIONS_DIR, Database, head_revisions
from tests.support.pg import throwaway_database

ROOT = Path(__file__).resolve().parents[1]
PREPARE = """
import json, sys
from storage.db import Database
db = Database(sys.argv[1])
db.prepare()
print(json.dumps({"alembic": "alembic" in sys.modules,
                  "revisions": sorted(db.schema_revisions() or [])}))
"""


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _prepare_in_a_new_process(url: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PREPARE, url],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(request.getfixturevalue("sqlite_url"))
        return
    with throwaway_database("norcrin_faststart") as url:
        yield url


def test_the_heads_read_from_the_files_are_alembics():
    assert head_revisions() == frozenset(ScriptDirectory.from_config(_alembic_config()).get_heads())


def test_a_current_database_is_checked_without_importing_alembic(any_db_url):
    started = _prepare_in_a_new_process(any_db_url)
    assert started == {"alembic": False, "revisions": sorted(head_revisions())}


def test_a_database_behind_is_still_upgraded(fresh_url):
    db = Database(fresh_url)
    config = _alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004_outbox_schedules_agenda")  # the teach-back branch goes
    behind = db.schema_revisions()
    db.dispose()
    assert behind is not None and behind != head_revisions()
    started = _prepare_in_a_new_process(fresh_url)
    assert started == {"alembic": True, "revisions": sorted(head_revisions())}
