"""Expiry reminders from real `python -m bot` processes in real time: the poller thread, and two processes on PostgreSQL.

`CERTMATCH_REMINDER_DAYS` is set to fractions of a day (seconds) and the certificate, made
for the test, expires seconds after it is posted, so a reminder arrives without a moved clock
(`CERTMATCH_REMINDER_POLL_SECONDS=1`). Each test waits for the reminders it expects.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from standin import SlackStandIn
from tests.bot_e2e_support import BotProcess, message_event, post_text
from tests.factory import make_cert, name, new_key

DAY = 86400.0

pytestmark = pytest.mark.e2e


def reminder_env(reminder_days: str) -> dict[str, str]:
    """The reminder settings these tests run `python -m bot` with (a poll every second)."""
    return {"CERTMATCH_REMINDER_DAYS": reminder_days, "CERTMATCH_REMINDER_POLL_SECONDS": "1"}


def sent_reminders(bot: BotProcess) -> int:
    """Reminders `bot` logged as posted (one `event id=reminder ... verdict=sent` each)."""
    lines = bot.log.read_text().splitlines()
    return sum(1 for line in lines if "id=reminder" in line and "verdict=sent" in line)


def certificate_expiring_in(seconds: float) -> tuple[bytes, float]:
    """A server certificate (self-issued, not a CA) whose notAfter is `seconds` from now."""
    key = new_key("ec256")
    not_after = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=seconds)
    cert = make_cert(
        key.public_key(),
        name(CN="expe01.example.test", O="Example"),
        None,
        key,
        sans=("DNS:expe01.example.test",),
        not_before=not_after - dt.timedelta(days=1),
        not_after=not_after,
    )
    return cert.public_bytes(serialization.Encoding.PEM), not_after.timestamp()


def reminders(standin: SlackStandIn) -> list[dict[str, Any]]:
    return [p for p in standin.posts() if ":alarm_clock:" in post_text(p)]


def test_python_m_bot_posts_a_reminder_when_a_fraction_of_a_day_window_opens(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    window = 8.0  # seconds before notAfter
    bot = BotProcess(
        tmp_path,
        "one",
        f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        standin.api_url,
        **reminder_env(f"{window / DAY:.8f}"),
    )
    try:
        bot.wait_healthy()
        pem, not_after = certificate_expiring_in(window + 4)
        payload = message_event(files=[standin.add_file("expe01.pem", pem)], channel="C0EXPE")
        assert bot.send_event(payload) == 200
        standin.wait_for(lambda s: len(s.posts()) == 1, timeout=20)
        assert "within" not in post_text(standin.posts()[0])  # posted before the window opened
        standin.wait_for(lambda s: len(reminders(s)) == 1, timeout=20)
        (reminder,) = reminders(standin)
        assert time.time() >= not_after - window
        assert (reminder["channel"], reminder["thread_ts"]) == ("C0EXPE", payload["event"]["ts"])
        assert "expe01.example.test" in post_text(reminder)
    finally:
        bot.stop()


@pytest.mark.postgres
def test_two_processes_on_postgresql_post_each_reminder_once(
    tmp_path: Path, standin: SlackStandIn, fresh_database: str
) -> None:
    windows = (6.0, 3.0)  # seconds before notAfter
    days = ",".join(f"{w / DAY:.8f}" for w in windows)
    bots = [
        BotProcess(tmp_path, name_, fresh_database, standin.api_url, **reminder_env(days))
        for name_ in ("one", "two")
    ]
    try:
        for bot in bots:
            bot.wait_healthy()
        pem, not_after = certificate_expiring_in(windows[0] + 4)
        payload = message_event(files=[standin.add_file("expe01.pem", pem)], channel="C0EXPE")
        assert bots[0].send_event(payload) == 200
        standin.wait_for(lambda s: len(s.posts()) == 1, timeout=20)
        standin.wait_for(lambda s: len(reminders(s)) >= 2, timeout=30)
        # The second window opened three seconds (three polls of each process) after the first:
        # a duplicate of the first would have come by now.
        texts = [post_text(r) for r in reminders(standin)]
        assert len(texts) == 2
        assert all(r["thread_ts"] == payload["event"]["ts"] for r in reminders(standin))
        # Each process logs a reminder after Slack took it: wait for the line, not a fixed time.
        deadline = time.monotonic() + 10
        while sum(sent_reminders(bot) for bot in bots) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sum(sent_reminders(bot) for bot in bots) == 2
        assert time.time() < not_after + 30
    finally:
        for bot in bots:
            bot.stop()
