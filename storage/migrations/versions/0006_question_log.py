"""Teach-back: the question log, triage items and taught answers.

Revision ID: 0006_question_log
Revises: 0004_outbox_schedules_agenda
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0006_question_log"
down_revision = "0004_outbox_schedules_agenda"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("asked_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("question_key", sa.String(500), nullable=False, index=True),
        sa.Column("language", sa.String(4), nullable=False),
        sa.Column("surface", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("feedback", sa.String(8)),
        sa.Column("feedback_at", UTCDateTime()),
        sa.Column("guesses", sa.JSON(), nullable=False),
    )
    op.create_table(
        "triage_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "question_log_id",
            sa.Integer(),
            sa.ForeignKey("question_log.id", ondelete="SET NULL"),
        ),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("question_key", sa.String(500), nullable=False, index=True),
        sa.Column("language", sa.String(4), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("asked_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("asker", sa.String(200)),
        sa.Column("asker_destination", sa.String(300)),
        sa.Column("guesses", sa.JSON(), nullable=False),
        sa.Column("passed_on_at", UTCDateTime()),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("closed_by", sa.String(200)),
        sa.Column("taught_id", sa.Integer()),
    )
    op.create_table(
        "taught_answers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("question_key", sa.String(500), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(200)),
        sa.Column("text", sa.Text()),
        sa.Column("taught_by", sa.String(200), nullable=False),
        sa.Column("taught_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime()),
        sa.Column("active", sa.Boolean(), nullable=False, index=True),
        sa.Column("retired_at", UTCDateTime()),
    )


def downgrade() -> None:
    for table in ("taught_answers", "triage_items", "question_log"):
        op.drop_table(table)
