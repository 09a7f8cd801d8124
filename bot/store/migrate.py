"""Schema changes at start: Alembic's migrations, run by one process at a time.

Several processes start at once (gunicorn's workers, the Procfile's `web:` and `worker:`), so
the upgrade runs under a lock: on PostgreSQL a transaction-scoped advisory lock taken in the
same transaction as the migrations (CREATE TABLE IF NOT EXISTS alone can still fail on
pg_type when two race); on SQLite, which is one host, an exclusive file lock beside the
database. The second process finds the version table at head and does nothing.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, select

logger = logging.getLogger("certmatch.bot")

# Key for pg_advisory_xact_lock ("cert").
_SCHEMA_LOCK_KEY = 0x6365_7274
_SCRIPTS = Path(__file__).resolve().parent / "migrations"


def upgrade(engine: Engine, prefix: str, sqlite_file: Path | None) -> None:
    """Bring `prefix`'s tables to the newest revision; safe when several processes call it at once."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["prefix"] = prefix
    if sqlite_file is None:
        with engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
            _upgrade(config, conn, prefix)
        return
    sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    with open(str(sqlite_file) + ".migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with engine.begin() as conn:
                _upgrade(config, conn, prefix)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _upgrade(config: Config, conn: Connection, prefix: str) -> None:
    head = ScriptDirectory.from_config(config).get_current_head()
    context = MigrationContext.configure(conn, opts={"version_table": f"{prefix}alembic_version"})
    current = context.get_current_revision()
    if current == head:
        return  # the common case: nothing to do, and no Alembic environment to load
    config.attributes["connection"] = conn
    command.upgrade(config, "head")
    logger.debug("database schema %s: upgraded from %s to %s", prefix, current or "nothing", head)
