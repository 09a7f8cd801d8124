"""The durable job queue end to end (issue 17): signed requests against the stand-in, each test asserting one reply per message and none lost.

Burst, chatter, SIGKILL with and without a reply already posted, the database down at start
and while running, and two processes on the real PostgreSQL with one of them killed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from standin import SlackStandIn
from tests.bot_e2e_support import (
    BotProcess,
    RunningBot,
    message_event,
    post_text,
    replies_per_thread,
    settings_for,
    start_bot,
    vector,
    wait_jobs_done,
    wait_quiet,
)

pytestmark = pytest.mark.e2e

CSR = vector("server.csr.pem")
CERT_PEM = vector("server.cert.pem")


def _upload(standin: SlackStandIn, channel: str) -> dict[str, Any]:
    files = [standin.add_file("tomcat.csr", CSR), standin.add_file("certnew.cer", CERT_PEM)]
    return message_event(files=files, channel=channel)


def _assert_each_answered_once(standin: SlackStandIn, payloads: list[dict[str, Any]]) -> None:
    expected = {p["event"]["ts"]: 1 for p in payloads}
    assert replies_per_thread(standin) == expected
    for post in standin.posts():
        assert post["metadata"]["event_type"] == "certmatch_reply"


@pytest.fixture
def bot(standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    running = start_bot(settings_for(standin, f"sqlite:///{tmp_path / 'q.sqlite3'}", "certmatch_"))
    yield running
    running.stop()


def test_a_burst_of_uploads_in_separate_channels_is_answered_once_each(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    payloads = [_upload(standin, f"C0BURST{n:03d}") for n in range(60)]
    with ThreadPoolExecutor(16) as senders:
        statuses = list(senders.map(lambda p: bot.send_event(p).status, payloads))
    assert statuses == [200] * 60  # none refused
    standin.wait_for(lambda s: len(s.posts()) >= 60, timeout=60)
    wait_quiet(standin, bot)
    _assert_each_answered_once(standin, payloads)
    assert all(p["text"].startswith("certmatch: Match") for p in standin.posts())


def test_chatter_is_acknowledged_without_a_database_write_or_a_refusal(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    chatter = [message_event(text=f"standup in 5 ({n})", channel="C0BUSY") for n in range(300)]
    with ThreadPoolExecutor(16) as senders:
        statuses = list(senders.map(lambda p: bot.send_event(p).status, chatter))
    assert statuses == [200] * 300
    assert bot.store.count(bot.store.tables.jobs) == 0
    assert bot.store.count(bot.store.tables.events) == 0
    # The certificate posted among the chatter is answered.
    upload = _upload(standin, "C0BUSY")
    assert bot.send_event(upload).status == 200
    standin.wait_for(lambda s: len(s.posts()) == 1)
    wait_quiet(standin, bot)
    _assert_each_answered_once(standin, [upload])


def test_after_a_sigkill_the_next_process_answers_every_acknowledged_message_once(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    lease = {"CERTMATCH_JOB_LEASE_SECONDS": "2", "CERTMATCH_JOB_WORKERS": "2"}
    first = BotProcess(tmp_path, "first", url, standin.api_url, **lease)
    first.wait_healthy()
    payloads = []
    for n in range(6):
        payload = _upload(standin, f"C0KILL{n}")
        # Every download stalls, so two jobs are in hand and four wait when the kill comes.
        standin.fail_download(str(payload["event"]["files"][0]["id"]), "stall:10")
        payloads.append(payload)
        assert first.send_event(payload) == 200
    standin.wait_for_calls("download", 2)
    first.kill()
    assert standin.posts() == []
    standin.download_faults.clear()  # the files download normally for the next process
    second = BotProcess(tmp_path, "second", url, standin.api_url, **lease)
    try:
        second.wait_healthy()
        standin.wait_for(lambda s: len(s.posts()) >= 6, timeout=30)
        wait_jobs_done(url)  # a duplicate, were there one, would have been posted by now
        _assert_each_answered_once(standin, payloads)
        assert all(p["text"].startswith("certmatch: Match") for p in standin.posts())
    finally:
        second.stop()


def test_a_process_killed_after_slack_took_its_reply_is_not_followed_by_a_second_reply(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'posted.sqlite3'}"
    lease = {"CERTMATCH_JOB_LEASE_SECONDS": "2"}
    first = BotProcess(tmp_path, "first", url, standin.api_url, **lease)
    first.wait_healthy()
    # Slack posts the reply but its answer (the ts) never reaches the process: it dies first.
    standin.delay_answers("chat.postMessage", 10.0)
    payload = _upload(standin, "C0POSTED")
    assert first.send_event(payload) == 200
    standin.wait_for(lambda s: len(s.posts()) == 1)
    first.kill()
    second = BotProcess(tmp_path, "second", url, standin.api_url, **lease)
    try:
        second.wait_healthy()
        standin.wait_for_calls("conversations.replies", timeout=20)  # it looked in the thread
        wait_jobs_done(url)
        _assert_each_answered_once(standin, [payload])
        assert "found in the thread" in second.log.read_text()
    finally:
        second.stop()


def test_a_database_that_comes_up_after_the_process_waits_for_it_then_answers(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-yet"
    blocker.write_text("a file where the database directory should be")
    process = BotProcess(
        tmp_path, "waiting", f"sqlite:///{blocker / 'bot.sqlite3'}", standin.api_url
    )
    try:
        deadline = time.time() + 10
        while "database not reachable (attempt 1/5" not in process.log.read_text():
            assert time.time() < deadline, process.log.read_text()
            time.sleep(0.05)
        blocker.unlink()  # the database comes up during the retries
        process.wait_healthy()
        payload = _upload(standin, "C0LATE")
        assert process.send_event(payload) == 200
        standin.wait_for(lambda s: len(s.posts()) == 1)
        _assert_each_answered_once(standin, [payload])
    finally:
        process.stop()


@pytest.mark.postgres
def test_two_processes_on_postgresql_answer_once_each_when_one_is_killed_mid_burst(
    standin: SlackStandIn, tmp_path: Path, fresh_database: str
) -> None:
    lease = {"CERTMATCH_JOB_LEASE_SECONDS": "2"}
    one = BotProcess(tmp_path, "one", fresh_database, standin.api_url, **lease)
    two = BotProcess(tmp_path, "two", fresh_database, standin.api_url, **lease)
    try:
        one.wait_healthy()
        two.wait_healthy()
        payloads = [_upload(standin, f"C0PG{n:03d}") for n in range(40)]
        acknowledged: list[dict[str, Any]] = []
        lock = threading.Lock()

        def deliver(n: int) -> None:
            payload = payloads[n]
            # Slack delivers to one instance; a refused or failed delivery is retried on the other.
            first, other = (one, two) if n % 2 == 0 else (two, one)
            status = first.send_event(payload)
            if status != 200:
                status = other.send_event(payload, retry_num=1)
            if n % 3 == 0:
                other.send_event(payload, retry_num=2)  # a retry of one already acknowledged
            if status == 200:
                with lock:
                    acknowledged.append(payload)

        with ThreadPoolExecutor(8) as senders:
            list(senders.map(deliver, range(20)))
            one.kill()  # in the middle of the burst
            list(senders.map(deliver, range(20, 40)))
        assert len(acknowledged) == 40
        standin.wait_for(lambda s: len(s.posts()) >= 40, timeout=60)
        wait_jobs_done(fresh_database)
        _assert_each_answered_once(standin, payloads)
        assert "Traceback" not in two.log.read_text()
        assert json.dumps(standin.posts()).count("MD5(stdin)=") >= 40
    finally:
        two.stop()
        if one.process.poll() is None:
            one.stop()


def test_each_reply_names_its_job_in_the_message_metadata(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    payload = message_event(text=CSR.decode(), channel="C0META")
    bot.send_event(payload)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    metadata = standin.posts()[0]["metadata"]
    assert metadata["event_payload"] == {"job": f"message:C0META:{payload['event']['ts']}"}
    assert "MD5(stdin)=" not in post_text(metadata)
