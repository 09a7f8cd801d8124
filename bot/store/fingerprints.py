"""The fingerprint index's rows and statements: a `Fingerprint` to a row and back, the lookups' SELECT.

bot.store.store runs them; the lookup's statement is built once per shape (which of the
probe's values are set, one channel or the public ones) with bound parameters.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Table,
    and_,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    select,
    union,
)

from bot.memory import Fingerprint

# One lookup returns at most this many rows, the newest (a workspace that posts the same CSR
# all day). The memory's rules want the newest partner and the newest CSRs of a name
# (bot.memory); each row returned costs the bot's CPU (a Fingerprint, the privacy rule, the
# rules' passes), and at 200 the sustained benchmark's reposts (2,000 pairs, each posted in
# many channels) took SQLite's answers from 2,100 to 1,300 per 10 s within four minutes.
LOOKUP_LIMIT = 50


def lookup_values(probe: Fingerprint) -> dict[str, str]:
    """What a lookup of `probe` searches the index by: column name to value, the unset left out."""
    terms = (
        ("key_id", probe.key_id),
        ("modulus_md5", probe.modulus_md5),
        # The SPKI decides the key, and so its key id: every row sharing the probe's SPKI
        # shares its key id (only hash lines have neither), and the term would be one more
        # branch to plan and read for rows the key id's already finds.
        ("spki_sha256", None if probe.key_id else probe.spki_sha256),
        ("common_name", probe.common_name),
        ("san_set", "\n".join(probe.san_set) or None),
    )
    return {name: value for name, value in terms if value}


def fingerprint_row(row: Fingerprint) -> dict[str, Any]:
    return {
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


def fingerprint_select(f: Table) -> Any:
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


def related_select(
    f: Table, names: tuple[str, ...], one_channel: bool, public: bool, *, sqlite: bool
) -> Any:
    """The newest rows sharing any of the columns `names` (parameters of the same names) in `:team` since `:since`.

    `one_channel` narrows to `:channel`, `public` to `:here` and public internal channels.
    """
    # One branch per term, each walking its index (team, column, posted_at, then the privacy
    # filter's columns: migration 0006) from the newest row and stopping at the limit, and
    # keeping only the row's id and time; the newest ids of their union are then read whole.
    # The newest LOOKUP_LIMIT of a union are among the newest LOOKUP_LIMIT of each term, so
    # the rows are those of one OR over the terms, but the work no longer grows with the
    # reposts: the OR fetched and sorted every row of every term (SQLite 0.5-0.7 ms a lookup
    # at 50 posts of a key, 2.0-3.4 ms at 1,000; PostgreSQL 1.2-1.4 and 19-22 ms), the union
    # about 0.5-0.7 ms at both on SQLite and 2.8-3.2 ms on PostgreSQL, where planning its
    # five branches is most of it (docs/performance.md). On SQLite the id is the rowid, which
    # every index holds, so a branch never reads the table. On PostgreSQL it is the row's
    # place in the table (ctid), which the branch read anyway: the rows are then fetched
    # where they lie (a Tid Scan) instead of by 50 searches of the primary key (64-character
    # keys, three pages each): 186 against 316 pages a lookup, 0.18 against 0.25 ms of the
    # server on 61,000 rows (issue 17). Within one statement a ctid is stable: every part of
    # it reads one snapshot, and the rows are only ever inserted and deleted, not updated.
    hit: ColumnClause[Any] = literal_column("rowid" if sqlite else "ctid")
    branches = []
    for name in names:
        branch = select(hit.label("hit"), f.c.posted_at.label("at")).where(
            f.c.team == bindparam("team"),
            f.c[name] == bindparam(name),
            f.c.posted_at >= bindparam("since"),
        )
        branch = _narrowed(f, branch, one_channel, public)
        limited = branch.order_by(f.c.posted_at.desc()).limit(LOOKUP_LIMIT).subquery()
        # Wrapped: a branch keeps its own ORDER BY and LIMIT inside the UNION.
        branches.append(select(limited))
    hits = (union(*branches) if len(branches) > 1 else branches[0]).subquery()
    ids = select(hits.c.hit).order_by(hits.c.at.desc()).limit(LOOKUP_LIMIT)
    # PostgreSQL: `= ANY(ARRAY(...))`, the places computed once and then read. With `IN
    # (...)` its planner hash-joined the ids against a scan of the whole table while the
    # table was small (4,500 rows read for 50 in tests/test_postgres_plans.py).
    wanted = hit.in_(ids) if sqlite else hit == any_(func.array(ids.scalar_subquery()))
    return fingerprint_select(f).where(wanted).order_by(f.c.posted_at.desc())


def _narrowed(f: Table, stmt: Any, one_channel: bool, public: bool) -> Any:
    if one_channel:
        # `channel || ''`, not `channel`: as a bare column SQLite answered the key and CN terms
        # through fp_channel (team, channel) instead of fp_key / fp_cn, reading every row of
        # the channel, and a lookup grew with the channel (0.55 ms against 0.16 ms at 30,000
        # rows, 2.5 rows found; 33 % of a worker's samples late in the sustained bench).
        stmt = stmt.where(f.c.channel.op("||")(literal("")) == bindparam("channel"))
    if public:
        stmt = stmt.where(
            or_(
                f.c.channel == bindparam("here"),
                and_(f.c.conversation_kind == "channel", f.c.ext_shared.is_(False)),
            )
        )
    return stmt


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


def fingerprint(row: Sequence[Any]) -> Fingerprint:
    """The `Fingerprint` of a row of `fingerprint_select`.

    Positional, and the SAN set's split kept per distinct text: a lookup returns up to
    LOOKUP_LIMIT rows, mostly reposts of the same names, and keyword arguments with a
    generator per row cost 5.5 against 2.9 µs a row (issue 17, docs/performance.md). Every
    field's place is checked by tests/test_store_index.py.
    """
    (
        kind,
        spki,
        md5,
        key_id,
        cn,
        sans,
        is_ca,
        team,
        channel,
        thread_ts,
        ts,
        poster,
        at,
        ck,
        ext,
    ) = row
    return Fingerprint(
        str(kind),
        spki,
        md5,
        key_id,
        cn,
        _san_set(str(sans)) if sans else (),
        bool(is_ca),
        str(team),
        str(channel),
        str(thread_ts),
        str(ts),
        poster,
        float(at),
        # NULL (a row from before issue 13) stays None: unknown, which counts as private.
        ck,
        None if ext is None else bool(ext),
    )


@functools.lru_cache(maxsize=4096)
def _san_set(stored: str) -> tuple[str, ...]:
    return tuple(s for s in stored.split("\n") if s)
