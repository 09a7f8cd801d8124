"""`Store`: event claims, public artefacts per thread, the fingerprint index, channel profiles, reply details.

Uniqueness is enforced by the database (primary keys + `INSERT ... ON CONFLICT DO NOTHING`),
never by a read-then-write race, so several bot processes sharing one database claim each
event once. Private keys never reach this module: only public PEM (CSR, certificate, public
key) is stored, and the fingerprint index holds hashes, names and where/when something was
posted. Every method is one short transaction on a pooled connection; the store is
thread-safe and recovers by itself when the database comes back (bot.store.engine).
"""

from __future__ import annotations

import hashlib
import time
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.memory import Fingerprint
from bot.store import migrate
from bot.store.engine import open_engine, sqlite_path
from bot.store.erase import Erasing
from bot.store.rows import StoredArtefact, StoredDetail
from bot.store.schema import Tables, check_prefix, tables

# One lookup never reads more rows than this (a workspace that posts the same CSR all day).
_LOOKUP_LIMIT = 200


class Store(Erasing):
    """Thread-safe access to the bot's tables. Create with `Store.open(database_url)`."""

    def __init__(self, database_url: str, table_prefix: str = "certmatch_") -> None:
        check_prefix(table_prefix)
        self.tables: Tables = tables(table_prefix)
        self._sqlite_file = sqlite_path(database_url)
        self.engine: Engine = open_engine(database_url)
        # A store dropped without close() (tests open many) still closes its connections.
        weakref.finalize(self, self.engine.dispose)

    @classmethod
    def open(cls, database_url: str, table_prefix: str = "certmatch_") -> Store:
        store = cls(database_url, table_prefix)
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
        stmt = self.insert(self.tables.events).on_conflict_do_nothing()
        row = {"event_key": key, "seen_at": time.time() if now is None else now, "team": team}
        with self.engine.begin() as conn:
            result = conn.execute(stmt, row)
        return result.rowcount == 1

    # -- thread memory --------------------------------------------------------------------------

    def add_thread_artefacts(
        self, team: str, channel: str, thread_ts: str, artefacts: Sequence[StoredArtefact]
    ) -> int:
        """Remember public artefacts for a thread; ones already remembered are skipped."""
        rows = []
        for art in artefacts:
            if "PRIVATE KEY" in art.public_pem:
                raise ValueError("refusing to store private key material")
            rows.append(
                {
                    "team": team,
                    "channel": channel,
                    "thread_ts": thread_ts,
                    "fingerprint": hashlib.sha256(art.public_pem.encode("utf-8")).hexdigest(),
                    "kind": art.kind,
                    "source": art.source,
                    "subject": art.subject,
                    "spki_sha256": art.spki_sha256,
                    "modulus_md5": art.modulus_md5,
                    "public_pem": art.public_pem,
                    "message_ts": art.message_ts,
                    "posted_at": art.posted_at,
                }
            )
        return self._insert_new(self.tables.thread_artefacts, rows)

    def thread_artefacts(self, team: str, channel: str, thread_ts: str) -> list[StoredArtefact]:
        t = self.tables.thread_artefacts
        stmt = (
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
            .where(t.c.team == team, t.c.channel == channel, t.c.thread_ts == thread_ts)
            .order_by(t.c.posted_at, t.c.source)
        )
        with self.engine.connect() as conn:
            return [StoredArtefact(*row) for row in conn.execute(stmt)]

    # -- fingerprint index ----------------------------------------------------------------------

    def add_fingerprints(self, rows: Sequence[Fingerprint]) -> int:
        """Index public fingerprints; the same artefact in the same message is indexed once."""
        values = [
            {
                "row_key": _row_key(row),
                "team": row.team,
                "channel": row.channel,
                "thread_ts": row.thread_ts,
                "message_ts": row.message_ts,
                "poster": row.poster,
                "kind": row.kind,
                "spki_sha256": row.spki_sha256,
                "modulus_md5": row.modulus_md5,
                "key_id": row.key_id,
                "common_name": row.common_name,
                "san_set": "\n".join(row.san_set),
                "is_ca": 1 if row.is_ca else 0,
                "posted_at": row.posted_at,
                "conversation_kind": row.conversation_kind,
                "ext_shared": row.ext_shared,
            }
            for row in rows
        ]
        return self._insert_new(self.tables.fingerprints, values)

    def related_fingerprints(
        self,
        probe: Fingerprint,
        *,
        channel: str | None = None,
        since: float = 0.0,
        public_elsewhere: bool = False,
    ) -> list[Fingerprint]:
        """Rows in `probe`'s workspace sharing its key, its CN or its SAN set, posted at or after `since`.

        `channel` narrows the lookup to one channel; `public_elsewhere` to the probe's own
        channel and public internal channels, so rows the privacy rule would hide never take
        a place under the lookup's limit (bot.privacy still decides). The rules in bot.memory
        decide what the rows mean; this only fetches candidates through the indexes.
        """
        f = self.tables.fingerprints
        matches = [
            column == value
            for column, value in (
                (f.c.key_id, probe.key_id),
                (f.c.modulus_md5, probe.modulus_md5),
                (f.c.spki_sha256, probe.spki_sha256),
                (f.c.common_name, probe.common_name),
                (f.c.san_set, "\n".join(probe.san_set) or None),
            )
            if value
        ]
        if not matches:
            return []
        stmt = self._fingerprint_select().where(
            f.c.team == probe.team, f.c.posted_at >= since, or_(*matches)
        )
        if channel is not None:
            stmt = stmt.where(f.c.channel == channel)
        if public_elsewhere:
            stmt = stmt.where(
                or_(
                    f.c.channel == probe.channel,
                    and_(f.c.conversation_kind == "channel", f.c.ext_shared.is_(False)),
                )
            )
        stmt = stmt.order_by(f.c.posted_at.desc()).limit(_LOOKUP_LIMIT)
        with self.engine.connect() as conn:
            return [_fingerprint(r) for r in conn.execute(stmt)]

    def channel_fingerprints(self, team: str, channel: str) -> list[Fingerprint]:
        """Every index row from one channel, oldest first (tests and `forget` checks)."""
        f = self.tables.fingerprints
        stmt = (
            self._fingerprint_select()
            .where(f.c.team == team, f.c.channel == channel)
            .order_by(f.c.posted_at, f.c.message_ts)
        )
        with self.engine.connect() as conn:
            return [_fingerprint(r) for r in conn.execute(stmt)]

    def _fingerprint_select(self) -> Any:
        f = self.tables.fingerprints
        return select(
            f.c.kind,
            f.c.spki_sha256,
            f.c.modulus_md5,
            f.c.key_id,
            f.c.common_name,
            f.c.san_set,
            f.c.is_ca,
            f.c.team,
            f.c.channel,
            f.c.thread_ts,
            f.c.message_ts,
            f.c.poster,
            f.c.posted_at,
            f.c.conversation_kind,
            f.c.ext_shared,
        )

    # -- channel profile ------------------------------------------------------------------------

    def channel_profile(self, team: str, channel: str) -> str | None:
        p = self.tables.channel_profiles
        stmt = select(p.c.profile).where(p.c.team == team, p.c.channel == channel)
        with self.engine.connect() as conn:
            found = conn.execute(stmt).scalar_one_or_none()
        return str(found) if found is not None else None

    def set_channel_profile(self, team: str, channel: str, profile: str) -> None:
        stmt = self.insert(self.tables.channel_profiles).values(
            team=team, channel=channel, profile=profile, updated_at=time.time()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team", "channel"],
            set_={"profile": stmt.excluded.profile, "updated_at": stmt.excluded.updated_at},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

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
        row = {
            "detail_key": key,
            "detail": detail,
            "ca_note": ca_note,
            "created_at": time.time() if now is None else now,
            "team": team,
            "channel": channel,
        }
        self._insert_new(self.tables.details, [row])

    def detail(self, key: str) -> StoredDetail | None:
        """A reply's details; `forgotten_at` is set (and the text empty) after `/certmatch forget`."""
        d = self.tables.details
        stmt = select(d.c.detail, d.c.ca_note, d.c.forgotten_at).where(d.c.detail_key == key)
        with self.engine.connect() as conn:
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
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    # -- internals ------------------------------------------------------------------------------

    def _insert_new(self, table: Any, rows: Sequence[dict[str, Any]]) -> int:
        """Insert the rows whose key is new, in one statement; return how many were new."""
        if not rows:
            return 0
        stmt = self.insert(table).values(list(rows)).on_conflict_do_nothing()
        with self.engine.begin() as conn:
            return max(conn.execute(stmt).rowcount, 0)


def _row_key(row: Fingerprint) -> str:
    parts = (
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
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _fingerprint(row: Sequence[Any]) -> Fingerprint:
    (kind, spki, md5, key_id, cn, sans, is_ca, team, channel, thread_ts, ts, poster, at) = row[:13]
    conversation_kind, ext_shared = row[13:15]
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
        # NULL (a row from before issue 13) stays None: unknown, which counts as private.
        conversation_kind=conversation_kind,
        ext_shared=None if ext_shared is None else bool(ext_shared),
    )
