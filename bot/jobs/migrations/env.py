"""Alembic environment: runs on the connection ``bot.jobs.migrate`` passes in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from bot.jobs.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
