"""Reads memoised for one session (one unit of work): the index version, groups, role holders.

An answer asks for the same few rows several times; on PostgreSQL each ask is a round trip. The
memo lives in `session.info`, is forgotten after every flush, commit and rollback, and is bypassed
while changes are pending, so no write is ever read around.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session


def read_cache(session: Session) -> dict[Any, Any]:
    if session.new or session.dirty or session.deleted:
        session.info.pop("read_cache", None)
        return {}
    cache: dict[Any, Any] = session.info.setdefault("read_cache", {})
    return cache


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_reads(session: Session, *_args: Any) -> None:
    session.info.pop("read_cache", None)
