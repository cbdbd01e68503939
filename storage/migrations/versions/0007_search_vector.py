"""Search on PostgreSQL: the tsvector stored beside each entry, not computed per question.

With a few hundred entries the planner scans the table rather than use the expression index, and
then computed `to_tsvector` for every row on every question (about 17 ms). A stored generated
column costs that once per write; a scan of it is cheap and its GIN index serves large indexes.
SQLite (FTS5) is unchanged.

Revision ID: 0007_search_vector
Revises: 0001_initial
"""

from __future__ import annotations

from alembic import op

revision = "0007_search_vector"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        "ALTER TABLE search_entries ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        "(to_tsvector('simple', title_terms || ' ' || body_terms)) STORED"
    )
    op.execute("CREATE INDEX search_entries_vector ON search_entries USING GIN (search_vector)")
    op.execute("DROP INDEX IF EXISTS search_entries_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        "CREATE INDEX search_entries_fts ON search_entries USING GIN "
        "(to_tsvector('simple', title_terms || ' ' || body_terms))"
    )
    op.execute("DROP INDEX IF EXISTS search_entries_vector")
    op.execute("ALTER TABLE search_entries DROP COLUMN search_vector")
