"""Several `python -m bot` processes on this machine's PostgreSQL: one reply per event, shared memory, safe start.

Each test gets a fresh database on the server named by CERTMATCH_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test), so the processes create the schema themselves,
at the same moment, exactly as two dynos starting together would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from bot_e2e_support import SIGNING_SECRET, message_event, post_text, sign, vector
from slack_standin import BOT_TOKEN, SlackStandIn

from bot.store import schema

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "CERTMATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
CSR = vector("server.csr.pem")
CERT_DER = vector("server.cert.der")

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    server = SlackStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def fresh_database() -> Iterator[str]:
    name = f"certmatch_mp_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(POSTGRES_URL)
    yield urlunsplit(parts._replace(path="/" + name))
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """`python -m bot` in HTTP mode, its stderr in a file for the failure message."""

    def __init__(self, tmp_path: Path, name: str, database_url: str, api_url: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir = tmp_path / name
        workdir.mkdir()
        self.log = workdir / "stderr.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CERTMATCH_"))}
        env.update(
            PYTHONPATH=str(ROOT),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=api_url,
            DATABASE_URL=database_url,
            PORT=str(self.port),
        )
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
        )

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"bot exited: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"bot never became healthy: {self.log.read_text()}")

    def send_event(self, payload: dict[str, Any], retry_num: int | None = None) -> int:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", **sign(body)}
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "timeout"})
        request = urllib.request.Request(
            self.url + "/slack/events", data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            with exc:
                return int(exc.code)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_file.close()


@pytest.fixture
def two_bots(
    tmp_path: Path, fresh_database: str, standin: SlackStandIn
) -> Iterator[tuple[BotProcess, BotProcess]]:
    # Started together: both create the schema (and purge) on an empty database at once.
    bots = (
        BotProcess(tmp_path, "one", fresh_database, standin.api_url),
        BotProcess(tmp_path, "two", fresh_database, standin.api_url),
    )
    try:
        for bot in bots:
            bot.wait_healthy()
        yield bots
    finally:
        for bot in bots:
            bot.stop()


def _deliver_everywhere(bots: tuple[BotProcess, BotProcess], payload: dict[str, Any]) -> None:
    """The first delivery to both processes at once, then Slack's retries to each."""
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda b=bot: statuses.append(b.send_event(payload)))
        for bot in bots
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses.append(bots[1].send_event(payload, retry_num=1))
    statuses.append(bots[0].send_event(payload, retry_num=2))
    assert statuses == [200, 200, 200, 200]


def test_two_processes_receiving_the_same_events_and_retries_reply_once_per_event(
    two_bots: tuple[BotProcess, BotProcess], standin: SlackStandIn
) -> None:
    payloads = [
        message_event(files=[standin.add_file(f"req{i}.csr", CSR)], channel=f"C0CH{i % 3}")
        for i in range(8)
    ]
    for payload in payloads:
        _deliver_everywhere(two_bots, payload)
    standin.wait_for(lambda s: len(s.posts()) >= len(payloads), timeout=30)
    time.sleep(1.5)  # let a late duplicate (if any) arrive before counting
    posts = standin.calls_to("chat.postMessage")
    assert len(posts) == len(payloads)
    replied = sorted((p.args["channel"], p.args["thread_ts"]) for p in posts)
    assert replied == sorted((p["event"]["channel"], p["event"]["ts"]) for p in payloads)


def test_a_csr_seen_by_one_process_is_found_by_the_other_in_another_channel(
    two_bots: tuple[BotProcess, BotProcess], standin: SlackStandIn
) -> None:
    one, two = two_bots
    request = message_event(files=[standin.add_file("cucm.csr", CSR)], channel="C0PKIREQ")
    assert one.send_event(request) == 200
    standin.wait_for(lambda s: len(s.posts()) == 1, timeout=20)
    certificate = message_event(
        files=[standin.add_file("certnew.cer", CERT_DER)], channel="C0VOICE", user="U0BOB"
    )
    assert two.send_event(certificate) == 200
    standin.wait_for(lambda s: len(s.posts()) == 2, timeout=20)
    reply = standin.posts()[1]
    assert reply["channel"] == "C0VOICE"
    assert "matches the CSR posted in <#C0PKIREQ> by <@U0ALICE>" in post_text(reply)


def test_processes_starting_together_on_an_empty_database_all_come_up(
    tmp_path: Path, fresh_database: str, standin: SlackStandIn
) -> None:
    bots = [BotProcess(tmp_path, f"p{i}", fresh_database, standin.api_url) for i in range(4)]
    try:
        for bot in bots:
            bot.wait_healthy()
        with psycopg.connect(fresh_database) as conn:
            tables = {
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE tablename LIKE 'certmatch_%'"
                )
            }
        # Every table the code defines (bot/store/schema.py), and the migrations' version table.
        defined = {t.name for t in schema.tables("certmatch_").metadata.sorted_tables}
        assert tables == defined | {"certmatch_alembic_version"}
    finally:
        for bot in bots:
            bot.stop()
