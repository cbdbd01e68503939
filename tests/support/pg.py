"""Throw-away PostgreSQL databases on the development/CI server (127.0.0.1:5432, trust auth)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from storage.db import Database

PG_ADMIN_URL = os.environ.get("NORCRIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new database, migrated and loaded, dropped afterwards. Unreachable PostgreSQL fails the
    test under CI (where it must be there) and skips it elsewhere."""
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    server = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{server}/{name}"
    try:
        database = Database(url)
        database.prepare()
        database.dispose()
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
