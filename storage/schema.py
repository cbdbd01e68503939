"""The whole schema: every module that adds tables to `Base`, imported for real.

Alembic (`storage/migrations/env.py`) and `Database.migrate` read `Base.metadata` from here, so a
feature's tables are in the schema as soon as its model module is listed below; a missing or
misspelt module fails at import, not at run time.
"""

from __future__ import annotations

from storage import (
    agenda,
    forms,
    inbox,
    news,
    outbox,
    provenance,
    questions_log,
    schedules,
    teams,
)
from storage.models import Base

MODEL_MODULES = (forms, outbox, schedules, agenda, news, provenance, questions_log, teams, inbox)
metadata = Base.metadata

__all__ = ["MODEL_MODULES", "Base", "metadata"]
