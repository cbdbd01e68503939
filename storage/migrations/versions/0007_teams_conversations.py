"""Teams conversation references (proactive 1:1 prompts, the person's directory link).

Revision ID: 0007_teams_conversations
Revises: 0006_question_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0007_teams_conversations"
down_revision = "0006_question_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams_conversations",
        sa.Column("conversation_id", sa.String(400), primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("service_url", sa.String(400), nullable=False),
        sa.Column("tenant_id", sa.String(80)),
        sa.Column("user_id", sa.String(200)),
        sa.Column("aad_object_id", sa.String(80), index=True),
        sa.Column("person_id", sa.String(80), index=True),
        sa.Column("email", sa.String(200)),
        sa.Column("name", sa.String(200)),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("teams_conversations")
