"""`Store`: event claims, public artefacts per thread, the fingerprint index, channel profiles, reply details.

Uniqueness is enforced by the database (primary keys + `INSERT ... ON CONFLICT DO NOTHING`),
never by a read-then-write race, so several bot processes sharing one database claim each
event once. Private keys never reach this module: only public PEM (CSR, certificate, public
key) is stored, and the fingerprint index holds hashes, names and where/when something was
posted. Every method is one short transaction on a pooled connection; the store is
thread-safe and recovers by itself when the database comes back (bot.store.engine).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.memory import Fingerprint
from bot.store import migrate
from bot.store.checkpoint import DEFAULT_INTERVAL, DEFAULT_RESTART_PAGES, WalCheckpointer
from bot.store.engine import open_engine, sqlite_path
from bot.store.erase import Erasing
from bot.store.fingerprints import (
    fingerprint,
    fingerprint_row,
    fingerprint_select,
    lookup_values,
    related_select,
)
from bot.store.lockstats import LockStats
from bot.store.maintenance import TableMaintenance
from bot.store.rows import NewDetail, StoredArtefact, StoredDetail, thread_artefact_row
from bot.store.schema import Tables, check_prefix, tables
from bot.store.transactions import ThreadTransactions
from bot.store.upkeep import Upkeep
from bot.store.writelock import WriteLock


class Store(Erasing):
    """Thread-safe access to the bot's tables. Create with `Store.open(database_url)`."""

    def __init__(
        self,
        database_url: str,
        table_prefix: str = "certmatch_",
        *,
        prepared_statements: bool = True,
        write_lock_stats: bool = False,
    ) -> None:
        check_prefix(table_prefix)
        self.tables: Tables = tables(table_prefix)
        self._sqlite_file = sqlite_path(database_url)
        self.engine: Engine = open_engine(database_url, prepared_statements=prepared_statements)
        # Statements built once and executed with parameters: building a Core statement cost
        # more CPU than running it (bench profile, issue 17), and a multi-row VALUES insert
        # was compiled anew each time, while an executemany of one INSERT is compiled once.
        self.statements: dict[Any, Any] = {}
        # What a thread does inside `transaction()` shares one connection and one commit.
        self._write_lock = (
            WriteLock(self._sqlite_file, LockStats() if write_lock_stats else None)
            if self._sqlite_file is not None
            else None
        )
        self._transactions = ThreadTransactions(self.engine, self._write_lock)
        # A store dropped without close() (tests open many) still closes its connections.
        weakref.finalize(self, self.engine.dispose)

    @classmethod
    def open(
        cls,
        database_url: str,
        table_prefix: str = "certmatch_",
        *,
        prepared_statements: bool = True,
        write_lock_stats: bool = False,
    ) -> Store:
        store = cls(
            database_url,
            table_prefix,
            prepared_statements=prepared_statements,
            write_lock_stats=write_lock_stats,
        )
        store.create_tables()
        return store

    @property
    def backend(self) -> str:
        return "sqlite" if self._sqlite_file is not None else "postgresql"

    def insert(self, table: Any) -> Any:
        """The dialect's INSERT (sqlite.Insert or postgresql.Insert, for `on_conflict_do_nothing`)."""
        if self._sqlite_file is not None:
            return sqlite.insert(table)
        return postgresql.insert(table)

    # -- transactions (bot.store.transactions) ---------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """One connection and one commit for everything this thread does through the store inside."""
        return self._transactions.transaction()

    def reads(self) -> AbstractContextManager[None]:
        """Reads that share a connection where that costs nothing (bot.store.transactions)."""
        return self._transactions.reads()

    def begin(self) -> AbstractContextManager[Connection]:
        """A connection to write with: the thread's transaction, else one of its own."""
        return self._transactions.begin()

    def connect(self) -> AbstractContextManager[Connection]:
        """A connection to read with: the thread's transaction, else one of its own (autocommit)."""
        return self._transactions.connect()

    def single(self) -> AbstractContextManager[Connection]:
        """A connection for exactly one statement, committed by itself (no BEGIN and COMMIT)."""
        return self._transactions.single()

    def wal_checkpointer(
        self, interval: float = DEFAULT_INTERVAL, restart_pages: int = DEFAULT_RESTART_PAGES
    ) -> WalCheckpointer | None:
        """SQLite: a thread to checkpoint the WAL outside the commits (bot.store.checkpoint), not
        started; None on PostgreSQL. A process that writes a lot runs one (bot.wiring)."""
        if self._write_lock is None:
            return None
        return WalCheckpointer(self._write_lock, interval, restart_pages)

    def upkeep(self) -> Upkeep[Any]:
        """The thread a process that writes a lot runs beside its workers (bot.wiring), not
        started: on SQLite the WAL checkpointer, on PostgreSQL the tables' VACUUM and ANALYZE
        (bot.store.maintenance)."""
        checkpointer = self.wal_checkpointer()
        if checkpointer is not None:
            return checkpointer
        return TableMaintenance(self.engine, [t.name for t in self.tables.metadata.sorted_tables])

    def log_write_lock_stats(self) -> None:
        """Log the write lock's holds so far, when CERTMATCH_WRITE_LOCK_STATS is on (SQLite)."""
        if self._write_lock is not None and self._write_lock.stats is not None:
            self._write_lock.stats.log()

    # -- schema -------------------------------------------------------------------------------

    def create_tables(self) -> None:
        """Create or migrate the tables (Alembic, under a lock); safe when several processes start at once."""
        migrate.upgrade(self.engine, self.tables.prefix, self._sqlite_file)

    def drop_tables(self) -> None:
        """Remove this prefix's tables, the migration version included (tests clean up with it)."""
        with self.engine.begin() as conn:
            self.tables.metadata.drop_all(conn)
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.tables.prefix}alembic_version")

    def close(self) -> None:
        """Close the pooled connections (the store stays usable: it reconnects)."""
        self.engine.dispose()

    # -- events ---------------------------------------------------------------------------------

    def claim(self, key: str, now: float | None = None, *, team: str | None = None) -> bool:
        """True the first time `key` is claimed, by any process sharing the database; else False.

        `team` is recorded so an uninstall deletes the workspace's claims too.
        """
        row = {"event_key": key, "seen_at": time.time() if now is None else now, "team": team}
        with self.begin() as conn:
            result = conn.execute(self.insert_new(self.tables.events), row)
        return result.rowcount == 1

    # -- thread memory --------------------------------------------------------------------------

    def add_thread_artefacts(
        self, team: str, channel: str, thread_ts: str, artefacts: Sequence[StoredArtefact]
    ) -> int:
        """Remember public artefacts for a thread; ones already remembered are skipped."""
        return self.add_artefacts_of_threads([((team, channel, thread_ts), artefacts)])

    def add_artefacts_of_threads(
        self, threads: Sequence[tuple[tuple[str, str, str], Sequence[StoredArtefact]]]
    ) -> int:
        """`add_thread_artefacts` for several threads, each (team, channel, thread_ts), in one statement."""
        rows = [
            thread_artefact_row(team, channel, thread_ts, art)
            for (team, channel, thread_ts), artefacts in threads
            for art in artefacts
        ]
        return self._insert_new(self.tables.thread_artefacts, rows)

    def thread_artefacts(self, team: str, channel: str, thread_ts: str) -> list[StoredArtefact]:
        stmt = self.statements.get("thread_artefacts")
        if stmt is None:
            t = self.tables.thread_artefacts
            stmt = self.statements["thread_artefacts"] = (
                select(
                    t.c.kind,
                    t.c.source,
                    t.c.public_pem,
                    t.c.spki_sha256,
                    t.c.modulus_md5,
                    t.c.subject,
                    t.c.message_ts,
                    t.c.posted_at,
                )
                .where(
                    t.c.team == bindparam("team"),
                    t.c.channel == bindparam("channel"),
                    t.c.thread_ts == bindparam("thread_ts"),
                )
                .order_by(t.c.posted_at, t.c.source)
            )
        params = {"team": team, "channel": channel, "thread_ts": thread_ts}
        with self.connect() as conn:
            return [StoredArtefact(*row) for row in conn.execute(stmt, params)]

    # -- fingerprint index ----------------------------------------------------------------------

    def add_fingerprints(self, rows: Sequence[Fingerprint]) -> int:
        """Index public fingerprints; the same artefact in the same message is indexed once."""
        values = [fingerprint_row(row) for row in rows]
        return self._insert_new(self.tables.fingerprints, values)

    def related_fingerprints(
        self,
        probe: Fingerprint,
        *,
        channel: str | None = None,
        since: float = 0.0,
        public_elsewhere: bool = False,
        answers: dict[Any, list[Fingerprint]] | None = None,
    ) -> list[Fingerprint]:
        """Rows in `probe`'s workspace sharing its key, its CN or its SAN set, posted at or after `since`.

        `channel` narrows the lookup to one channel; `public_elsewhere` to the probe's own
        channel and public internal channels, so rows the privacy rule would hide never take
        a place under the lookup's limit (bot.privacy still decides). The rules in bot.memory
        decide what the rows mean; this only fetches candidates through the indexes.
        `answers` keeps one check's answers by what was asked (bot.recall): a CSR and its
        certificate share their key and names, so the second lookup reads nothing.
        """
        values = lookup_values(probe)
        if not values:
            return []
        shape = ("related", tuple(values), channel is not None, public_elsewhere)
        stmt = self.statements.get(shape)
        if stmt is None:
            stmt = self.statements[shape] = related_select(
                self.tables.fingerprints, *shape[1:], sqlite=self.backend == "sqlite"
            )
        params = {**values, "team": probe.team, "since": since, "here": probe.channel}
        if channel is not None:
            params["channel"] = channel
        # Not `since`: within one check it moves by microseconds, not by a row.
        asked = (shape, *(v for k, v in params.items() if k != "since"))
        if answers is not None and asked in answers:
            return answers[asked]
        with self.connect() as conn:
            found = [fingerprint(r) for r in conn.execute(stmt, params)]
        if answers is not None:
            answers[asked] = found
        return found

    def channel_fingerprints(self, team: str, channel: str) -> list[Fingerprint]:
        """Every index row from one channel, oldest first (tests and `forget` checks)."""
        f = self.tables.fingerprints
        stmt = (
            fingerprint_select(f)
            .where(f.c.team == team, f.c.channel == channel)
            .order_by(f.c.posted_at, f.c.message_ts)
        )
        with self.connect() as conn:
            return [fingerprint(r) for r in conn.execute(stmt)]

    # -- reply details (behind the buttons) -----------------------------------------------------

    def save_detail(
        self,
        key: str,
        detail: str,
        ca_note: str | None,
        *,
        team: str | None = None,
        channel: str | None = None,
        now: float | None = None,
    ) -> None:
        """Keep a reply's long form; team/channel let `/certmatch forget` find it again."""
        created_at = time.time() if now is None else now
        self.save_details([NewDetail(key, detail, ca_note, team, channel, created_at)])

    def save_details(self, details: Sequence[NewDetail]) -> None:
        """`save_detail` for several replies, in one statement."""
        rows = [
            {
                "detail_key": d.key,
                "detail": d.detail,
                "ca_note": d.ca_note,
                "created_at": d.created_at,
                "team": d.team,
                "channel": d.channel,
            }
            for d in details
        ]
        self._insert_new(self.tables.details, rows)

    def detail(self, key: str) -> StoredDetail | None:
        """A reply's details; `forgotten_at` is set (and the text empty) after `/certmatch forget`."""
        d = self.tables.details
        stmt = select(d.c.detail, d.c.ca_note, d.c.forgotten_at).where(d.c.detail_key == key)
        with self.connect() as conn:
            row = conn.execute(stmt).first()
        return StoredDetail(row[0], row[1], row[2]) if row is not None else None

    # -- retention ------------------------------------------------------------------------------

    def purge(self, older_than: float, now: float | None = None) -> int:
        """Delete everything recorded before `older_than` (epoch seconds); safe from any process.

        Jobs still queued are kept whatever their age: they are answers owed. A watched
        certificate's index row, its names and its reminders are kept until its notAfter plus
        a day (`keep_until`, issue 16), past the window; its PEM is not.
        """
        t = self.tables
        now = time.time() if now is None else now
        f, w = t.fingerprints, t.watched_certificates
        still_watched = (
            select(w.c.cert_key)
            .where(
                w.c.team == f.c.team,
                w.c.channel == f.c.channel,
                w.c.message_ts == f.c.message_ts,
                w.c.key_id == f.c.key_id,
                w.c.keep_until >= now,
            )
            .exists()
        )
        total = 0
        # Its own transaction, never the thread's: an hour's deletions are not a job's to roll back.
        with self.engine.begin() as conn:
            for table, condition in (
                (t.events, t.events.c.seen_at < older_than),
                (t.thread_artefacts, t.thread_artefacts.c.posted_at < older_than),
                (f, and_(f.c.posted_at < older_than, ~still_watched)),
                (t.details, t.details.c.created_at < older_than),
                (t.replies, t.replies.c.claimed_at < older_than),
                (t.reminders, t.reminders.c.keep_until < now),
                (w, w.c.keep_until < now),
            ):
                total += max(conn.execute(delete(table).where(condition)).rowcount, 0)
            total += max(
                conn.execute(
                    delete(t.jobs).where(t.jobs.c.state == "done", t.jobs.c.created_at < older_than)
                ).rowcount,
                0,
            )
        return total

    def count(self, table: Any) -> int:
        """Rows in one of this store's tables (tests and the benchmark count writes)."""
        with self.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    # -- internals ------------------------------------------------------------------------------

    def _insert_new(self, table: Any, rows: Sequence[dict[str, Any]]) -> int:
        """Insert the rows whose key is new, in one transaction; return how many were new."""
        if not rows:
            return 0
        with self.begin() as conn:
            return max(conn.execute(self.insert_new(table), list(rows)).rowcount, 0)

    def insert_new(self, table: Any) -> Any:
        """`INSERT ... ON CONFLICT DO NOTHING` into `table`, built once; execute it with rows."""
        stmt = self.statements.get(("insert", table.name))
        if stmt is None:
            stmt = self.statements[("insert", table.name)] = self.insert(
                table
            ).on_conflict_do_nothing()
        return stmt
