"""Status campaigns, form fillings, submissions and group choosers.

Revision ID: 0003_status_forms
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0003_status_forms"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_campaigns",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("form_id", sa.String(60), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("opens_at", UTCDateTime(), nullable=False),
        sa.Column("deadline_at", UTCDateTime(), nullable=False),
        sa.Column("reminders", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("opened_at", UTCDateTime()),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("schedule_ids", sa.JSON(), nullable=False),
    )
    op.create_table(
        "status_fillings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "campaign_id",
            sa.Integer(),
            sa.ForeignKey("status_campaigns.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("group_id", sa.String(40), nullable=False),
        sa.Column("respondent", sa.String(120), nullable=False, index=True),
        sa.Column("respondent_name", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("current", sa.String(60)),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("campaign_id", "group_id", "respondent"),
    )
    op.create_table(
        "status_submissions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "campaign_id",
            sa.Integer(),
            sa.ForeignKey("status_campaigns.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("group_id", sa.String(40), nullable=False),
        sa.Column("submitted_by", sa.String(120), nullable=False),
        sa.Column("submitted_by_name", sa.String(200)),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.UniqueConstraint("campaign_id", "group_id"),
    )
    op.create_table(
        "status_choosers",
        sa.Column("respondent", sa.String(120), primary_key=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("status_choosers")
    op.drop_table("status_submissions")
    op.drop_table("status_fillings")
    op.drop_table("status_campaigns")
