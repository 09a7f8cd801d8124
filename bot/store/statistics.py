"""PostgreSQL's planner statistics of the bot's own tables kept in step with their growth: a table that changed by as many rows as it held at its last ANALYZE is analyzed again.

The bot's statements are prepared on the server (bot.store.engine), and PostgreSQL plans a
prepared statement with its values for its first five runs on a connection, then keeps one
generic plan when that plan is estimated no dearer. The generic plan skips the planning: the
fingerprint lookup (a UNION of one indexed branch per key or name) costs the server
0.09-0.17 ms a run against 0.48-0.50 ms planned each time (issue 17, docs/performance.md).
But a plan chosen while the tables were young (a new install, the benchmark's fresh
database, no statistics yet) stays after they have grown: the lookups went from 0.4 to 1.8
ms a run within 4,000 jobs. New statistics make PostgreSQL plan its cached statements again,
with the tables as they are. Autovacuum analyzes a table once `50 + 0.1 x rows` of it
changed, about once a minute at most; where it is off (as on the benchmark's machine), or
before its first round on a new install, nothing would. This thread analyzes a table once
`50 + 1.0 x rows` of it changed (the rows it held at its last ANALYZE), checked every
`interval` seconds: a plan goes wrong when a table grows from a few pages to thousands, not
by a tenth, and a table that keeps growing is then analyzed about log2(its size) times in
all, not every few seconds (under the sustained benchmark, with a tenth, every table was
analyzed every 5-7 s, a few percent of a core). A table autovacuum has just analyzed is left
alone; of several processes on one database one analyzes at a time (an advisory lock), the
others skip the round.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from sqlalchemy import Engine, column, func, select, table, text
from sqlalchemy.exc import SQLAlchemyError

from bot.store.upkeep import Upkeep

# Seconds between rounds: a young table is analyzed within this of reaching the threshold.
DEFAULT_INTERVAL = 5.0
# Autovacuum's base threshold (autovacuum_analyze_threshold); the scale factor ten times its
# autovacuum_analyze_scale_factor: a table is analyzed again once it has about doubled.
_BASE_THRESHOLD = 50
_SCALE_FACTOR = 1.0
# High half of the pg_try_advisory_xact_lock key ("stat"; the migrations' key is "cert",
# bot.store.migrate); the low half names the tables, so stores of two table prefixes in one
# database do not skip each other's rounds.
_ANALYZE_LOCK_KEY = 0x7374_6174

_STATS = table(
    "pg_stat_user_tables",
    column("relid"),
    column("relname"),
    column("schemaname"),
    column("n_mod_since_analyze"),
)
# reltuples: the rows at the last ANALYZE (or VACUUM), -1 before the first.
_CLASS = table("pg_class", column("oid"), column("reltuples"), column("relowner"))


class PlannerStatistics(Upkeep[list[str]]):
    """ANALYZE `tables` (names in the connection's schema) as they grow; a thread once started."""

    thread_name = "certmatch-analyze"
    failures = (SQLAlchemyError,)
    failure_words = "planner statistics not refreshed"
    round_at_start = True  # tables a process finds grown and never analyzed: at once

    def __init__(
        self, engine: Engine, tables: Sequence[str], interval: float = DEFAULT_INTERVAL
    ) -> None:
        super().__init__(interval)
        self._engine = engine
        self._tables = list(tables)
        self.lock_key = _ANALYZE_LOCK_KEY << 32 | zlib.crc32(",".join(sorted(tables)).encode())

    def round(self) -> list[str]:
        """Analyze the tables past the threshold now; the names analyzed (none when another
        process holds the lock)."""
        held = func.greatest(_CLASS.c.reltuples, 0)
        changed = (
            select(_STATS.c.relname)
            .join(_CLASS, _CLASS.c.oid == _STATS.c.relid)
            .where(
                _STATS.c.schemaname == func.current_schema(),
                _STATS.c.relname.in_(self._tables),
                _STATS.c.n_mod_since_analyze >= _BASE_THRESHOLD + _SCALE_FACTOR * held,
                # Only a table's owner may analyze it: another role's ANALYZE only warns, in
                # the server's log, at every round.
                func.pg_has_role(_CLASS.c.relowner, "USAGE"),
            )
            .order_by(_STATS.c.relname)
        )
        with self._engine.begin() as conn:
            if not conn.execute(select(func.pg_try_advisory_xact_lock(self.lock_key))).scalar():
                return []
            names = [str(name) for (name,) in conn.execute(changed)]
            if names:
                quote = self._engine.dialect.identifier_preparer.quote
                # Inside the transaction (ANALYZE may run in one; VACUUM may not): its lock on
                # each table lets reads and writes go on, and the advisory lock ends with it.
                conn.execute(text("ANALYZE " + ", ".join(quote(n) for n in names)))
        return names
