"""Starting on a current database is cheap: the schema check reads `alembic_version` and the
migration files, and Alembic is imported only when there is something to upgrade."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import snowballstemmer
import Stemmer
import yaml
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from snowballstemmer import english_stemmer, norwegian_stemmer
from sqlalchemy import event

from bot import glossary
from bot.compiled_cache import cached
from bot.replies import Message, Person
from storage.db import MIGRATIONS_DIR, Database, head_revisions
from storage.loader import import_file
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


def _statements(engine, run) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_new_process_loads_the_packed_index_and_an_import_replaces_it(
    make_bot, fresh_url, tmp_path
):
    """The index a new process loads is the packed snapshot in `meta` (no scan of the entries),
    and `import people` replaces it: the imported person is found afterwards."""
    question = "Zelda Quistgaard"
    before = make_bot(fresh_url)
    [declined] = before.handle(Message(text=question, sender=Person("cli", "cache")))
    assert declined.intent == "none"
    people = tmp_path / "people.yaml"
    people.write_text(
        yaml.safe_dump([{"name": "Zelda Quistgaard", "organisation": "UNN",
                         "memberships": [{"group": "AP8", "role": "member"}]}]),
        encoding="utf-8",
    )
    with before.services.db.session() as session:
        import_file(session, "people", people)
    fresh = make_bot(fresh_url)  # as a new process: nothing loaded yet
    statements = _statements(
        fresh.services.db.engine,
        lambda: fresh.handle(Message(text=question, sender=Person("cli", "cache"))),
    )
    # The snapshot came packed in one meta row, not from a read of every entry.
    assert not [s for s in statements if s.lstrip().startswith("SELECT search_entries.")]
    for bot in (fresh, before):  # and the process that had the old index sees the new one
        [found] = bot.handle(Message(text=question, sender=Person("cli", "cache")))
        assert found.intent == "person"
        assert found.results[0].id == "zelda-quistgaard"


def test_the_compiled_cache_serves_a_stored_value_and_rebuilds_on_a_new_key(tmp_path, monkeypatch):
    monkeypatch.setenv("NORCRIN_CACHE_DIR", str(tmp_path))
    builds: list[str] = []

    def build(value: str):
        def run():
            builds.append(value)
            return {"value": (value,)}
        return run

    assert cached("thing", "k1", build("first")) == {"value": ("first",)}
    assert cached("thing", "k1", build("second")) == {"value": ("first",)}  # stored
    assert cached("thing", "k2", build("third")) == {"value": ("third",)}  # new sources
    (tmp_path / "thing-k2.marshal").write_bytes(b"\x00garbage")
    assert cached("thing", "k2", build("fourth")) == {"value": ("fourth",)}  # unreadable
    assert builds == ["first", "third", "fourth"]


def test_the_cached_glossary_is_the_compiled_one(tmp_path, monkeypatch):
    monkeypatch.setenv("NORCRIN_CACHE_DIR", str(tmp_path))
    fresh = glossary._load("glossary.yaml")  # computes and stores
    assert list(tmp_path.glob("glossary-glossary-*.marshal"))
    again = glossary._load("glossary.yaml")  # from the cache
    words, phrase_stems, by_first = glossary._compile("glossary.yaml")
    assert fresh == again
    assert (again.words, again.phrase_stems, again.by_first_stem) == (words, phrase_stems, by_first)


def test_the_entry_point_loads_without_the_collector_and_leaves_it_on():
    """`norcrin-bot` freezes what start-up loaded (never scanned again) and collects as usual
    afterwards, so a long-running `serve` or `worker` still frees its cyclic garbage."""
    probe = (
        "import gc, sys, tomllib\n"
        "import integrations.runtime.entry as entry\n"
        "from integrations.runtime.cli import main\n"
        "script = tomllib.load(open('pyproject.toml', 'rb'))['project']['scripts']['norcrin-bot']\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 10000, entry.main is main, script)"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.split() == ["True", "True", "True", "integrations.runtime.entry:main"]


def test_the_c_stemmers_stem_the_bots_own_words_as_the_python_ones():
    """With PyStemmer installed, snowballstemmer hands out its C stemmers (one extension module,
    instead of importing all 36 pure-Python ones on every start); they must stem the glossary,
    the directory and the catalogue exactly as the pure-Python ones do, or answers would change."""
    assert snowballstemmer.stemmer is Stemmer.Stemmer
    root = Path(__file__).resolve().parents[1]
    text = " ".join(
        path.read_text("utf-8").lower()
        for folder in ("bot/data", "storage/data")
        for path in sorted((root / folder).glob("*.yaml"))
    )
    words = set(re.findall(r"[0-9a-zæøåäöüéèáàóòâêîôûçß]+", text))
    words |= {glossary.fold(word) for word in words}
    assert len(words) > 2000
    for fast, python in (
        (Stemmer.Stemmer("norwegian"), norwegian_stemmer.NorwegianStemmer()),
        (Stemmer.Stemmer("english"), english_stemmer.EnglishStemmer()),
    ):
        assert [w for w in sorted(words) if fast.stemWord(w) != python.stemWord(w)] == []


# Loaded only by the commands that need them, never by a chat answer (`norcrin-bot ask` of a
# question whose words the index knows): the other commands' CLI modules (`CliCommands`), the
# terminal chat, the agenda's and news' tables, views and posting machinery, the status feature
# beyond its router (form engine, campaigns, launching, reports: unless a form is open), the
# worker, the schedule and Teams tables, the data loader and the fuzzy matcher (imported inside
# the handlers, jobs and hooks that use them).
NOT_FOR_AN_ANSWER = (
    "integrations.runtime.cli_posts", "integrations.runtime.cli_worker", "integrations.teams.cli",
    "commands.status_cli", "commands.teachback_cli", "commands.directory_cli",
    "integrations.console.chat", "integrations.runtime.worker",
    "commands.posts", "commands.agenda_views", "commands.calendar_import",
    "commands.status", "commands.status_delivery", "commands.status_report", "bot.form_engine",
    "bot.interactions",  # forms and modals: a reply's Button and Confirm are in bot.replies
    "storage.agenda", "storage.news", "storage.schedules", "storage.teams",
    "storage.loader", "rich.progress", "rapidfuzz",  # first load, import/export; unknown words
)


def test_an_answer_loads_no_other_commands_code(sqlite_url):
    probe = (
        "import json, runpy, sys\n"
        "sys.argv = ['norcrin-bot', 'ask', '--json', 'who leads AP8']\n"
        "try:\n    runpy.run_module('integrations.runtime', run_name='__main__')\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        f"print(json.dumps([m for m in {NOT_FOR_AN_ANSWER!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True,
                          env={**os.environ, "DATABASE_URL": sqlite_url})
    answer, loaded = done.stdout.strip().splitlines()
    assert json.loads(answer)["results"][0]["id"] == "cecilie-moe"
    assert json.loads(loaded) == []


def test_agenda_and_news_commands_and_the_lazy_jobs_still_reach_their_code(make_bot, sqlite_url):
    from commands import AGENDA_JOBS, DIGEST_JOBS, STATUS_JOBS, posts, status_delivery

    assert list(AGENDA_JOBS) == list(posts.AGENDA_JOBS)
    assert list(DIGEST_JOBS) == list(posts.DIGEST_JOBS)
    assert list(STATUS_JOBS) == list(status_delivery.JOBS)
    bot = make_bot(sqlite_url)
    [reply] = bot.handle(Message(text="agenda", sender=Person("cli", "cli")))
    assert reply.intent == "agenda"
    [reply] = bot.handle(Message(text="news", sender=Person("cli", "cli")))
    assert reply.intent == "digest"
