"""Outbox, schedules, meetings/agenda items/proposals, news items and digests.

Revision ID: 0004_outbox_schedules_agenda
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004_outbox_schedules_agenda"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("destination", sa.String(2000), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", UTCDateTime(), index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("sent_ref", sa.String(300)),
        sa.Column("update_of", sa.String(300), index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("shown_at", UTCDateTime()),
    )
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(80), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("destinations", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("at", UTCDateTime()),
        sa.Column("cron", sa.String(120)),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "schedule_id",
            sa.Integer(),
            sa.ForeignKey("schedules.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("occurrence", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("worker", sa.String(120)),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("error", sa.Text()),
        sa.UniqueConstraint("schedule_id", "occurrence", name="uq_schedule_run"),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("series", sa.String(120), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("end_at", UTCDateTime()),
        sa.Column("place", sa.String(300)),
        sa.Column("online_url", sa.String(1000)),
        sa.Column("destinations", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(120)),
        sa.Column("language", sa.String(4), nullable=False),
        sa.Column("post_days_before", sa.Integer(), nullable=False),
        sa.Column("schedule_ids", sa.JSON(), nullable=False),
        sa.Column("source_event_id", sa.String(300), unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "meeting_id",
            sa.Integer(),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("presenter", sa.String(300)),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
    )
    op.create_table(
        "agenda_proposals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "meeting_id",
            sa.Integer(),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("presenter", sa.String(300)),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("proposer", sa.String(200), nullable=False),
        sa.Column("proposer_destination", sa.String(300)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("reason", sa.Text()),
        sa.Column("item_id", sa.Integer()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "news_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("guid", sa.String(1000), nullable=False, unique=True),
        sa.Column("link", sa.String(1000), nullable=False, index=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("summary", sa.Text()),
        sa.Column("published_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("digest_id", sa.Integer(), index=True),
    )
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "digests",
        "news_items",
        "agenda_proposals",
        "agenda_items",
        "meetings",
        "schedule_runs",
        "schedules",
        "outbox",
    ):
        op.drop_table(table)
