"""The bot's state in one database (SQLite by default, PostgreSQL for several instances), on SQLAlchemy Core.

`Store.open(url, prefix)` migrates the tables and returns the store; `bot.jobs.JobQueue` keeps
its queue in the same database through `Store.engine` and `Store.tables`.
"""

from __future__ import annotations

from bot.store.engine import PG_POOL_SIZE
from bot.store.rows import NewDetail, StoredArtefact, StoredDetail, storable
from bot.store.store import Store

__all__ = ["PG_POOL_SIZE", "NewDetail", "Store", "StoredArtefact", "StoredDetail", "storable"]
