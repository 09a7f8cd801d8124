"""The bot's lookups on PostgreSQL read the rows they find, not the workspace, also while the tables are young (no statistics yet).

Each test fills a fresh set of tables with one workspace's rows, as a busy workspace has
them, with or without ANALYZE afterwards (a new install or the benchmark's fresh database
has none). It runs the store's own lookup, captures the statement and its parameters as the
bot sent them, and has the server EXPLAIN ANALYZE it on a connection of the bot's own pool,
with that pool's session settings (bot.store.engine), and counts the rows the scans read.
Before issue 17's fix, prepared statements switched to one generic plan per session after
five runs: for the fingerprint lookup's OR with ORDER BY ... LIMIT it walked fp_time
backwards and tested every row posted in the retention window (1.7 ms a lookup in the
sustained benchmark, growing with the table), and a plan made while a table was empty read
every row (11.6 ms). EXPLAIN plans with the values, as a custom plan does; the session must
ask for custom plans, which `SHOW plan_cache_mode` checks.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text

from bot.memory import Fingerprint
from bot.store import Store
from bot.store.fingerprints import LOOKUP_LIMIT
from bot.store.reminders import ReminderStore
from tests.conftest import POSTGRES_URL
from tests.fingerprint_rows import numbered_fingerprint, watched_row

pytestmark = pytest.mark.postgres

ROWS = 3000


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(POSTGRES_URL, f"p{uuid.uuid4().hex[:12]}_")
    try:
        yield opened
    finally:
        opened.drop_tables()
        opened.close()


@pytest.fixture(params=["young", "analyzed"])
def statistics(request: pytest.FixtureRequest) -> str:
    """ "young": no ANALYZE ever (a new install); "analyzed": as autovacuum leaves a running one."""
    return str(request.param)


def _settle(store: Store, statistics: str) -> None:
    if statistics == "analyzed":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in (store.tables.fingerprints, store.tables.watched_certificates):
                conn.execute(text(f"ANALYZE {table.name}"))


def _fingerprint(n: int) -> Fingerprint:
    """Row n, in one of seven public internal channels (the public lookup's candidates)."""
    return numbered_fingerprint(n, f"C{n % 7}", ext_shared=False)


def _explained(store: Store, run: Any) -> list[dict[str, Any]]:
    """The plan nodes of every SELECT `run()` sent, as the server ran them on the bot's pool."""
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert sent, "the lookup sent no SELECT"
    nodes: list[dict[str, Any]] = []
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_custom_plan"
        for statement, params in sent:
            (plan,) = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params
            ).scalar_one()
            nodes += _walk(plan["Plan"] if isinstance(plan, dict) else json.loads(plan)["Plan"])
    return nodes


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found += _walk(child)
    return found


def _rows_read(nodes: list[dict[str, Any]]) -> int:
    """Rows the scans produced or threw away: what the lookup read."""
    return sum(
        int(n.get("Actual Rows", 0)) + int(n.get("Rows Removed by Filter", 0))
        for n in nodes
        if "Scan" in n["Node Type"]
    )


def test_the_fingerprint_lookup_reads_its_matches_not_the_workspace(
    store: Store, statistics: str
) -> None:
    store.add_fingerprints([_fingerprint(n) for n in range(ROWS)])
    # A renewal: the same key and names posted again later.
    store.add_fingerprints([dataclasses.replace(_fingerprint(17), message_ts="9.0", posted_at=2e6)])
    _settle(store, statistics)
    found: list[Fingerprint] = []
    probe = dataclasses.replace(_fingerprint(17), channel="C9", message_ts="99.0")
    nodes = _explained(
        store,
        lambda: found.extend(store.related_fingerprints(probe, public_elsewhere=True)),
    )
    assert [row.message_ts for row in found] == ["9.0", "17.0"]  # newest first, each once
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], nodes
    used = {n.get("Index Name", "") for n in nodes}
    assert {f"{store.tables.prefix}fp_key", f"{store.tables.prefix}fp_cn"} <= used, used
    assert f"{store.tables.prefix}fp_time" not in used, used
    # Five values, two rows each: ten read, not the 3,001 of the workspace.
    assert _rows_read(nodes) <= 20, _rows_read(nodes)


def test_the_lookup_reads_the_newest_posts_of_a_key_not_every_post(
    store: Store, statistics: str
) -> None:
    # Issue 17: a key posted 1,200 times (the sustained benchmark's reposts). On (team, column)
    # indexes the lookup's OR read every post of each term and sorted them (19 ms a lookup at
    # 1,000 posts); each term now walks its index from the newest post to the limit.
    base = _fingerprint(17)
    store.add_fingerprints([_fingerprint(n) for n in range(ROWS)])
    store.add_fingerprints(
        [
            dataclasses.replace(base, channel=f"C{n % 7}", message_ts=f"{n}.5", posted_at=1e6 + n)
            for n in range(1200)
        ]
    )
    _settle(store, statistics)
    probe = dataclasses.replace(base, channel="C9", message_ts="99.0")
    found: list[Fingerprint] = []
    nodes = _explained(
        store,
        lambda: found.extend(store.related_fingerprints(probe, public_elsewhere=True)),
    )
    assert [row.posted_at for row in found] == [1e6 + n for n in range(1199, 1149, -1)]
    # Five terms, each stopping at its newest 50, then the 50 by the primary key (its index,
    # then the table): 350, not the 6,000 and more of the OR.
    assert _rows_read(nodes) <= 7 * LOOKUP_LIMIT, _rows_read(nodes)


def test_the_one_channel_lookup_reads_its_matches_not_the_channel(
    store: Store, statistics: str
) -> None:
    store.add_fingerprints([_fingerprint(n) for n in range(ROWS)])
    _settle(store, statistics)
    probe = dataclasses.replace(_fingerprint(14), modulus_md5=None)  # a certificate: four values
    found: list[Fingerprint] = []
    nodes = _explained(store, lambda: found.extend(store.related_fingerprints(probe, channel="C0")))
    assert [row.message_ts for row in found] == ["14.0"]
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], nodes
    assert _rows_read(nodes) <= 10, _rows_read(nodes)


def test_the_renewal_lookup_reads_the_certificates_of_that_name_only(
    store: Store, statistics: str
) -> None:
    w = store.tables.watched_certificates
    rows = [watched_row(f"k{n}", n, f"C{n % 7}", f"host{n}.example.com") for n in range(ROWS)]
    with store.engine.begin() as conn:
        conn.execute(w.insert(), rows)
    _settle(store, statistics)
    found: list[Any] = []
    nodes = _explained(
        store,
        lambda: found.extend(
            ReminderStore(store).same_names(
                "T1", "C5", "host5.example.com", ["dns:host5.example.com"]
            )
        ),
    )
    assert [c.cert_key for c in found] == ["k5"]
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], nodes
    assert _rows_read(nodes) <= 4, _rows_read(nodes)
