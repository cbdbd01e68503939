"""Directory, documents, search index, Slack event dedup.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name_nb", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("short", sa.String(60)),
        sa.Column("name_nb", sa.String(300), nullable=False),
        sa.Column("name_en", sa.String(300)),
        sa.Column("purpose_nb", sa.Text()),
        sa.Column("purpose_en", sa.Text()),
        sa.Column("topics_nb", sa.JSON(), nullable=False),
        sa.Column("topics_en", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(40)),
        sa.Column("parent_id", sa.String(40)),
        sa.Column("url", sa.String(500)),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column(
            "organisation_id",
            sa.String(40),
            sa.ForeignKey("organisations.id", ondelete="SET NULL"),
        ),
        sa.Column("email", sa.String(200)),
        sa.Column("phone", sa.String(60)),
        sa.Column("slack_user_id", sa.String(40), index=True),
        sa.Column("source", sa.String(40)),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "person_id",
            sa.String(80),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "group_id",
            sa.String(40),
            sa.ForeignKey("groups.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("note", sa.String(300)),
        sa.UniqueConstraint("person_id", "group_id", "role"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("title_no", sa.String(500)),
        sa.Column("title_en", sa.String(500)),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("area", sa.String(40)),
        sa.Column("series", sa.String(40)),
        sa.Column("phase", sa.String(40)),
        sa.Column("url", sa.String(1000)),
        sa.Column("summary", sa.Text()),
        sa.Column("body", sa.Text()),
        sa.Column("keywords", sa.JSON(), nullable=False),
    )
    op.create_table(
        "search_entries",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("ref_id", sa.String(120), primary_key=True),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(120), primary_key=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # External-content FTS5 index over search_entries, kept in step by triggers.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "title_terms, body_terms, content='search_entries', content_rowid='rowid', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN "
            "INSERT INTO search_fts(rowid, title_terms, body_terms) "
            "VALUES (new.rowid, new.title_terms, new.body_terms); END"
        )
        op.execute(
            "CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title_terms, body_terms) "
            "VALUES ('delete', old.rowid, old.title_terms, old.body_terms); END"
        )
        op.execute(
            "CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title_terms, body_terms) "
            "VALUES ('delete', old.rowid, old.title_terms, old.body_terms); "
            "INSERT INTO search_fts(rowid, title_terms, body_terms) "
            "VALUES (new.rowid, new.title_terms, new.body_terms); END"
        )
    else:
        op.execute(
            "CREATE INDEX search_entries_fts ON search_entries USING GIN "
            "(to_tsvector('simple', title_terms || ' ' || body_terms))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    for table in (
        "meta",
        "processed_events",
        "search_entries",
        "documents",
        "memberships",
        "people",
        "groups",
        "organisations",
    ):
        op.drop_table(table)
