"""Alembic's environment for the bot's tables: run on the connection and table prefix bot.store.migrate hands over."""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes["connection"]
prefix = config.attributes["prefix"]

context.configure(
    connection=connection,
    version_table=f"{prefix}alembic_version",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations(prefix=prefix)
