"""The bot's state: event de-duplication, public artefacts per thread, channel profiles, reply details.

One small module over two backends: a SQLite file by default (nothing to start) and PostgreSQL
(psycopg 3) when DATABASE_URL says so. Every operation opens its own short connection, so the
store is safe from Bolt's worker threads and recovers by itself when the database comes back.
Uniqueness is enforced by the database (primary keys + `ON CONFLICT DO NOTHING`), never by a
read-then-write race, so several bot processes sharing one database reply once per event.
Private keys never reach this module: only public PEM (CSR, certificate, public key) is stored.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from certmatch.model import Artefact, ArtefactKind

_PREFIX_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
# Key for pg_advisory_xact_lock so several processes starting at once create tables one at a time.
_SCHEMA_LOCK_KEY = 0x6365_7274  # "cert"


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
        if self._pg_url:
            with psycopg.connect(self._pg_url) as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
                for sql in self._table_sql():
                    conn.execute(sql)  # names come from a validated prefix
            return
        assert self._sqlite_path is not None
        Path(self._sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        with self._sqlite() as db:
            # WAL lets several processes read while one writes; the unique keys do the rest.
            db.execute("PRAGMA journal_mode=WAL")
            for sql in self._table_sql():
                db.execute(sql)

    def drop_tables(self) -> None:
        """Remove this prefix's tables (tests clean up with it)."""
        for name in ("events", "thread_artefacts", "channel_profiles", "details"):
            self._execute(f"DROP TABLE IF EXISTS {self._prefix}{name}")

    # -- connections ----------------------------------------------------------------------------

    @contextmanager
    def _sqlite(self) -> Iterator[sqlite3.Connection]:
        assert self._sqlite_path is not None
        conn = sqlite3.connect(self._sqlite_path, timeout=30, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[int, list[Any]]:
        """Run one autocommitted statement; return (rowcount, rows)."""
        if self._pg_url:
            with psycopg.connect(self._pg_url, autocommit=True) as conn:
                cur = conn.execute(sql.replace("?", "%s"), params)
                rows = cur.fetchall() if cur.description else []
                return cur.rowcount, rows
        with self._sqlite() as conn:
            scur = conn.execute(sql, tuple(params))
            return scur.rowcount, scur.fetchall()

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
        """Delete every artefact remembered from one channel (`/certmatch forget`)."""
        count, _ = self._execute(
            f"DELETE FROM {self._prefix}thread_artefacts WHERE team = ? AND channel = ?",
            (team, channel),
        )
        return max(count, 0)

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

    def save_detail(self, key: str, detail: str, ca_note: str | None) -> None:
        self._execute(
            f"INSERT INTO {self._prefix}details (detail_key, detail, ca_note, created_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (key, detail, ca_note, time.time()),
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
            ("details", "created_at"),
        ):
            count, _ = self._execute(
                f"DELETE FROM {self._prefix}{table} WHERE {column} < ?", (older_than,)
            )
            total += max(count, 0)
        return total
