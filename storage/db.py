"""The database handle: engine, sessions, migrations (Alembic) and first-start loading.

SQLite is the embedded default, PostgreSQL the production database; both run the same
migrations. `Database.prepare()` is idempotent and cheap on every start: it upgrades the schema and
loads the network's embedded data only when the directory is still empty. A database already at
the newest revisions is recognised from its `alembic_version` rows and the migration files'
revision lines, without importing Alembic (about a second of every CLI call otherwise).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Meta
from storage.search import INDEX_FORMAT, rebuild_index

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def head_revisions() -> frozenset[str]:
    """The newest revision of every migration branch, read from the `revision =` and
    `down_revision =` lines of the migration files (a test checks Alembic agrees)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text("utf-8")
        found = _REVISION.search(source)
        if found:
            revisions.add(found.group(1))
        down = _DOWN_REVISION.search(source)
        if down:
            parents.update(_QUOTED.findall(down.group(1)))
    return frozenset(revisions - parents)


class _Unit:
    """The one session of a message's unit of work, opened on first use."""

    session: Session | None = None


class Database:
    """One engine and session factory per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._unit: ContextVar[_Unit | None] = ContextVar(f"unit_{id(self)}", default=None)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def unit(self) -> Iterator[None]:
        """One transaction for what one message reads and logs, so a PostgreSQL answer pays one
        pool ping, one BEGIN and one COMMIT instead of one of each per block. Blocks opened with
        `shared_session()` inside join it; committed when the unit ends, rolled back on error.

        SQLite is in-process, so there is nothing to save: there the unit is empty, and its one
        database-wide write lock is never held across a message. A unit inside a unit joins it.
        """
        if self.is_sqlite or self._unit.get() is not None:
            yield
            return
        holder = _Unit()
        token = self._unit.set(holder)
        try:
            yield
            if holder.session is not None:
                holder.session.commit()
        except BaseException:
            if holder.session is not None:
                holder.session.rollback()
            raise
        finally:
            self._unit.reset(token)
            if holder.session is not None:
                holder.session.close()

    @contextmanager
    def shared_session(self) -> Iterator[Session]:
        """A session that joins the current unit of work; outside one, `session()`.

        For reads, and for writes that come last in a message (question log, results shown):
        a shared write holds its row locks until the unit ends, so a later `session()` in the
        same message must not touch those rows. An error rolls the whole unit back."""
        holder = self._unit.get()
        if holder is None:
            with self.session() as session:
                yield session
            return
        if holder.session is None:
            holder.session = self._sessions()
        try:
            yield holder.session
        except BaseException:
            holder.session.rollback()
            raise

    def schema_revisions(self) -> frozenset[str] | None:
        """The revisions the database is at (`alembic_version`); None before the first upgrade."""
        with self.engine.connect() as connection:
            try:
                rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
                return frozenset(str(row[0]) for row in rows)
            except DBAPIError:
                return None

    def migrate(self) -> None:
        """Bring the schema to the newest revision of every migration branch; Alembic is
        imported only when there is something to upgrade."""
        if self.schema_revisions() == head_revisions():
            return
        from alembic import command  # lazy: heavy optional dependency (only when migrating)
        from alembic.config import Config  # lazy: heavy optional dependency

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")

    def prepare(self, *, load_defaults: bool = True) -> None:
        """Migrate, then load the embedded network data on first start."""
        self.migrate()
        meta = self.get_metas("defaults_loaded", "directory_sources", "index_format")
        loaded, index_format = meta.get("defaults_loaded"), meta.get("index_format")
        if load_defaults and not loaded:
            # lazy: the loader (with Rich's progress bars) runs once per database, not per start
            from storage.loader import load_embedded_data

            with self.session() as session:
                load_embedded_data(session)
                session.merge(Meta(key="defaults_loaded", value="1"))
                session.merge(Meta(key="directory_sources", value="1"))
            log.info("loaded the embedded directory and SOP catalogue")
            index_format = self.get_meta("index_format")
        elif load_defaults and loaded != "empty" and not meta.get("directory_sources"):
            from storage.loader import upgrade_embedded_directory  # lazy: as above

            with self.session() as session:
                upgrade_embedded_directory(session)
                session.merge(Meta(key="directory_sources", value="1"))
            log.info("gave the embedded directory its sources")
            index_format = self.get_meta("index_format")
        if load_defaults and index_format != INDEX_FORMAT:
            with self.session() as session:
                rebuild_index(session)

    def keep_empty(self) -> None:
        """Record that this database is meant to start empty (`db upgrade --empty`), so no later
        `prepare()` loads the embedded directory and catalogue into it."""
        if not self.get_meta("defaults_loaded"):
            with self.session() as session:
                session.merge(Meta(key="defaults_loaded", value="empty"))

    def get_metas(self, *keys: str) -> dict[str, str]:
        """Several meta values in one query (a start reads three)."""
        with self.session() as session:
            rows = session.execute(select(Meta.key, Meta.value).where(Meta.key.in_(keys)))
            return {key: value for key, value in rows}

    def get_meta(self, key: str) -> str | None:
        with self.session() as session:
            return session.scalar(select(Meta.value).where(Meta.key == key))

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
