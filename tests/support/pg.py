"""Throw-away PostgreSQL databases on the development/CI server (127.0.0.1:5432, trust auth).

Migrating and loading a database costs seconds, so each test process prepares one template
database once and every throw-away database is a copy of it (`CREATE DATABASE … TEMPLATE`), which
PostgreSQL makes file by file in a fraction of that time. Names carry a random suffix, so parallel
test processes (pytest-xdist workers) and other checkouts on the same server never collide.
"""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from storage.db import Database

PG_ADMIN_URL = os.environ.get("NORCRIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SERVER_URL = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")

_template: str | None = None


def _admin() -> Any:
    """An autocommit admin connection; unreachable PostgreSQL fails the test under CI (where it
    must be there) and skips it elsewhere."""
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")


def _template_database(admin: Any) -> str:
    """This process's migrated and loaded template, made on first use, dropped at exit."""
    global _template
    if _template is None:
        name = f"norcrin_tpl_{uuid.uuid4().hex[:10]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            database = Database(f"{SERVER_URL}/{name}")
            database.prepare()
            database.dispose()  # a template must have no open connections when it is copied
        except BaseException:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            raise
        atexit.register(_drop, name)
        _template = name
    return _template


def _drop(name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error:
        pass  # the server went away first; nothing left to clean


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new database, migrated and loaded (a copy of this process's template), dropped
    afterwards."""
    admin = _admin()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_template_database(admin)}"')
        yield f"{SERVER_URL}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
