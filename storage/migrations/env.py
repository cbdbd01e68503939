"""Alembic environment: runs on the connection `storage.db.Database.migrate` hands it."""

from __future__ import annotations

from alembic import context

from storage.schema import metadata

target_metadata = metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the bot always passes its own connection
    raise RuntimeError("run migrations through `norcrin-bot db upgrade`")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
