"""The bot's state: event de-duplication, public artefacts per thread, the fingerprint index, channel profiles, reply details.

One small module over two backends: a SQLite file by default (nothing to start) and PostgreSQL
(psycopg 3) when DATABASE_URL says so. Connections are kept between statements: one per thread
for SQLite (Bolt's and gunicorn's worker threads are pooled, so that is a handful), a pool of
at most PG_POOL_SIZE per process for PostgreSQL. A connection that fails is thrown away and the
next statement opens a new one, so the store recovers by itself when the database comes back.
Uniqueness is enforced by the database (primary keys + `ON CONFLICT DO NOTHING`), never by a
read-then-write race, so several bot processes sharing one database reply once per event.
Private keys never reach this module: only public PEM (CSR, certificate, public key) is stored,
and the fingerprint index holds hashes, names and where/when something was posted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bot.memory import Fingerprint
from certmatch import Artefact, ArtefactKind

_PREFIX_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
# Key for pg_advisory_xact_lock so several processes starting at once create tables one at a time.
_SCHEMA_LOCK_KEY = 0x6365_7274  # "cert"
_TABLES = ("events", "thread_artefacts", "fingerprints", "channel_profiles", "details")
# Columns added after a table first shipped: (table, column, type). Added under the schema lock.
_ADDED_COLUMNS = (("details", "team", "TEXT"), ("details", "channel", "TEXT"))
_FINGERPRINT_COLUMNS = (
    "kind, spki_sha256, modulus_md5, key_id, common_name, san_set, is_ca, team, channel, "
    "thread_ts, message_ts, poster, posted_at"
)
# Open PostgreSQL connections per process at most. Kept small: a hobby-tier database allows
# 20 connections in all, and gunicorn runs two workers (plus any other instance).
PG_POOL_SIZE = 5
# How long a statement waits for a free PostgreSQL connection before failing.
_PG_POOL_WAIT_SECONDS = 30.0
# One lookup never reads more rows than this (a workspace that posts the same CSR all day).
_LOOKUP_LIMIT = 200


@dataclass(frozen=True, slots=True)
class StoredArtefact:
    """A public artefact remembered for a thread. `public_pem` never holds private material."""

    kind: str  # ArtefactKind value
    source: str
    public_pem: str
    spki_sha256: str | None
    modulus_md5: str | None
    subject: str | None
    message_ts: str
    posted_at: float


@dataclass(frozen=True, slots=True)
class StoredDetail:
    """The long form of one reply (full decode, chain, commands) and the note to the CA."""

    detail: str
    ca_note: str | None


def storable(artefact: Artefact, message_ts: str, posted_at: float) -> StoredArtefact | None:
    """The row to remember for an artefact, or None: private keys are never stored, not even public halves."""
    if artefact.kind is ArtefactKind.PRIVATE_KEY or not artefact.public_pem:
        return None
    if "PRIVATE KEY" in artefact.public_pem:
        # Defence in depth: the engine promises public material only; refuse anything else.
        return None
    return StoredArtefact(
        kind=artefact.kind.value,
        source=artefact.source,
        public_pem=artefact.public_pem,
        spki_sha256=artefact.key.spki_sha256,
        modulus_md5=artefact.key.modulus_md5,
        subject=artefact.subject,
        message_ts=message_ts,
        posted_at=posted_at,
    )


class Store:
    """Thread-safe access to the bot's tables. Create with `Store.open(database_url)`."""

    def __init__(self, database_url: str, table_prefix: str = "certmatch_") -> None:
        if not _PREFIX_RE.match(table_prefix):
            raise ValueError(f"table prefix {table_prefix!r} must be lowercase letters, digits, _")
        self._prefix = table_prefix
        scheme = database_url.split(":", 1)[0].lower()
        if scheme in ("postgres", "postgresql"):
            # libpq accepts both schemes; normalise Heroku's older form anyway for clear logs.
            self._pg_url: str | None = "postgresql:" + database_url.split(":", 1)[1]
            self._sqlite_path: str | None = None
        elif database_url.startswith("sqlite:///"):
            self._pg_url = None
            self._sqlite_path = database_url[len("sqlite:///") :]
        else:
            raise ValueError("database URL must be sqlite:///path or postgresql://...")
        # SQLite: one open connection per thread (thread ident -> connection), opened on first
        # use. PostgreSQL: a small shared pool (each connection is a server process). Opening
        # one per statement cost more than the statements (a claim: 1.3 ms vs 0.02 ms).
        self._pg_pool = _PgPool(self._pg_url, PG_POOL_SIZE) if self._pg_url else None
        self._conns: dict[int, tuple[sqlite3.Connection, tuple[int, int] | None]] = {}
        self._conns_lock = threading.Lock()
        self._pid = os.getpid()
        # SQLite connections inherited across a fork belong to the parent: never used or closed
        # here; kept so they are not freed.
        self._inherited: list[object] = []
        weakref.finalize(self, _close_all, self._conns, self._pg_pool)

    @classmethod
    def open(cls, database_url: str, table_prefix: str = "certmatch_") -> Store:
        store = cls(database_url, table_prefix)
        store.create_tables()
        return store

    @property
    def backend(self) -> str:
        return "postgresql" if self._pg_url else "sqlite"

    # -- schema -------------------------------------------------------------------------------

    def _table_sql(self) -> list[str]:
        p = self._prefix
        real = "DOUBLE PRECISION" if self._pg_url else "REAL"
        return [
            f"""CREATE TABLE IF NOT EXISTS {p}events (
                event_key TEXT PRIMARY KEY,
                seen_at {real} NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {p}thread_artefacts (
                team TEXT NOT NULL,
                channel TEXT NOT NULL,
                thread_ts TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                kind TEXT NOT NULL,
                source TEXT NOT NULL,
                subject TEXT,
                spki_sha256 TEXT,
                modulus_md5 TEXT,
                public_pem TEXT NOT NULL,
                message_ts TEXT NOT NULL,
                posted_at {real} NOT NULL,
                PRIMARY KEY (team, channel, thread_ts, fingerprint))""",
            # The fingerprint index (issue 4): one row per public artefact per message, private
            # keys by their public identity only. No PEM, no message text.
            f"""CREATE TABLE IF NOT EXISTS {p}fingerprints (
                row_key TEXT PRIMARY KEY,
                team TEXT NOT NULL,
                channel TEXT NOT NULL,
                thread_ts TEXT NOT NULL,
                message_ts TEXT NOT NULL,
                poster TEXT,
                kind TEXT NOT NULL,
                spki_sha256 TEXT,
                modulus_md5 TEXT,
                key_id TEXT,
                common_name TEXT,
                san_set TEXT NOT NULL,
                is_ca INTEGER NOT NULL,
                posted_at {real} NOT NULL)""",
            f"CREATE INDEX IF NOT EXISTS {p}fp_key ON {p}fingerprints (team, key_id)",
            f"CREATE INDEX IF NOT EXISTS {p}fp_md5 ON {p}fingerprints (team, modulus_md5)",
            f"CREATE INDEX IF NOT EXISTS {p}fp_spki ON {p}fingerprints (team, spki_sha256)",
            f"CREATE INDEX IF NOT EXISTS {p}fp_cn ON {p}fingerprints (team, common_name)",
            f"CREATE INDEX IF NOT EXISTS {p}fp_sans ON {p}fingerprints (team, san_set)",
            f"CREATE INDEX IF NOT EXISTS {p}fp_channel ON {p}fingerprints (team, channel)",
            f"CREATE INDEX IF NOT EXISTS {p}fp_time ON {p}fingerprints (posted_at)",
            f"""CREATE TABLE IF NOT EXISTS {p}channel_profiles (
                team TEXT NOT NULL,
                channel TEXT NOT NULL,
                profile TEXT NOT NULL,
                updated_at {real} NOT NULL,
                PRIMARY KEY (team, channel))""",
            f"""CREATE TABLE IF NOT EXISTS {p}details (
                detail_key TEXT PRIMARY KEY,
                detail TEXT NOT NULL,
                ca_note TEXT,
                created_at {real} NOT NULL)""",
        ]

    def create_tables(self) -> None:
        """Create or migrate the tables; safe when several processes start at once.

        PostgreSQL: one transaction under an advisory lock, so concurrent CREATE/ALTER never
        collide (CREATE TABLE IF NOT EXISTS alone can still fail on pg_type when two race).
        SQLite: BEGIN IMMEDIATE takes the write lock before the columns are inspected.
        """
        if self._pg_url:
            with psycopg.connect(self._pg_url) as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
                for sql in self._table_sql():
                    conn.execute(sql)  # names come from a validated prefix
                for table, column, sql_type in _ADDED_COLUMNS:
                    conn.execute(
                        f"ALTER TABLE {self._prefix}{table} "
                        f"ADD COLUMN IF NOT EXISTS {column} {sql_type}"
                    )
            return
        assert self._sqlite_path is not None
        Path(self._sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        # WAL (set on every connection) lets several processes read while one writes; the
        # unique keys do the rest.
        with self._sqlite() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                for sql in self._table_sql():
                    db.execute(sql)
                for table, column, sql_type in _ADDED_COLUMNS:
                    have = {
                        row[1] for row in db.execute(f"PRAGMA table_info({self._prefix}{table})")
                    }
                    if column not in have:
                        db.execute(
                            f"ALTER TABLE {self._prefix}{table} ADD COLUMN {column} {sql_type}"
                        )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def drop_tables(self) -> None:
        """Remove this prefix's tables (tests clean up with it)."""
        for name in _TABLES:
            self._execute(f"DROP TABLE IF EXISTS {self._prefix}{name}")

    # -- connections ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close every connection this store opened (the store stays usable: it reconnects)."""
        _close_all(self._conns, self._pg_pool)

    def _connect_sqlite(self) -> sqlite3.Connection:
        assert self._sqlite_path is not None
        # timeout = busy_timeout: a writer waits up to 30 s for another process's lock instead
        # of failing. check_same_thread is off only so close() may close it from another
        # thread; each connection is used by the one thread it belongs to.
        conn = sqlite3.connect(
            self._sqlite_path, timeout=30, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            # Safe with WAL: a power cut can lose the last few committed transactions but never
            # corrupts the file (SQLite's documentation on synchronous=NORMAL in WAL mode). A
            # lost event claim only risks one duplicate reply after a power cut; a lost artefact
            # or index row is forgotten memory. FULL made every commit an fsync (1.3 ms each).
            conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _sqlite(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection of its own (schema work), closed afterwards."""
        conn = self._connect_sqlite()
        try:
            yield conn
        finally:
            conn.close()

    def _connection(self) -> sqlite3.Connection:
        """This thread's SQLite connection, reopened if the file was replaced or removed."""
        assert self._sqlite_path is not None
        pid = os.getpid()
        ident = threading.get_ident()
        with self._conns_lock:
            if pid != self._pid:
                self._inherited.extend(self._conns.values())
                self._conns.clear()
                self._pid = pid
            kept = self._conns.get(ident)
        if kept is not None:
            # A connection stays on the file it opened; if the path now names another file
            # (restored from a backup, moved away), reconnect, as one per statement did.
            if _file_id(self._sqlite_path) == kept[1]:
                return kept[0]
            self._drop(kept[0])
        new = self._connect_sqlite()
        file_id = _file_id(self._sqlite_path)
        with self._conns_lock:
            # Threads that ended leave their connection behind: close those now.
            alive = {t.ident for t in threading.enumerate()}
            for dead in [k for k in self._conns if k not in alive]:
                _close_quietly(self._conns.pop(dead)[0])
            self._conns[ident] = (new, file_id)
        return new

    def _drop(self, conn: sqlite3.Connection) -> None:
        with self._conns_lock:
            kept = self._conns.get(threading.get_ident())
            if kept is not None and kept[0] is conn:
                del self._conns[threading.get_ident()]
        _close_quietly(conn)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[int, list[Any]]:
        """Run one autocommitted statement on a kept connection; return (rowcount, rows)."""
        if self._pg_pool is not None:
            return self._pg_pool.run(sql.replace("?", "%s"), params)
        conn = self._connection()
        try:
            scur = conn.execute(sql, tuple(params))
            return scur.rowcount, scur.fetchall()
        except sqlite3.Error:
            # The next statement starts from a new connection (as one per statement did).
            self._drop(conn)
            raise

    # -- events ---------------------------------------------------------------------------------

    def claim(self, key: str, now: float | None = None) -> bool:
        """True the first time `key` is claimed, by any process sharing the database; else False."""
        count, _ = self._execute(
            f"INSERT INTO {self._prefix}events (event_key, seen_at) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            (key, time.time() if now is None else now),
        )
        return count == 1

    # -- thread memory --------------------------------------------------------------------------

    def add_thread_artefacts(
        self, team: str, channel: str, thread_ts: str, artefacts: Sequence[StoredArtefact]
    ) -> int:
        """Remember public artefacts for a thread; ones already remembered are skipped."""
        added = 0
        for art in artefacts:
            if "PRIVATE KEY" in art.public_pem:
                raise ValueError("refusing to store private key material")
            fingerprint = hashlib.sha256(art.public_pem.encode("utf-8")).hexdigest()
            count, _ = self._execute(
                f"INSERT INTO {self._prefix}thread_artefacts (team, channel, thread_ts, "
                "fingerprint, kind, source, subject, spki_sha256, modulus_md5, public_pem, "
                "message_ts, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (
                    team,
                    channel,
                    thread_ts,
                    fingerprint,
                    art.kind,
                    art.source,
                    art.subject,
                    art.spki_sha256,
                    art.modulus_md5,
                    art.public_pem,
                    art.message_ts,
                    art.posted_at,
                ),
            )
            added += count
        return added

    def thread_artefacts(self, team: str, channel: str, thread_ts: str) -> list[StoredArtefact]:
        _, rows = self._execute(
            f"SELECT kind, source, public_pem, spki_sha256, modulus_md5, subject, message_ts, "
            f"posted_at FROM {self._prefix}thread_artefacts "
            "WHERE team = ? AND channel = ? AND thread_ts = ? ORDER BY posted_at, source",
            (team, channel, thread_ts),
        )
        return [StoredArtefact(*row) for row in rows]

    def forget_channel(self, team: str, channel: str) -> int:
        """Delete what was stored from one channel (`/certmatch forget`).

        Thread artefacts, fingerprint index rows and the details behind that channel's reply
        buttons. Returns how many artefacts were remembered (thread artefacts, or index rows
        where that is more, e.g. private key fingerprints). Event ids stay: they hold no
        content and keep a Slack retry from being answered twice.
        """
        artefacts, _ = self._execute(
            f"DELETE FROM {self._prefix}thread_artefacts WHERE team = ? AND channel = ?",
            (team, channel),
        )
        indexed, _ = self._execute(
            f"DELETE FROM {self._prefix}fingerprints WHERE team = ? AND channel = ?",
            (team, channel),
        )
        self._execute(
            f"DELETE FROM {self._prefix}details WHERE team = ? AND channel = ?", (team, channel)
        )
        return max(artefacts, indexed, 0)

    # -- fingerprint index ----------------------------------------------------------------------

    def add_fingerprints(self, rows: Sequence[Fingerprint]) -> int:
        """Index public fingerprints; the same artefact in the same message is indexed once."""
        added = 0
        for row in rows:
            row_key = hashlib.sha256(
                "\x1f".join(
                    (
                        row.team,
                        row.channel,
                        row.message_ts,
                        row.kind,
                        row.key_id or "",
                        row.modulus_md5 or "",
                        row.spki_sha256 or "",
                        row.common_name or "",
                        "\n".join(row.san_set),
                    )
                ).encode("utf-8")
            ).hexdigest()
            count, _ = self._execute(
                f"INSERT INTO {self._prefix}fingerprints (row_key, team, channel, thread_ts, "
                "message_ts, poster, kind, spki_sha256, modulus_md5, key_id, common_name, "
                "san_set, is_ca, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (
                    row_key,
                    row.team,
                    row.channel,
                    row.thread_ts,
                    row.message_ts,
                    row.poster,
                    row.kind,
                    row.spki_sha256,
                    row.modulus_md5,
                    row.key_id,
                    row.common_name,
                    "\n".join(row.san_set),
                    1 if row.is_ca else 0,
                    row.posted_at,
                ),
            )
            added += count
        return added

    def related_fingerprints(
        self,
        probe: Fingerprint,
        *,
        channel: str | None = None,
        since: float = 0.0,
    ) -> list[Fingerprint]:
        """Rows in `probe`'s workspace sharing its key, its CN or its SAN set, posted at or after `since`.

        `channel` narrows the lookup to one channel. The rules in bot.memory decide what the
        rows mean; this only fetches candidates through the indexes.
        """
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("key_id", probe.key_id),
            ("modulus_md5", probe.modulus_md5),
            ("spki_sha256", probe.spki_sha256),
            ("common_name", probe.common_name),
            ("san_set", "\n".join(probe.san_set) or None),
        ):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if not clauses:
            return []
        where = f"team = ? AND posted_at >= ? AND ({' OR '.join(clauses)})"
        head: list[Any] = [probe.team, since]
        if channel is not None:
            where += " AND channel = ?"
            params.append(channel)
        _, rows = self._execute(
            f"SELECT {_FINGERPRINT_COLUMNS} FROM {self._prefix}fingerprints WHERE {where} "
            f"ORDER BY posted_at DESC LIMIT {_LOOKUP_LIMIT}",
            (*head, *params),
        )
        return [_fingerprint_row(r) for r in rows]

    def channel_fingerprints(self, team: str, channel: str) -> list[Fingerprint]:
        """Every index row from one channel, oldest first (tests and `forget` checks)."""
        _, rows = self._execute(
            f"SELECT {_FINGERPRINT_COLUMNS} FROM {self._prefix}fingerprints "
            "WHERE team = ? AND channel = ? ORDER BY posted_at, message_ts",
            (team, channel),
        )
        return [_fingerprint_row(r) for r in rows]

    # -- channel profile ------------------------------------------------------------------------

    def channel_profile(self, team: str, channel: str) -> str | None:
        _, rows = self._execute(
            f"SELECT profile FROM {self._prefix}channel_profiles WHERE team = ? AND channel = ?",
            (team, channel),
        )
        return str(rows[0][0]) if rows else None

    def set_channel_profile(self, team: str, channel: str, profile: str) -> None:
        self._execute(
            f"INSERT INTO {self._prefix}channel_profiles (team, channel, profile, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (team, channel) DO UPDATE SET "
            "profile = excluded.profile, updated_at = excluded.updated_at",
            (team, channel, profile, time.time()),
        )

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
        self._execute(
            f"INSERT INTO {self._prefix}details (detail_key, detail, ca_note, created_at, team, "
            "channel) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (key, detail, ca_note, time.time() if now is None else now, team, channel),
        )

    def detail(self, key: str) -> StoredDetail | None:
        _, rows = self._execute(
            f"SELECT detail, ca_note FROM {self._prefix}details WHERE detail_key = ?", (key,)
        )
        return StoredDetail(rows[0][0], rows[0][1]) if rows else None

    # -- retention ------------------------------------------------------------------------------

    def purge(self, older_than: float) -> int:
        """Delete everything recorded before `older_than` (epoch seconds); safe from any process."""
        total = 0
        for table, column in (
            ("events", "seen_at"),
            ("thread_artefacts", "posted_at"),
            ("fingerprints", "posted_at"),
            ("details", "created_at"),
        ):
            count, _ = self._execute(
                f"DELETE FROM {self._prefix}{table} WHERE {column} < ?", (older_than,)
            )
            total += max(count, 0)
        return total


def _fingerprint_row(row: Sequence[Any]) -> Fingerprint:
    (kind, spki, md5, key_id, cn, sans, is_ca, team, channel, thread_ts, ts, poster, at) = row
    return Fingerprint(
        kind=str(kind),
        spki_sha256=spki,
        modulus_md5=md5,
        key_id=key_id,
        common_name=cn,
        san_set=tuple(s for s in str(sans).split("\n") if s),
        is_ca=bool(is_ca),
        team=str(team),
        channel=str(channel),
        thread_ts=str(thread_ts),
        message_ts=str(ts),
        poster=poster,
        posted_at=float(at),
    )


def _close_quietly(conn: object) -> None:
    # A broken connection may fail to close; it is being dropped anyway.
    with contextlib.suppress(Exception):
        conn.close()  # type: ignore[attr-defined]


def _file_id(path: str) -> tuple[int, int] | None:
    """(device, inode) of the database file, None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _close_all(
    conns: dict[int, tuple[sqlite3.Connection, tuple[int, int] | None]], pg_pool: _PgPool | None
) -> None:
    """Close and forget every kept connection (the store's finaliser and close())."""
    for conn, _ in list(conns.values()):
        _close_quietly(conn)
    conns.clear()
    if pg_pool is not None:
        pg_pool.close_idle()


class _PgPool:
    """At most `size` autocommit PostgreSQL connections, shared by the process's threads.

    A connection goes back to the pool after each statement; one that failed is closed and
    the next statement opens a new one, so the store recovers when the database comes back.
    """

    def __init__(self, url: str, size: int) -> None:
        self._url = url
        self._size = size
        self._open = 0  # idle + in use
        self._idle: list[psycopg.Connection[Any]] = []
        self._cond = threading.Condition()
        self._pid = os.getpid()
        # Connections inherited across a fork are the parent's session: never used or closed.
        self._inherited: list[psycopg.Connection[Any]] = []

    def _get(self) -> tuple[psycopg.Connection[Any], bool]:
        deadline = time.monotonic() + _PG_POOL_WAIT_SECONDS
        with self._cond:
            if os.getpid() != self._pid:
                self._inherited.extend(self._idle)
                self._idle.clear()
                self._open = 0
                self._pid = os.getpid()
            while not self._idle and self._open >= self._size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise psycopg.OperationalError(
                        f"no database connection free within {_PG_POOL_WAIT_SECONDS:.0f} s"
                    )
                self._cond.wait(remaining)
            if self._idle:
                return self._idle.pop(), False
            self._open += 1
        try:
            # prepare_threshold=None: no server-side prepared statements, which a transaction
            # pooler (pgbouncer) would break and dropped/recreated tables could invalidate.
            return psycopg.connect(self._url, autocommit=True, prepare_threshold=None), True
        except BaseException:
            self._release(None)
            raise

    def _release(self, conn: psycopg.Connection[Any] | None) -> None:
        """Return `conn` to the pool, or close it (None: a connection that never opened)."""
        keep = (
            conn is not None
            and not conn.closed
            and not conn.broken
            and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        )
        with self._cond:
            if keep and conn is not None and os.getpid() == self._pid:
                self._idle.append(conn)
            else:
                self._open -= 1
                if conn is not None:
                    _close_quietly(conn)
            self._cond.notify()

    def run(self, sql: str, params: Sequence[Any]) -> tuple[int, list[Any]]:
        conn, fresh = self._get()
        try:
            result = _pg_run(conn, sql, params)
        except psycopg.OperationalError:
            self._release_broken(conn)
            if fresh:
                raise
        except BaseException:
            self._release(conn)
            raise
        else:
            self._release(conn)
            return result
        # A kept connection that the server closed while idle (a restart, a failover, an idle
        # timeout) fails on its next use: retry once on a new connection, as a new connection
        # per statement would have succeeded. (Had the server already committed the statement
        # when the link broke, a retried claim answers "already seen": the one case where an
        # event could go unanswered rather than answered twice.)
        conn, _ = self._get()
        try:
            result = _pg_run(conn, sql, params)
        except psycopg.OperationalError:
            self._release_broken(conn)
            raise
        except BaseException:
            self._release(conn)
            raise
        self._release(conn)
        return result

    def _release_broken(self, conn: psycopg.Connection[Any]) -> None:
        _close_quietly(conn)
        self._release(conn)

    def close_idle(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            _close_quietly(conn)


def _pg_run(
    conn: psycopg.Connection[Any], sql: str, params: Sequence[Any]
) -> tuple[int, list[Any]]:
    cur = conn.execute(sql, params)
    rows = cur.fetchall() if cur.description else []
    return cur.rowcount, rows
