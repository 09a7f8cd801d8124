"""The bot's hot statements stay indexed as the tables grow (SQLite's plan for each): the queue's
take however long the backlog, the fingerprint lookup however full the channel, the hourly
purge however much it keeps."""

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
