"""PostgreSQL's routine maintenance of the bot's own tables, where autovacuum does not do it: ANALYZE as a table grows, VACUUM as dead or new rows pile up.

**ANALYZE.** The bot's statements are prepared on the server (bot.store.engine), and
PostgreSQL plans a prepared statement with its values for its first five runs on a
connection, then keeps one generic plan when that plan is estimated no dearer. The generic
plan skips the planning: the fingerprint lookup costs the server 0.09-0.17 ms a run against
0.48-0.50 ms planned each time (issue 17, docs/performance.md). But a plan chosen while the
tables were young (a new install, the benchmark's fresh database, no statistics yet) stays
after they have grown: the lookups went from 0.4 to 1.8 ms a run within 4,000 jobs. New
statistics make PostgreSQL plan its cached statements again, with the tables as they are. A
table is analyzed once `50 + 1.0 x rows` of it changed (the rows it held at its last
ANALYZE): a plan goes wrong when a table grows from a few pages to thousands, not by a
tenth, and a table that keeps growing is then analyzed about log2(its size) times in all
(with autovacuum's tenth, under the sustained benchmark, every table was analyzed every 5-7
s, a few percent of a core).

**VACUUM.** A job is a row updated twice (taken, finished), each time into a new version
whose old one stays, in the table and in each of its indexes, until a VACUUM. The take
walks the ready index from its oldest entry (bot.jobs.queue), so with no VACUUM it walked
every job ever taken: 265 pages a take and 0.74 ms of the server after 4 minutes at 200/s,
against 48 pages and 0.10 ms with one, and the count of waiting jobs 3.8 against 0.06 ms;
answered per 10 s fell from 2,100 to 1,700 with the bot unchanged (issue 17). A table is
vacuumed once its dead rows reach `50 + 0.05 x rows` (autovacuum waits for a fifth; a queue
wants it sooner, and a VACUUM of the jobs table costs a few milliseconds: it reads the
pages changed since the last one and its three indexes), or once `1000 + 0.2 x rows` were
inserted since its last VACUUM (autovacuum's own rule since PostgreSQL 13, which keeps the
visibility map and the hint bits of a table that only grows up to date).

Where autovacuum runs, it mostly gets there first and a round finds little to do; where it
is off (as on the benchmark's machine, or a database tuned for bulk loads) nothing else
would. A table autovacuum is working on is skipped (SKIP_LOCKED), not waited for. Of several
processes on one database one maintains at a time (an advisory lock), the others skip the
round; the tables another role owns are left to it.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, column, func, select, table, text
from sqlalchemy.exc import SQLAlchemyError

from bot.store.upkeep import Upkeep

# Seconds between rounds: a young table is analyzed within this of reaching the threshold.
DEFAULT_INTERVAL = 5.0
# ANALYZE: autovacuum's base threshold (autovacuum_analyze_threshold); the scale factor ten
# times its autovacuum_analyze_scale_factor: a table is analyzed again once it has doubled.
_ANALYZE_BASE = 50
_ANALYZE_SCALE = 1.0
# VACUUM for dead rows: autovacuum_vacuum_threshold, and a quarter of its scale factor.
_DEAD_BASE = 50
_DEAD_SCALE = 0.05
# VACUUM for inserted rows: autovacuum_vacuum_insert_threshold and its scale factor.
_INSERTED_BASE = 1000
_INSERTED_SCALE = 0.2
# High half of the pg_try_advisory_lock key ("stat", as before VACUUM joined ANALYZE, so a
# process of the last release and one of this one still take turns; the migrations' key is
# "cert", bot.store.migrate); the low half names the tables, so stores of two table prefixes
# in one database do not skip each other's rounds.
_MAINTENANCE_LOCK_KEY = 0x7374_6174

_STATS = table(
    "pg_stat_user_tables",
    column("relid"),
    column("relname"),
    column("schemaname"),
    column("n_mod_since_analyze"),
    column("n_dead_tup"),
    column("n_ins_since_vacuum"),
)
# reltuples: the rows at the last ANALYZE or VACUUM, -1 before the first.
_CLASS = table("pg_class", column("oid"), column("reltuples"), column("relowner"))


@dataclass(frozen=True, slots=True)
class Maintained:
    """The tables a round analyzed and those it vacuumed (a table may be in both)."""

    analyzed: tuple[str, ...] = ()
    vacuumed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.analyzed or self.vacuumed)


class TableMaintenance(Upkeep[Maintained]):
    """VACUUM and ANALYZE `tables` (names in the connection's schema) as they change; a thread once started."""

    thread_name = "certmatch-maintenance"
    failures = (SQLAlchemyError,)
    failure_words = "table maintenance (VACUUM, ANALYZE) not done"
    round_at_start = True  # tables a process finds grown and never analyzed: at once

    def __init__(
        self, engine: Engine, tables: Sequence[str], interval: float = DEFAULT_INTERVAL
    ) -> None:
        super().__init__(interval)
        # VACUUM may not run inside a transaction: every statement of a round commits alone.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._tables = list(tables)
        self.lock_key = _MAINTENANCE_LOCK_KEY << 32 | zlib.crc32(",".join(sorted(tables)).encode())

    def round(self) -> Maintained:
        """VACUUM and ANALYZE the tables past their thresholds now; what was done (nothing when
        another process holds the lock)."""
        held = func.greatest(_CLASS.c.reltuples, 0)
        due = (
            select(
                _STATS.c.relname,
                _STATS.c.n_mod_since_analyze >= _ANALYZE_BASE + _ANALYZE_SCALE * held,
                (_STATS.c.n_dead_tup >= _DEAD_BASE + _DEAD_SCALE * held)
                | (_STATS.c.n_ins_since_vacuum >= _INSERTED_BASE + _INSERTED_SCALE * held),
            )
            .join(_CLASS, _CLASS.c.oid == _STATS.c.relid)
            .where(
                _STATS.c.schemaname == func.current_schema(),
                _STATS.c.relname.in_(self._tables),
                # Only a table's owner may maintain it: another role's VACUUM or ANALYZE only
                # warns, in the server's log, at every round.
                func.pg_has_role(_CLASS.c.relowner, "USAGE"),
            )
            .order_by(_STATS.c.relname)
        )
        with self._engine.connect() as conn:
            # A session lock (a transaction's would end with the first statement): released
            # below, or with the connection if the process dies in between.
            if not conn.execute(select(func.pg_try_advisory_lock(self.lock_key))).scalar():
                return Maintained()
            try:
                rows = [(str(n), bool(a), bool(v)) for n, a, v in conn.execute(due)]
                analyze = [n for n, a, v in rows if a and not v]
                vacuum = [n for n, a, v in rows if v and not a]
                both = [n for n, a, v in rows if a and v]
                # Each command's lock on its tables lets reads and writes go on.
                for command, names in (
                    ("ANALYZE (SKIP_LOCKED)", analyze),
                    ("VACUUM (SKIP_LOCKED)", vacuum),
                    ("VACUUM (SKIP_LOCKED, ANALYZE)", both),
                ):
                    if names:
                        conn.execute(text(f"{command} {self._quoted(names)}"))
            finally:
                conn.execute(select(func.pg_advisory_unlock(self.lock_key)))
        return Maintained(tuple(sorted(analyze + both)), tuple(sorted(vacuum + both)))

    def _quoted(self, names: Sequence[str]) -> str:
        quote = self._engine.dialect.identifier_preparer.quote
        return ", ".join(quote(n) for n in names)
