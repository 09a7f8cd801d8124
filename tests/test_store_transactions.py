"""A thread's transaction (bot.store.transactions) on SQLite and PostgreSQL: one commit for what is
done inside it, nothing kept of a block that failed, and a job's check and claim kept together."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import event
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.config import Settings
from bot.files import SlackFileFetcher
from bot.jobs.intake import message_intake
from bot.jobs.queue import JobQueue
from bot.jobs.replies import ReplyLedger
from bot.jobs.runner import JobRunner
from bot.jobs.sealing import Sealer
from bot.prepared import MEMORY_DOWN_NOTE
from bot.service import Service
from bot.store import Store
from bot.store.reminders import ReminderStore
from standin import BOT_TOKEN, SlackStandIn
from tests.bot_e2e_support import message_event, post_text, vector
from tests.factory import pasted_pairs


@pytest.fixture
def store(database: tuple[str, str]) -> Iterator[Store]:
    opened = Store.open(*database)
    try:
        yield opened
    finally:
        opened.close()


def test_what_a_transaction_writes_is_kept_only_when_it_ends_well(store: Store) -> None:
    with store.transaction():
        assert store.claim("Ev1") is True
        with store.transaction():  # joined: no commit of its own
            assert store.claim("Ev2") is True
    with pytest.raises(RuntimeError), store.transaction():
        store.claim("Ev3")
        raise RuntimeError("after the write")
    assert store.count(store.tables.events) == 2
    with store.transaction():
        store.claim("Ev4")
        with pytest.raises(RuntimeError), store.transaction():
            store.claim("Ev5")
            raise RuntimeError("a nested block fails")
        # The whole transaction so far went with it; what follows is a new one.
        store.claim("Ev6")
    assert not store.claim("Ev6") and store.claim("Ev4") and store.claim("Ev5")


def _runner(store: Store, standin: SlackStandIn, url: str) -> tuple[JobRunner, JobQueue, Sealer]:
    settings = Settings(
        bot_token=BOT_TOKEN,
        api_url=standin.api_url,
        database_url=url,
        table_prefix=store.tables.prefix,
    )
    service = Service(settings, store, SlackFileFetcher(BOT_TOKEN, standin.api_url, 10**6, 3))
    queue, sealer = JobQueue(store), Sealer(BOT_TOKEN)
    return JobRunner(service, queue, ReplyLedger(store), sealer), queue, sealer


def test_a_check_whose_reminders_cannot_be_written_keeps_none_of_its_memory_and_says_so(
    database: tuple[str, str],
    store: Store,
    standin: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner, queue, sealer = _runner(store, standin, database[0])

    def refuse(*_: Any, **__: Any) -> bool:
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(ReminderStore, "watch_many", refuse)
    text = (vector("server.csr.pem") + vector("server.cert.pem")).decode()
    payload = message_event(text=text)
    message_intake(queue, sealer, lambda: None)(body=payload, next=lambda: None)
    (job,) = queue.take_many(4)
    runner.run(WebClient(token=BOT_TOKEN, base_url=standin.api_url), job)
    (reply,) = standin.posts()
    assert reply["text"].startswith("certmatch: Match")
    assert MEMORY_DOWN_NOTE in post_text(reply)
    assert "Details" not in str(reply["blocks"])  # no details were kept to show
    tables = store.tables
    for table in (tables.thread_artefacts, tables.fingerprints, tables.details):
        assert store.count(table) == 0, table.name
    # The reply's claim and ts, and the finish, were kept: answered once.
    assert set(queue.states().values()) == {"done"}
    assert store.count(tables.replies) == 1


def test_a_take_whose_checks_cannot_be_stored_together_stores_each_alone(
    database: tuple[str, str],
    store: Store,
    standin: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One check that cannot be stored costs only its own memory, not its take's."""
    runner, queue, sealer = _runner(store, standin, database[0])
    store_checks = Service.store_checks

    def refuse_the_bad_one(service: Service, prepared: Any) -> Any:
        if any(p.message.channel == "C0BAD" for p in prepared):
            raise OperationalError("INSERT", {}, Exception("disk full"))
        return store_checks(service, prepared)

    monkeypatch.setattr(Service, "store_checks", refuse_the_bad_one)
    intake = message_intake(queue, sealer, lambda: None)
    channels = ["C0GOOD1", "C0BAD", "C0GOOD2"]
    for channel, text in zip(channels, pasted_pairs(3), strict=True):
        intake(body=message_event(text=text, channel=channel), next=lambda: None)
    taken = queue.take_many(4)
    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    with runner.batch():
        for job in taken:
            runner.run(client, job)
    replies = {p["channel"]: post_text(p) for p in standin.posts()}
    assert len(standin.posts()) == 3 and set(replies) == set(channels)
    assert MEMORY_DOWN_NOTE in replies["C0BAD"]
    for good in ("C0GOOD1", "C0GOOD2"):
        assert MEMORY_DOWN_NOTE not in replies[good] and "Details" in replies[good]
    assert store.count(store.tables.details) == 2
    assert store.count(store.tables.thread_artefacts) == 4
    assert set(queue.states().values()) == {"done"}
    assert store.count(store.tables.replies) == 3


def _checkouts(store: Store) -> list[object]:
    seen: list[object] = []
    event.listen(store.engine, "checkout", lambda dbapi_conn, record, proxy: seen.append(record))
    return seen


def test_the_reads_of_a_block_share_one_pooled_connection(store: Store) -> None:
    seen = _checkouts(store)
    with store.connect() as a:
        a.execute(sql("SELECT 1"))
    with store.connect() as b:
        b.execute(sql("SELECT 1"))
    assert len(seen) == 2  # outside a block, each read checks out its own
    seen.clear()
    with store.reads():
        assert seen == []  # taken at the first read, not before
        with store.connect() as a:
            assert a.execute(sql("SELECT 1")).scalar_one() == 1
        with store.connect() as b:
            assert b.execute(sql("SELECT 2")).scalar_one() == 2
        assert a is b
    assert len(seen) == 1
    # Back in the pool after the block: the next read outside it is served as before.
    with store.connect() as c:
        assert c.execute(sql("SELECT 3")).scalar_one() == 3


def test_a_read_that_fails_in_a_block_leaves_the_next_read_working(store: Store) -> None:
    with store.reads():
        with pytest.raises(DBAPIError), store.connect() as conn:
            conn.execute(sql("SELECT * FROM certmatch_no_such_table"))
        with store.connect() as conn:
            assert conn.execute(sql("SELECT 4")).scalar_one() == 4


def test_a_block_of_reads_sees_what_another_thread_commits_meanwhile(store: Store) -> None:
    """The block's connection holds no snapshot (autocommit on PostgreSQL, no BEGIN for a read
    on SQLite): a job's later read sees a commit made after its first one."""
    rows = ReminderStore(store)

    def turn_off() -> None:
        rows.set_channel_enabled("T0", "C0", False, user="U0", now=1.0)

    with store.reads():
        assert rows.channel_enabled("T0", "C0") is True  # nothing stored: the default
        writer = threading.Thread(target=turn_off)
        writer.start()
        writer.join()
        assert rows.channel_enabled("T0", "C0") is False
