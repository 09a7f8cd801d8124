"""What one queued pasted CSR + certificate costs the database, counted on SQLite and PostgreSQL: a
regression guard for issue 17's per-job work (statements and commits, never a timing)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import event, select

from bot.config import Settings
from bot.files import SlackFileFetcher
from bot.jobs.intake import message_intake
from bot.jobs.queue import JobQueue
from bot.jobs.replies import ReplyLedger
from bot.jobs.runner import JobRunner
from bot.jobs.sealing import Sealer
from bot.service import Service
from bot.store import Store
from standin import BOT_TOKEN, SlackStandIn
from tests.bot_e2e_support import message_event, post_text, vector
from tests.factory import pasted_pairs

# Per job, from the take to the finish, a take of one job. Before issue 17's last steps: 15
# statements and 7 commits (every store call its own transaction, and the reminders looked the
# certificate's CSR up a second time), and on PostgreSQL a pre-ping per connection taken. Now:
# the take (one statement in autocommit), the check's 3 reads (the channel's profile, one
# workspace lookup for the CSR and its certificate, which share their key and names, and the
# reminders' certificates of the same names; on SQLite on one connection, on PostgreSQL each
# in autocommit: no BEGIN or COMMIT to send), its 6 writes with the reply claim in one
# transaction, then the ts and the finish (on PostgreSQL one statement in autocommit). A
# message outside any thread reads no thread memory (its thread begins with it): one read
# fewer than before (SQLite 13 statements, PostgreSQL 12 and 7 transactions).
MAX_JOB_STATEMENTS = {"sqlite": 12, "postgresql": 11}
# Transactions: commits, and statements run in autocommit (each its own transaction).
MAX_JOB_TRANSACTIONS = {"sqlite": 4, "postgresql": 6}
# Connections taken from the pool (on PostgreSQL without a round trip: bot.store.engine); 6
# on PostgreSQL before a job's reads shared one (bot.store.transactions).
MAX_JOB_CHECKOUTS = {"sqlite": 4, "postgresql": 4}
# What PostgreSQL is sent, one round trip each: statements, and a BEGIN and a COMMIT per
# transaction that is not a single autocommitted statement (was 23: 14 statements, three
# BEGIN/COMMIT pairs and three pre-pings; 14 before the thread memory's read was skipped).
MAX_JOB_ROUND_TRIPS = 13
# The writes of a check and its reply claim, one INSERT a table: the thread's artefacts, the
# fingerprints, the details, the watched certificate, its reminders, the reply claim.
CHECK_INSERTS = 6


@contextmanager
def _counted(store: Store, verbs: list[str] | None = None) -> Iterator[Counter[str]]:
    """What `store` is sent inside: counts, and each statement's first word into `verbs`."""
    counts: Counter[str] = Counter()

    def statement(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        if verbs is not None:
            verbs.append(sql.lstrip().split(None, 1)[0].upper())
        counts["statements"] += 1
        if "channel_profiles" in sql:
            counts["profile_reads"] += 1
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            counts["transactions"] += 1
            counts["round_trips"] += 1
        else:
            counts["round_trips"] += 1

    def commit(*_: Any) -> None:
        counts["transactions"] += 1
        counts["round_trips"] += 2  # its BEGIN (sent before the first statement) and COMMIT

    def checkout(*_: Any) -> None:
        counts["checkouts"] += 1

    hooks: list[tuple[Any, str, Any]] = [
        (store.engine, "before_cursor_execute", statement),
        (store.engine, "commit", commit),
        (store.engine.pool, "checkout", checkout),
    ]
    for target, name, hook in hooks:
        event.listen(target, name, hook)
    try:
        yield counts
    finally:
        for target, name, hook in hooks:
            event.remove(target, name, hook)


@contextmanager
def _pipeline(
    database: tuple[str, str], standin: SlackStandIn
) -> Iterator[tuple[Store, JobQueue, JobRunner, Any]]:
    """The store, queue, runner and message intake of one process, as bot.wiring makes them."""
    url, prefix = database
    settings = Settings(
        bot_token=BOT_TOKEN, api_url=standin.api_url, database_url=url, table_prefix=prefix
    )
    store = Store.open(url, prefix)
    try:
        service = Service(settings, store, SlackFileFetcher(BOT_TOKEN, standin.api_url, 10**6, 3))
        service.purge_expired()  # at start, as bot.wiring does: not a job's cost
        queue, sealer = JobQueue(store), Sealer(BOT_TOKEN)
        runner = JobRunner(service, queue, ReplyLedger(store), sealer)
        intake = message_intake(queue, sealer, lambda: None)
        queue.waiting()  # the bound's count, once a second: not this job's
        yield store, queue, runner, intake
    finally:
        store.close()


def _pasted_pair() -> str:
    return (vector("server.csr.pem") + vector("server.cert.pem")).decode()


def test_a_queued_pasted_pair_costs_at_most_its_statements_and_commits(
    database: tuple[str, str], standin: SlackStandIn
) -> None:
    with _pipeline(database, standin) as (store, queue, runner, intake):
        payload = message_event(text=_pasted_pair(), channel="C0PKI")

        with _counted(store) as queued:
            response = intake(body=payload, next=lambda: None)
        assert response is not None and response.status == 200
        assert (queued["statements"], queued["transactions"], queued["checkouts"]) == (1, 1, 1)
        if store.backend == "postgresql":
            assert queued["round_trips"] == 1  # in autocommit: no BEGIN or COMMIT of its own

        client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        sent: list[str] = []
        with _counted(store, sent) as job:
            (taken,) = queue.take_many(4)
            runner.run(client, taken)
        # Every read of the check before its first write (after the take, the first statement):
        # on SQLite the write lock is held from that write to the commit, so a read after it
        # kept every other writer waiting (the reminders' lookup of earlier versions did,
        # before bot.reminder_watch).
        checked = sent[1:]
        first_write = next(n for n, v in enumerate(checked) if v in ("INSERT", "UPDATE"))
        assert "SELECT" not in checked[first_write:], sent
        (reply,) = standin.posts()
        assert reply["thread_ts"] == payload["event"]["ts"]
        assert "Match" in reply["text"], reply["text"]
        assert set(queue.states().values()) == {"done"}
        assert job["statements"] <= MAX_JOB_STATEMENTS[store.backend], job
        assert job["transactions"] <= MAX_JOB_TRANSACTIONS[store.backend], job
        assert job["checkouts"] <= MAX_JOB_CHECKOUTS[store.backend], job
        if store.backend == "postgresql":
            assert job["round_trips"] <= MAX_JOB_ROUND_TRIPS, job


def test_the_checks_of_one_take_are_stored_in_one_transaction_and_finished_in_one_commit(
    database: tuple[str, str], standin: SlackStandIn
) -> None:
    with _pipeline(database, standin) as (store, queue, runner, intake):
        events = [
            message_event(text=text, channel=f"C0PKI{n}") for n, text in enumerate(pasted_pairs(4))
        ]
        for payload in events:
            assert intake(body=payload, next=lambda: None).status == 200
        client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        taken = queue.take_many(4)
        assert len(taken) == 4
        sent: list[str] = []
        with _counted(store, sent) as jobs, runner.batch(taken):
            for job in taken:
                runner.run(client, job)
            # Checked, not yet stored nor posted: the writes wait for the end of the take.
            assert not standin.posts() and store.count(store.tables.replies) == 0
        posts = standin.posts()
        assert len(posts) == 4 and all(p["text"].startswith("certmatch: Match") for p in posts)
        assert set(queue.states().values()) == {"done"}
        r = store.tables.replies
        with store.engine.connect() as conn:
            stored = dict(conn.execute(select(r.c.reply_key, r.c.ts)).all())
        assert set(stored) == {job.key for job in taken}
        # Each reply's own ts (the stand-in's, never the "-" of an answer without one).
        assert len(set(stored.values())) == 4 and all(ts and ts != "-" for ts in stored.values())
        # Four checks' writes in the statements of one: it was one set a job. Their four
        # channels' profiles in one read (bot.store.profiles): it was one a job.
        assert sent.count("INSERT") == CHECK_INSERTS, sent
        assert jobs["profile_reads"] == 1, jobs
        tables = store.tables
        assert store.count(tables.thread_artefacts) == 8  # each thread's CSR and certificate
        assert store.count(tables.details) == 4
        if store.backend == "sqlite":
            # The reads (one connection a check), one transaction for the writes, one finish;
            # the profiles' read opens none (pysqlite begins nothing for a read).
            assert jobs["transactions"] == 6, jobs


def test_a_check_that_would_miss_an_earlier_one_of_its_take_waits_for_it(
    database: tuple[str, str], standin: SlackStandIn
) -> None:
    """A CSR and its certificate posted in two channels and taken together: the certificate's
    reply names where the CSR was posted, as if they had come one after the other."""
    with _pipeline(database, standin) as (_, queue, runner, intake):
        csr, cert = vector("server.csr.pem").decode(), vector("server.cert.pem").decode()
        events = [
            message_event(text=csr, channel="C0PKIREQ"),
            message_event(text="unrelated\n" + pasted_pairs(1)[0], channel="C0OTHER"),
            message_event(text=cert, channel="C0VOICE", user="U0BOB"),
        ]
        for payload in events:
            assert intake(body=payload, next=lambda: None).status == 200
        client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
        taken = queue.take_many(4)
        assert len(taken) == 3
        with runner.batch():
            for job in taken:
                runner.run(client, job)
        replies = {p["channel"]: post_text(p) for p in standin.posts()}
        assert set(replies) == {"C0PKIREQ", "C0OTHER", "C0VOICE"}
        assert "matches the CSR posted in <#C0PKIREQ> by <@U0ALICE>" in replies["C0VOICE"]
        assert set(queue.states().values()) == {"done"}
