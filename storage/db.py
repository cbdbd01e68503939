"""The database handle: engine, sessions, migrations (Alembic) and first-start loading.

SQLite is the embedded default, PostgreSQL the production database; both run the same
migrations. `Database.prepare()` is idempotent and cheap on every start: it upgrades the schema and
loads the network's embedded data only when the directory is still empty.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.loader import load_embedded_data, upgrade_embedded_directory
from storage.models import Meta
from storage.search import INDEX_FORMAT, rebuild_index

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

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

    def migrate(self) -> None:
        """Bring the schema to the newest revision of every migration branch."""
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
        loaded = self.get_meta("defaults_loaded")
        if load_defaults and not loaded:
            with self.session() as session:
                load_embedded_data(session)
                session.merge(Meta(key="defaults_loaded", value="1"))
                session.merge(Meta(key="directory_sources", value="1"))
            log.info("loaded the embedded directory and SOP catalogue")
        elif load_defaults and loaded != "empty" and not self.get_meta("directory_sources"):
            with self.session() as session:
                upgrade_embedded_directory(session)
                session.merge(Meta(key="directory_sources", value="1"))
            log.info("gave the embedded directory its sources")
        if load_defaults and self.get_meta("index_format") != INDEX_FORMAT:
            with self.session() as session:
                rebuild_index(session)

    def keep_empty(self) -> None:
        """Record that this database is meant to start empty (`db upgrade --empty`), so no later
        `prepare()` loads the embedded directory and catalogue into it."""
        if not self.get_meta("defaults_loaded"):
            with self.session() as session:
                session.merge(Meta(key="defaults_loaded", value="empty"))

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
