"""The fingerprint lookup narrowed to one channel searches the key and name indexes, not every row of the channel (SQLite's plan)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.memory import Fingerprint
from bot.store import Store


@pytest.fixture
def store(tmp_path: Path, prefix: str) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}", prefix)
    try:
        yield opened
    finally:
        opened.drop_tables()
        opened.close()


def _row(n: int, channel: str) -> Fingerprint:
    return Fingerprint(
        kind="csr" if n % 2 else "certificate",
        spki_sha256=f"spki{n}",
        modulus_md5=f"md5{n}",
        key_id=f"key{n}",
        common_name=f"host{n}.example.com",
        san_set=(f"host{n}.example.com",),
        is_ca=False,
        team="T1",
        channel=channel,
        thread_ts=f"{n}.0",
        message_ts=f"{n}.0",
        poster="U1",
        posted_at=float(n),
        conversation_kind="channel",
        ext_shared=None,
    )


def test_a_lookup_in_one_channel_does_not_read_the_whole_channel(store: Store) -> None:
    store.add_fingerprints([_row(n, "C1") for n in range(2000)])
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        # A certificate's probe (no modulus hash): four terms, the shape the planner got wrong.
        probe = dataclasses.replace(_row(7, "C1"), modulus_md5=None)
        found = store.related_fingerprints(probe, channel="C1")
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert [row.message_ts for row in found] == ["7.0"]
    ((statement, params),) = sent
    with store.engine.connect() as conn:
        plan = [str(r[3]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
    # Before: `SEARCH ... fp_channel (team=? AND channel=?)` for the key and CN terms, every
    # row of the channel read for each (a lookup grew with the channel).
    assert not any("fp_channel" in step for step in plan), plan
    assert any("fp_key (team=? AND key_id=?)" in step for step in plan), plan
