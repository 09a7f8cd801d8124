"""The bot's hot statements stay indexed as the tables grow (SQLite's plan for each): the queue's
take however long the backlog, the fingerprint lookup however full the channel and however often
a key is posted, the hourly purge however much it keeps."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.jobs.queue import JobQueue
from bot.memory import Fingerprint
from bot.store import Store
from tests.fingerprint_rows import numbered_fingerprint


@pytest.fixture
def store(tmp_path: Path, prefix: str) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'q.sqlite3'}", prefix)
    try:
        yield opened
    finally:
        opened.drop_tables()
        opened.close()


def _plans(
    store: Store, run: Any, verbs: tuple[str, ...] = ("UPDATE", "SELECT")
) -> dict[str, list[str]]:
    """What `run()` sent to the database, each statement of `verbs` with its EXPLAIN QUERY PLAN."""
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(verbs):
            sent.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    plans = {}
    with store.engine.connect() as conn:
        for statement, params in sent:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            plans[statement] = [str(row[3]) for row in rows]
    return plans


def test_taking_a_job_searches_its_key_not_every_queued(store: Store) -> None:
    queue = JobQueue(store)
    with store.engine.begin() as conn:
        conn.execute(
            store.tables.jobs.insert(),
            [
                {
                    "job_key": f"message:C1:{n}.0",
                    "kind": "message",
                    "payload": "p",
                    # Most done, as in a running bot (the done keep their claim for a while).
                    "state": "queued" if n % 8 == 0 else "done",
                    "available_at": float(n),
                    "attempts": 0,
                    "created_at": float(n),
                }
                for n in range(16_000)
            ],
        )
    plans = _plans(store, lambda: queue.take_many(4, now=10_000.0))
    (take,) = (plan for statement, plan in plans.items() if statement.startswith("UPDATE"))
    # The outer UPDATE finds each chosen key by the primary key; only the subquery reads the
    # ready index (once, in order, up to its limit). Before: SEARCH ... jobs_ready (state=?)
    # for the UPDATE itself, every queued row tested against the list (10 ms at 1,900 waiting).
    outer, subquery = take[0], take[-1]
    assert "(job_key=?)" in outer, take
    assert f"{store.tables.prefix}jobs_ready (state=? AND available_at<?)" in subquery, take
    assert not any(step.endswith("(state=?)") for step in take), take
    assert [job.key for job in queue.take_many(2, now=10_000.0)] == [
        "message:C1:32.0",
        "message:C1:40.0",
    ]


def test_a_lookup_in_one_channel_does_not_read_the_whole_channel(store: Store) -> None:
    store.add_fingerprints([numbered_fingerprint(n, "C1") for n in range(2000)])
    found: list[Fingerprint] = []
    # A certificate's probe (no modulus hash): four terms, the shape the planner got wrong.
    probe = dataclasses.replace(numbered_fingerprint(7, "C1"), modulus_md5=None)
    plans = _plans(store, lambda: found.extend(store.related_fingerprints(probe, channel="C1")))
    assert [row.message_ts for row in found] == ["7.0"]
    (plan,) = plans.values()
    # Before: `SEARCH ... fp_channel (team=? AND channel=?)` for the key and CN terms, every
    # row of the channel read for each (a lookup grew with the channel).
    assert not any("fp_channel" in step for step in plan), plan
    assert any("fp_key (team=? AND key_id=? AND posted_at>?)" in step for step in plan), plan


def test_every_delete_of_the_purge_finds_its_rows_by_an_index(store: Store) -> None:
    store.add_fingerprints([numbered_fingerprint(n, "C1") for n in range(200)])
    plans = _plans(store, lambda: store.purge(older_than=100.0, now=100.0), ("DELETE",))
    tables = store.tables
    assert len(plans) == 8, plans  # one per table: events ... watched_certificates, jobs
    for statement, plan in plans.items():
        # Before migration 0005: `SCAN <table>` for events, thread_artefacts, details,
        # replies and reminders (every row read to find the old ones), and the NOT EXISTS of
        # the fingerprints searched the channel's watched certificates by wc_channel.
        assert not any(step.startswith("SCAN") for step in plan), (statement, plan)
    (fingerprints,) = (p for s, p in plans.items() if f"FROM {tables.fingerprints.name} " in s)
    assert any(f"{tables.prefix}wc_message" in step for step in fingerprints), fingerprints


def _steps(store: Store, run: Any) -> int:
    """SQLite virtual machine instructions (in tens) `run()` made its connections execute."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0  # go on

    def watch(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        dbapi_connection.set_progress_handler(tick, 10)

    event.listen(store.engine, "checkout", watch)
    try:
        run()
    finally:
        event.remove(store.engine, "checkout", watch)
    return count[0]


def test_a_lookup_does_no_more_work_for_a_key_posted_a_thousand_times(store: Store) -> None:
    # Issue 17: the sustained benchmark posts each key hundreds of times; on (team, column)
    # indexes the lookup fetched and sorted every post of the key (4.6 ms at 1,000 posts).
    def reposts(start: int, count: int) -> list[Fingerprint]:
        base = numbered_fingerprint(7, "C1", ext_shared=False)
        return [
            dataclasses.replace(
                base,
                channel=f"C{n % 9}",
                message_ts=f"{n}.5",
                thread_ts=f"{n}.5",
                posted_at=float(n),
            )
            for n in range(start, start + count)
        ]

    store.add_fingerprints([numbered_fingerprint(n, "C1") for n in range(100, 400)])
    store.add_fingerprints(reposts(1000, 60))
    probe = dataclasses.replace(numbered_fingerprint(7, "C0"), message_ts="9.9")
    found: list[Fingerprint] = []
    few = _steps(
        store, lambda: found.extend(store.related_fingerprints(probe, public_elsewhere=True))
    )
    store.add_fingerprints(reposts(2000, 1140))
    found.clear()
    many = _steps(
        store, lambda: found.extend(store.related_fingerprints(probe, public_elsewhere=True))
    )
    assert [row.posted_at for row in found] == [float(n) for n in range(3139, 3089, -1)]
    # Twenty times the posts, the same work (824 and 824 steps; the OR on the (team, column)
    # indexes it replaced: 694 and 12,248).
    assert few > 0 and many < 1.5 * few, (few, many)


def test_the_renewal_lookup_searches_its_conversation_not_every_certificate_of_the_name(
    store: Store,
) -> None:
    from bot.store.reminders import ReminderStore
    from tests.fingerprint_rows import watched_row

    rows = [watched_row(f"k{n}", n, f"C{n:03d}", "cucm01.example.com") for n in range(250)]
    rows += [watched_row(f"o{n}", n, "CHERE", f"other{n}.example.com") for n in range(2000)]
    rows.append(watched_row("kHERE", 7, "CHERE", "cucm01.example.com"))
    with store.engine.begin() as conn:
        conn.execute(store.tables.watched_certificates.insert(), rows)
    found: list[Any] = []
    reminders = ReminderStore(store)
    plans = _plans(
        store,
        lambda: found.extend(
            reminders.same_names("T1", "CHERE", "cucm01.example.com", ["dns:cucm01.example.com"])
        ),
    )
    assert [c.cert_key for c in found] == ["kHERE"]
    (plan,) = plans.values()
    # Before: `wc_cn (team=? AND common_name=?)`, the name's 251 certificates in every
    # channel; and not the channel's 2,001 by wc_channel either.
    p = store.tables.prefix
    assert any(f"{p}wc_cn (team=? AND common_name=? AND channel=?)" in s for s in plan), plan
    assert any(f"{p}wc_sans (team=? AND san_set=? AND channel=?)" in s for s in plan), plan
    assert not any("wc_channel" in step for step in plan), plan
