"""The database unavailable at start (retried with backoff, then a one-line error) and during operation (answers go on with a note; memory comes back without a restart)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.wiring import open_store
from standin import BOT_TOKEN, SlackStandIn
from tests.bot_e2e_support import (
    RunningBot,
    message_event,
    post_text,
    replies_per_thread,
    settings_for,
    start_bot,
    vector,
    wait_quiet,
)

pytestmark = pytest.mark.e2e

CSR = vector("server.csr.pem")
CERT_DER = vector("server.cert.der")


def test_a_database_that_comes_up_during_the_start_up_retries_is_used(tmp_path: Path) -> None:
    blocker = tmp_path / "not-yet"
    blocker.write_text("a file where the database directory should be")
    settings = Settings(bot_token=BOT_TOKEN, database_url=f"sqlite:///{blocker / 'bot.sqlite3'}")
    threading.Timer(0.3, blocker.unlink).start()  # "the database starts a moment late"
    started = time.monotonic()
    store = open_store(settings, attempts=5, first_delay=0.2)
    assert time.monotonic() - started >= 0.2  # at least one failed attempt and a pause
    assert store.claim("event:after-start")


def test_a_database_that_never_comes_up_stops_start_up_with_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "never"
    blocker.write_text("x")
    settings = Settings(bot_token=BOT_TOKEN, database_url=f"sqlite:///{blocker / 'db.sqlite3'}")
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        open_store(settings, attempts=3, first_delay=0.1)
    assert time.monotonic() - started >= 0.1 + 0.2  # backoff doubled between attempts
    message = str(caught.value)
    assert message.startswith("DATABASE_URL: cannot open the database after 3 attempts")
    assert "\n" not in message and "check that it is running" in message


def _take_database_away(db_file: Path) -> list[tuple[Path, Path]]:
    moved = []
    for path in db_file.parent.glob(db_file.name + "*"):
        target = path.with_name("away-" + path.name)
        path.rename(target)
        moved.append((target, path))
    # What connects meanwhile finds no tables: every store operation fails.
    return moved


def _bring_database_back(db_file: Path, moved: list[tuple[Path, Path]]) -> None:
    for path in db_file.parent.glob(db_file.name + "*"):
        path.unlink()  # the empty file SQLite created while the real one was away
    for target, original in moved:
        target.rename(original)


def test_thread_memory_survives_an_outage_and_returns_without_a_restart(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    db_file = tmp_path / "bot.sqlite3"
    bot: RunningBot = start_bot(settings_for(standin, f"sqlite:///{db_file}", "certmatch_"))
    try:
        parent = message_event(files=[standin.add_file("tomcat.csr", CSR)])
        thread_ts = parent["event"]["ts"]
        bot.send_event(parent)
        standin.wait_for(lambda s: len(s.posts()) == 1)
        # The worker marks the job done just after the post lands: wait for that too, or the
        # database goes away between the two and the parent waits out its lease (30 s).
        wait_quiet(standin, bot)

        moved = _take_database_away(db_file)
        during = message_event(
            files=[standin.add_file("certnew.cer", CERT_DER)], thread_ts=thread_ts
        )
        # Issue 17: it cannot be queued, so it is refused for Slack to retry (before the
        # durable queue it was answered at once, with a note and without the thread memory).
        assert bot.send_event(during).status == 503
        assert len(standin.posts()) == 1

        _bring_database_back(db_file, moved)
        assert bot.send_event(during, retry_num=1).status == 200  # Slack's retry
        standin.wait_for(lambda s: len(s.posts()) == 2)
        recovered = standin.posts()[1]
        assert recovered["text"].startswith("certmatch: Match")  # the CSR remembered before
        assert "earlier in this thread" in post_text(recovered)
        assert "database is unavailable" not in post_text(recovered)
        assert "MD5(stdin)=" in post_text(recovered)

        after = message_event(
            files=[standin.add_file("certnew.cer", CERT_DER)], thread_ts=thread_ts
        )
        bot.send_event(after)
        standin.wait_for(lambda s: len(s.posts()) == 3)
        assert "earlier in this thread" in post_text(standin.posts()[2])
        wait_quiet(standin, bot)
        assert [p["thread_ts"] for p in standin.posts()] == [thread_ts] * 3
    finally:
        bot.stop()


def test_a_database_failing_while_a_job_runs_leaves_the_job_to_be_answered_on_its_return(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    """Queued, then the database goes: the job is not lost and not answered twice.

    It could not be given back either, so it is taken again when its lease (2 s here) ends.
    """
    db_file = tmp_path / "bot.sqlite3"
    settings = settings_for(standin, f"sqlite:///{db_file}", "certmatch_", job_lease_seconds=2.0)
    bot = start_bot(settings)
    try:
        file = standin.add_file("tomcat.csr", CSR)
        standin.fail_download(str(file["id"]), "stall:1.0")  # the job is in hand meanwhile
        payload = message_event(files=[file])
        assert bot.send_event(payload).status == 200  # queued before the ack
        standin.wait_for_calls("download")
        moved = _take_database_away(db_file)
        time.sleep(1.5)  # the check finishes while the database is away: nothing can be claimed
        assert standin.posts() == []
        _bring_database_back(db_file, moved)
        standin.wait_for(lambda s: len(s.posts()) == 1, timeout=15)
        wait_quiet(standin, bot)
        assert replies_per_thread(standin) == {payload["event"]["ts"]: 1}
    finally:
        bot.stop()
