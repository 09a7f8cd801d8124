"""Several `python -m bot` processes on this machine's PostgreSQL: one reply per event, shared memory, safe start.

Each test gets a fresh database on the server named by CERTMATCH_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test), so the processes create the schema themselves,
at the same moment, exactly as two dynos starting together would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.store import schema
from standin import SlackStandIn
from tests.bot_e2e_support import BotProcess, message_event, post_text, vector, wait_jobs_done

ROOT = Path(__file__).resolve().parent.parent
CSR = vector("server.csr.pem")
CERT_DER = vector("server.cert.der")

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


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
    wait_jobs_done(two_bots[0].database_url)  # a duplicate would have been posted by now
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
