"""Directory provenance: sources on people, memberships and groups; group history; conflicts
held for an admin's decision; the results each conversation was last shown.

Revision ID: 0005_directory_provenance
Revises: 0004_outbox_schedules_agenda
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005_directory_provenance"
down_revision = "0004_outbox_schedules_agenda"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("people", "memberships", "groups"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("provenance", sa.JSON(), nullable=True))
    op.create_table(
        "group_history",
        sa.Column("group_id", sa.String(40), primary_key=True),
        sa.Column("name_nb", sa.String(300), nullable=False),
        sa.Column("name_en", sa.String(300)),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("successor_id", sa.String(40)),
        sa.Column("year", sa.Integer()),
        sa.Column("provenance", sa.JSON()),
    )
    op.create_table(
        "directory_conflicts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("entity_key", sa.String(200), nullable=False, index=True),
        sa.Column("field", sa.String(60), nullable=False),
        sa.Column("current_value", sa.JSON()),
        sa.Column("current_source", sa.JSON()),
        sa.Column("proposed_value", sa.JSON()),
        sa.Column("proposed_source", sa.JSON()),
        sa.Column("file", sa.String(500)),
        sa.Column("line", sa.Integer()),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", UTCDateTime()),
    )
    op.create_table(
        "conversation_results",
        sa.Column("conversation", sa.String(300), primary_key=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("conversation_results")
    op.drop_table("directory_conflicts")
    op.drop_table("group_history")
    for table in ("groups", "memberships", "people"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("provenance")
