"""Throw-away PostgreSQL databases on the development/CI server (127.0.0.1:5432, trust auth).

Migrating and loading a database costs seconds, so a test run prepares one template database and
every throw-away database is a copy of it (`CREATE DATABASE … TEMPLATE`), which PostgreSQL makes
file by file in a fraction of that time. Names carry a random suffix, so parallel runs and other
checkouts on the same server never collide; a run's pytest-xdist workers share its template.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from storage.db import Database

PG_ADMIN_URL = os.environ.get("NORCRIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SERVER_URL = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")

TEMPLATE_VAR = "NORCRIN_TEST_PG_TEMPLATE"  # set by the controlling pytest process (conftest.py)
_ready: set[str] = set()
# Drops run one at a time beside the tests; the executor finishes them before the process exits.
_dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")


def template_name() -> str:
    """The run's template database: named once by the controlling process and shared by its
    pytest-xdist workers, or this process's own."""
    if not os.environ.get(TEMPLATE_VAR):
        os.environ[TEMPLATE_VAR] = f"norcrin_tpl_{uuid.uuid4().hex[:10]}"
    return os.environ[TEMPLATE_VAR]


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
    """The migrated and loaded template, made by whichever process needs it first (an advisory
    lock keeps the workers from making it twice)."""
    name = template_name()
    if name in _ready:
        return name
    admin.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
    try:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                database = Database(f"{SERVER_URL}/{name}")
                database.prepare()
                database.dispose()  # a template must have no open connections when copied
            except BaseException:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                raise
    finally:
        admin.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))
    _ready.add(name)
    return name


def drop_template() -> None:
    """Called once by the controlling process when the run ends."""
    import psycopg

    name = os.environ.get(TEMPLATE_VAR)
    if not name:
        return
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error:
        pass  # no server, so no template either


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
        admin.close()
        _dropper.submit(_drop, name)  # dropping waits on the server's disk; the test need not


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
