"""The durable job queue on SQLite and PostgreSQL: enqueue once per message, leases, take-over, the bound, sealed payloads, once-only replies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import BoltResponse

from bot.jobs.intake import message_intake
from bot.jobs.queue import JobQueue, QueueFull
from bot.jobs.relevance import is_relevant_message
from bot.jobs.replies import ReplyLedger
from bot.jobs.sealing import Sealer, UnsealError
from bot.store import Store
from handlers.blocks import Reply
from standin import SlackStandIn
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, prefix: str) -> Iterator[Store]:
    url = POSTGRES_URL if request.param == "postgresql" else f"sqlite:///{tmp_path / 'q.sqlite3'}"
    opened = Store.open(url, prefix)
    try:
        yield opened
    finally:
        opened.drop_tables()
        opened.close()


def test_a_message_is_queued_once_however_often_it_is_delivered(store: Store) -> None:
    queue = JobQueue(store)
    assert queue.enqueue("message:C1:1.1", "message", "sealed") is True
    assert queue.enqueue("message:C1:1.1", "message", "sealed") is False
    assert queue.states() == {"message:C1:1.1": "queued"}


def test_a_taken_job_is_not_taken_again_until_its_lease_ends(store: Store) -> None:
    one = JobQueue(store, lease_seconds=30)
    two = JobQueue(store, lease_seconds=30)  # another process
    one.enqueue("message:C1:1.1", "message", "p", now=100.0)
    job = one.take(now=100.0)
    assert job is not None and job.attempts == 1 and job.payload == "p"
    assert two.take(now=129.0) is None  # still leased
    again = two.take(now=131.0)  # the first process died: taken over
    assert again is not None and again.key == job.key and again.attempts == 2
    two.finish(again)
    one.finish(job)  # the old owner's late finish changes nothing
    assert two.take(now=1000.0) is None
    assert store.count(store.tables.jobs) == 1 and two.states()[job.key] == "done"


def test_a_finished_job_keeps_its_key_and_loses_its_payload(store: Store) -> None:
    queue = JobQueue(store)
    queue.enqueue("message:C1:1.1", "message", "pasted text")
    job = queue.take()
    assert job is not None
    queue.finish(job)
    with store.engine.connect() as conn:
        payloads = conn.execute(store.tables.jobs.select()).mappings().all()
    assert [p["payload"] for p in payloads] == [None]
    assert queue.enqueue("message:C1:1.1", "message", "again") is False  # a late retry


def test_a_released_job_is_taken_at_once_by_another_process(store: Store) -> None:
    one, two = JobQueue(store), JobQueue(store)
    one.enqueue("message:C1:1.1", "message", "p")
    job = one.take()
    assert job is not None
    one.release(job)  # SIGTERM: given back
    assert two.take() is not None


def test_concurrent_workers_take_each_job_exactly_once(store: Store) -> None:
    seed = JobQueue(store)
    for n in range(60):
        seed.enqueue(f"message:C1:{n}.0", "message", "p")
    queues = [JobQueue(store) for _ in range(2)]  # two processes
    taken: list[str] = []
    lock = threading.Lock()

    def work(queue: JobQueue) -> None:
        while (job := queue.take()) is not None:
            with lock:
                taken.append(job.key)
            queue.finish(job)

    threads = [threading.Thread(target=work, args=(q,)) for q in queues for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(f"message:C1:{n}.0" for n in range(60))


def test_the_queue_refuses_beyond_its_bound(store: Store) -> None:
    queue = JobQueue(store, max_waiting=2)
    queue.enqueue("message:C1:1", "message", "p")
    queue.enqueue("message:C1:2", "message", "p")
    with pytest.raises(QueueFull):
        queue.enqueue("message:C1:3", "message", "p")


def test_the_intake_queues_relevant_messages_and_answers_chatter_without_a_write(
    store: Store,
) -> None:
    queue = JobQueue(store, max_waiting=1)
    notified: list[int] = []
    intake = message_intake(queue, Sealer("xoxb-test"), lambda: notified.append(1))
    called: list[str] = []

    def deliver(text: str, ts: str) -> BoltResponse | None:
        event = {"type": "message", "text": text, "user": "U1", "channel": "C1", "ts": ts}
        body = {"type": "event_callback", "event_id": "Ev" + ts, "team_id": "T1", "event": event}
        return intake(body, lambda: called.append("next"))

    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    chatter = deliver("lunch?", "1.1")
    assert isinstance(chatter, BoltResponse) and chatter.status == 200
    assert store.count(store.tables.jobs) == 0
    queued = deliver(pem, "2.2")
    assert isinstance(queued, BoltResponse) and queued.status == 200 and notified == [1]
    full = deliver(pem, "3.3")  # over the bound of 1: Slack retries
    assert isinstance(full, BoltResponse) and full.status == 503
    assert called == []  # messages never reach Bolt's listeners
    assert intake({"command": "/certmatch"}, lambda: called.append("next")) is None
    assert called == ["next"]


@pytest.mark.parametrize(
    ("event", "relevant"),
    [
        ({"type": "message", "text": "has anyone renewed the tomcat cert?"}, False),
        ({"type": "message", "text": "-----BEGIN CERTIFICATE REQUEST-----\nMIIB"}, True),
        ({"type": "message", "text": "MD5(stdin)= 0123456789abcdef0123456789abcdef"}, True),
        ({"type": "message", "subtype": "file_share", "files": [{"name": "a.png"}]}, False),
        ({"type": "message", "subtype": "file_share", "files": [{"name": "t.csr"}]}, True),
        ({"type": "message", "subtype": "file_share", "files": [{"id": "F1"}]}, True),
        ({"type": "message", "subtype": "message_changed", "text": "-----BEGIN X"}, False),
        ({"type": "message", "bot_id": "B1", "text": "-----BEGIN CERTIFICATE-----\nMIIB"}, False),
    ],
)
def test_relevance_is_decided_from_the_event_alone(event: dict[str, Any], relevant: bool) -> None:
    assert is_relevant_message(event) is relevant


def test_a_sealed_payload_opens_only_with_the_same_token_and_job() -> None:
    sealer = Sealer("xoxb-one")
    sealed = sealer.seal({"event": {"text": "-----BEGIN PRIVATE KEY-----"}}, "message:C1:1.1")
    assert "PRIVATE" not in sealed
    assert sealer.open(sealed, "message:C1:1.1")["event"]["text"].startswith("-----BEGIN")
    with pytest.raises(UnsealError):
        sealer.open(sealed, "message:C1:2.2")
    with pytest.raises(UnsealError):
        Sealer("xoxb-rotated").open(sealed, "message:C1:1.1")


def test_a_reply_claimed_but_not_recorded_is_found_in_the_thread_and_not_posted_again(
    store: Store, standin: SlackStandIn
) -> None:
    from slack_sdk import WebClient

    from standin import BOT_TOKEN

    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    ledger = ReplyLedger(store)
    reply = Reply("certmatch: Match")
    ts = ledger.post_once(client, "message:C1:1.1", channel="C1", thread_ts="1.1", reply=reply)
    assert ts and len(standin.posts()) == 1
    assert standin.posts()[0]["metadata"]["event_payload"] == {"job": "message:C1:1.1"}
    # As if the process died after posting, before storing the ts:
    with store.engine.begin() as conn:
        conn.execute(store.tables.replies.update().values(ts=None))
    again = ledger.post_once(client, "message:C1:1.1", channel="C1", thread_ts="1.1", reply=reply)
    assert again == ts and len(standin.posts()) == 1
    assert len(standin.calls_to("conversations.replies")) == 1
    # Died after claiming, before posting: nothing in the thread, so it is posted.
    with store.engine.begin() as conn:
        conn.execute(store.tables.replies.update().values(ts=None))
    standin.forget_replies_in_threads()
    ledger.post_once(client, "message:C1:1.1", channel="C1", thread_ts="1.1", reply=reply)
    assert len(standin.posts()) == 2
    # Recorded: no lookup, no post.
    ledger.post_once(client, "message:C1:1.1", channel="C1", thread_ts="1.1", reply=reply)
    assert len(standin.posts()) == 2 and len(standin.calls_to("conversations.replies")) == 2
