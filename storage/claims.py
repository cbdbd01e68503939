"""Inbound de-duplication every surface shares: an event or activity id is claimed once.

Slack retries an event it thinks went unanswered and the Bot Connector redelivers activities;
the first claim of an id wins (a unique row in `processed_events`, so replicas sharing the
database agree), later ones are ignored.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.core import Bot
from storage.models import ProcessedEvent

EVENT_ID_RETENTION = timedelta(hours=2)  # longer than any Slack retry or Teams redelivery


def claim_event(bot: Bot, event_id: str) -> bool:
    """True the first time an event id is seen (across replicas sharing the database)."""
    now = bot.services.clock.now()
    db = bot.services.db
    try:
        with db.session() as session:
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    if hash(event_id) % 100 == 0:  # now and then, forget ids older than any retry
        with db.session() as session:
            session.execute(
                delete(ProcessedEvent).where(ProcessedEvent.received_at < now - EVENT_ID_RETENTION)
            )
    return True
