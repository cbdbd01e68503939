"""The inbox: requests acked by the HTTP edge, answered by worker processes.

Revision ID: 0008_inbox
Revises: 0006_question_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0008_inbox"
down_revision = "0006_question_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("surface", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("owner", sa.String(64)),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("done_at", UTCDateTime(), index=True),
    )


def downgrade() -> None:
    op.drop_table("inbox")
