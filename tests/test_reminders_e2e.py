"""End-to-end expiry reminders: the real app over HTTP, signed events and commands, the Slack stand-in, a moved clock.

The app schedules reminders when it checks a posted certificate and answers the commands;
what its poller does each interval (`Reminders.run_due`) is called here right after the clock
moves, on a `Reminders` built on the same database and clock, so a test says exactly when
time passes. The poller thread itself runs in tests/test_reminders_processes.py (real
`python -m bot` processes, real time). SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from slack_sdk import WebClient

from bot.config import Settings
from bot.reminders import Reminders
from bot.store.reminders import ReminderStore
from handlers.ports import ACTION_FORGET_CONFIRM
from standin import BOT_TOKEN, TEAM_ID, SlackStandIn
from tests.bot_e2e_support import (
    DAY,
    RunningBot,
    block_action,
    command_form,
    post_file,
    post_text,
    settings_for,
    start_bot,
    vector,
)
from tests.bot_e2e_support import Clock as BaseClock
from tests.factory import make_cert, name, new_key

CSR = vector("server.csr.pem")
CERT = vector("server.cert.pem")
NOT_AFTER = x509.load_pem_x509_certificate(CERT).not_valid_after_utc.timestamp()

pytestmark = pytest.mark.e2e


class Clock(BaseClock):
    """The shared clock, set relative to the test certificate's notAfter."""

    def set_days_before_expiry(self, days: float, not_after: float = NOT_AFTER) -> None:
        """Just past the moment `days` before notAfter (a poll a minute after the window opened)."""
        self.now = not_after - days * DAY + 60


@dataclass
class Instance:
    """One running bot: its HTTP endpoint, and what its poller would do on each interval."""

    bot: RunningBot
    reminders: Reminders
    client: WebClient

    def poll(self) -> int:
        return self.reminders.run_due(self.client)

    def stop(self) -> None:
        self.bot.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOT_AFTER - 40 * DAY)


def start(settings: Settings, clock: Clock) -> Instance:
    running = start_bot(settings, clock=clock)
    store = running.store
    client = WebClient(token=BOT_TOKEN, base_url=settings.api_url)
    return Instance(
        running,
        Reminders(store, settings, clock),
        client,
    )


@pytest.fixture
def bot(standin: SlackStandIn, database: tuple[str, str], clock: Clock) -> Iterator[Instance]:
    url, prefix = database
    running = start(settings_for(standin, url, prefix), clock)
    yield running
    running.stop()


def command(bot: Instance, standin: SlackStandIn, text: str, channel: str = "C0PKI") -> Any:
    return bot.bot.send_command(command_form(text, standin, channel=channel))


def reminders_in(standin: SlackStandIn, channel: str | None = None) -> list[dict[str, Any]]:
    return [
        p
        for p in standin.posts()
        if ":alarm_clock:" in post_text(p) and (channel is None or p["channel"] == channel)
    ]


def renewal_of_the_vector(not_after: dt.datetime) -> bytes:
    """A certificate for the vector's names (same CN and SANs), new key, a later notAfter."""
    key = new_key("ec256")
    cert = make_cert(
        key.public_key(),
        name(CN="cucm-pub.example.test", OU="Voice", O="Example Corp"),
        None,
        key,
        sans=("DNS:cucm-pub.example.test", "DNS:cucm-pub", "IP:10.0.0.10"),
        not_before=not_after - dt.timedelta(days=400),
        not_after=not_after,
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def other_certificate(cn: str, not_after: float) -> bytes:
    key = new_key("ec256")
    moment = dt.datetime.fromtimestamp(not_after, dt.UTC)
    cert = make_cert(
        key.public_key(),
        name(CN=cn, O="Example Corp"),
        None,
        key,
        sans=(f"DNS:{cn}",),
        not_before=moment - dt.timedelta(days=400),
        not_after=moment,
    )
    return cert.public_bytes(serialization.Encoding.PEM)


# -- each window, once ---------------------------------------------------------------------------


def test_a_certificate_crossing_each_window_gets_one_reminder_in_its_thread(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    request, _ = post_file(bot.bot, standin, "cucm-pub.csr", CSR, channel="C0PKI")
    thread = request["event"]["ts"]
    clock.now += DAY
    _, first_reply = post_file(
        bot.bot, standin, "certnew.cer", CERT, channel="C0PKI", thread_ts=thread
    )
    assert "reminder window" not in post_text(first_reply)  # 39 days left: no window yet
    assert bot.poll() == 0
    seen: list[Any] = []
    for days in (30, 7, 1):
        clock.set_days_before_expiry(days)
        assert bot.poll() == 1
        assert bot.poll() == 0  # the next interval finds nothing more
        (reminder,) = reminders_in(standin)[len(seen) :]
        seen.append(reminder)
        text = post_text(reminder)
        assert (reminder["channel"], reminder["thread_ts"]) == ("C0PKI", thread)
        assert f"{days} day" in text
        assert "cucm-pub.example.test" in text and "DNS:cucm-pub" in text and "IP:10.0.0.10" in text
        assert "03E9" in text and f"<!date^{int(NOT_AFTER)}^" in text
        assert "It matches the CSR posted earlier in this thread by <@U0ALICE>" in text
        assert f"archives/C0PKI/p{thread.replace('.', '')}" in text  # a link to the CSR
        assert "Generate a new CSR on the server now" in text and "send it to the CA" in text
        assert "late" not in text
    clock.now = NOT_AFTER + 3600
    assert bot.poll() == 0
    assert len(reminders_in(standin)) == 3


def test_a_certificate_matched_to_a_csr_in_another_channel_says_where_in_its_reminder(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    post_file(bot.bot, standin, "cucm-pub.csr", CSR, channel="C0PKIREQ")
    post_file(bot.bot, standin, "certnew.cer", CERT, channel="C0VOICE")
    clock.set_days_before_expiry(30)
    assert bot.poll() == 1
    (reminder,) = reminders_in(standin)
    assert reminder["channel"] == "C0VOICE"
    assert "It matches the CSR posted in <#C0PKIREQ> by <@U0ALICE>" in post_text(reminder)


def test_a_certificate_posted_inside_a_window_says_so_in_its_first_reply_instead(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    clock.set_days_before_expiry(10)
    payload, reply = post_file(bot.bot, standin, "certnew.cer", CERT)
    text = post_text(reply)
    assert "Expires in 10 days" in text and "already within 30 days of expiry" in text
    assert "Generate a new CSR on the server now" in text
    assert "reminds this thread again 7 days, 1 day before it expires" in text
    assert bot.poll() == 0  # the 30-day reminder was the reply itself
    clock.set_days_before_expiry(7)
    assert bot.poll() == 1
    (reminder,) = reminders_in(standin)
    assert reminder["thread_ts"] == payload["event"]["ts"]


def test_windows_missed_while_certmatch_was_down_give_one_late_reminder(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    post_file(bot.bot, standin, "certnew.cer", CERT)
    clock.set_days_before_expiry(5)  # the 30- and 7-day windows both passed unseen
    assert bot.poll() == 1
    (reminder,) = reminders_in(standin)
    text = post_text(reminder)
    assert "reminder 7 days before expiry" in text and "This reminder is late" in text
    assert bot.poll() == 0


# -- durable and once-only -----------------------------------------------------------------------


def test_a_restart_between_two_windows_loses_none_and_doubles_none(
    standin: SlackStandIn, database: tuple[str, str], clock: Clock
) -> None:
    url, prefix = database
    first = start(settings_for(standin, url, prefix), clock)
    try:
        post_file(first.bot, standin, "certnew.cer", CERT)
        clock.set_days_before_expiry(30)
        assert first.poll() == 1
    finally:
        first.stop()
    clock.set_days_before_expiry(20)
    second = start(settings_for(standin, url, prefix), clock)
    try:
        assert second.poll() == 0  # the 30-day reminder is not sent again
        clock.set_days_before_expiry(7)
        assert second.poll() == 1
        clock.set_days_before_expiry(1)
        assert second.poll() == 1
        windows = [
            p["text"].split("(reminder ")[-1].split(" before")[0] for p in reminders_in(standin)
        ]
        assert windows == ["30 days", "7 days", "1 day"]
    finally:
        second.stop()


def test_a_reminder_claimed_by_a_process_that_died_is_posted_once_by_another(
    bot: Instance, standin: SlackStandIn, clock: Clock, database: tuple[str, str]
) -> None:
    post_file(bot.bot, standin, "certnew.cer", CERT)
    clock.set_days_before_expiry(30)
    rows = ReminderStore(bot.bot.store)
    (due,) = rows.due(clock.now, lease_seconds=600)
    assert rows.claim(due.reminder_key, "dead-process", now=clock.now, lease_seconds=600)
    assert bot.poll() == 0  # held by the other process
    clock.now += 601  # its lease ran out: it died before posting
    assert bot.poll() == 1
    assert bot.poll() == 0
    assert len(reminders_in(standin)) == 1


def test_several_pollers_on_one_database_post_each_reminder_once(
    standin: SlackStandIn, database: tuple[str, str], clock: Clock
) -> None:
    url, prefix = database
    instances = [start(settings_for(standin, url, prefix), clock) for _ in range(3)]
    try:
        post_file(instances[0].bot, standin, "certnew.cer", CERT)
        for days in (30, 7, 1):
            clock.set_days_before_expiry(days)
            counts: list[int] = []
            threads = [
                threading.Thread(target=lambda i=i, c=counts: c.append(i.poll())) for i in instances
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(counts) == [0, 0, 1]
        assert len(reminders_in(standin)) == 3
    finally:
        for instance in instances:
            instance.stop()


def test_a_post_slack_refuses_for_now_is_retried_and_one_it_refuses_for_good_is_dropped(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    post_file(bot.bot, standin, "certnew.cer", CERT)
    clock.set_days_before_expiry(30)
    standin.fail_next("chat.postMessage", 500)
    assert bot.poll() == 0
    assert bot.poll() == 1  # given back, taken by the next poll
    clock.set_days_before_expiry(7)
    standin.fail_next("chat.postMessage", 200, body={"ok": False, "error": "not_in_channel"})
    assert bot.poll() == 0
    assert bot.poll() == 0  # the bot left the channel: not tried again
    clock.set_days_before_expiry(1)
    assert bot.poll() == 1
    assert len(reminders_in(standin)) == 2


# -- renewal, muting, privacy ----------------------------------------------------------------------


def test_a_renewed_certificate_cancels_the_remaining_reminders_and_the_thread_is_told(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    old, _ = post_file(bot.bot, standin, "certnew.cer", CERT)
    clock.set_days_before_expiry(30)
    assert bot.poll() == 1
    clock.set_days_before_expiry(20)
    renewed_until = dt.datetime.fromtimestamp(NOT_AFTER, dt.UTC) + dt.timedelta(days=365)
    renewal, _ = post_file(bot.bot, standin, "renewed.cer", renewal_of_the_vector(renewed_until))
    assert bot.poll() == 1  # the note in the old thread
    note = standin.posts()[-1]
    text = post_text(note)
    assert note["thread_ts"] == old["event"]["ts"]
    assert "Renewed." in text and "cancelled the remaining reminders" in text
    assert f"<!date^{int(renewed_until.timestamp())}^" in text
    assert f"archives/C0PKI/p{renewal['event']['ts'].replace('.', '')}" in text
    for days in (7, 1):
        clock.set_days_before_expiry(days)
        assert bot.poll() == 0
    assert len(reminders_in(standin)) == 1


def test_a_renewal_seen_before_any_reminder_cancels_them_silently(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    post_file(bot.bot, standin, "certnew.cer", CERT)
    renewed_until = dt.datetime.fromtimestamp(NOT_AFTER, dt.UTC) + dt.timedelta(days=365)
    post_file(bot.bot, standin, "renewed.cer", renewal_of_the_vector(renewed_until))
    posts = len(standin.posts())
    for days in (30, 7, 1):
        clock.set_days_before_expiry(days)
        assert bot.poll() == 0
    assert len(standin.posts()) == posts


def test_an_old_certificate_posted_after_its_renewal_gets_no_reminders(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    renewed_until = dt.datetime.fromtimestamp(NOT_AFTER, dt.UTC) + dt.timedelta(days=365)
    renewal, _ = post_file(bot.bot, standin, "renewed.cer", renewal_of_the_vector(renewed_until))
    clock.set_days_before_expiry(10)
    old, reply = post_file(bot.bot, standin, "old.cer", CERT)
    assert "within 30 days of expiry" in post_text(reply)
    assert "reminds this thread again" not in post_text(reply)
    assert bot.poll() == 1  # the renewal note, since the reply carried a reminder
    note = standin.posts()[-1]
    assert note["thread_ts"] == old["event"]["ts"] and "Renewed." in post_text(note)
    assert f"archives/C0PKI/p{renewal['event']['ts'].replace('.', '')}" in post_text(note)
    for days in (7, 1):
        clock.set_days_before_expiry(days)
        assert bot.poll() == 0


def test_reminders_off_stops_them_and_on_brings_them_back_both_announced(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    post_file(bot.bot, standin, "certnew.cer", CERT)
    assert command(bot, standin, "reminders off").status == 200
    standin.wait_for(
        lambda s: any(
            "turned certificate expiry reminders *off*" in post_text(p) for p in s.posts()
        )
    )
    announcement = standin.posts()[-1]
    assert announcement["channel"] == "C0PKI" and "thread_ts" not in announcement
    assert "<@U0ALICE>" in announcement["text"]
    clock.set_days_before_expiry(30)
    assert bot.poll() == 0
    status = command(bot, standin, "reminders")
    assert "*off*" in status.json()["text"]
    command(bot, standin, "reminders on")
    standin.wait_for(lambda s: any("*on*" in post_text(p) for p in s.posts()))
    assert bot.poll() == 0  # the 30-day reminder was dropped while off
    clock.set_days_before_expiry(7)
    assert bot.poll() == 1
    assert len(reminders_in(standin)) == 1


def test_a_private_channels_certificate_is_never_listed_or_reminded_elsewhere(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    secret, _ = post_file(
        bot.bot, standin, "certnew.cer", CERT, channel="G0SECRET", channel_type="group"
    )
    command(bot, standin, "expiring 60", channel="C0PUBLIC")
    (listing,) = standin.wait_for_calls("response_url")
    assert "cucm-pub" not in json.dumps(listing.args) and "G0SECRET" not in json.dumps(listing.args)
    # A renewal posted in a public channel neither cancels nor reveals the private one.
    renewed_until = dt.datetime.fromtimestamp(NOT_AFTER, dt.UTC) + dt.timedelta(days=365)
    post_file(
        bot.bot, standin, "renewed.cer", renewal_of_the_vector(renewed_until), channel="C0PUBLIC"
    )
    for days in (30, 7, 1):
        clock.set_days_before_expiry(days)
        assert bot.poll() == 1
    assert [(p["channel"], p["thread_ts"]) for p in reminders_in(standin)] == [
        ("G0SECRET", secret["event"]["ts"])
    ] * 3
    assert all(
        "G0SECRET" not in post_text(p) for p in standin.posts() if p["channel"] != "G0SECRET"
    )
    command(bot, standin, "expiring", channel="G0SECRET")
    listing = standin.wait_for_calls("response_url", 2)[-1]
    assert "cucm-pub.example.test" in json.dumps(listing.args)


def test_forget_drops_the_channels_reminders(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    post_file(bot.bot, standin, "certnew.cer", CERT)
    command(bot, standin, "forget")  # asks first (issue 13): the confirm button deletes
    bot.bot.send_interaction(block_action(ACTION_FORGET_CONFIRM, "C0PKI", standin))
    standin.wait_for_calls("response_url", 2)
    assert ReminderStore(bot.bot.store).watched_in(TEAM_ID, "C0PKI") == []
    clock.set_days_before_expiry(30)
    assert bot.poll() == 0


# -- /certmatch expiring ---------------------------------------------------------------------------


def test_expiring_lists_this_conversations_certificates_soonest_first_with_thread_links(
    bot: Instance, standin: SlackStandIn, clock: Clock
) -> None:
    later, _ = post_file(bot.bot, standin, "certnew.cer", CERT)
    sooner, _ = post_file(
        bot.bot, standin, "expe.pem", other_certificate("expe01.example.test", clock.now + 12 * DAY)
    )
    post_file(
        bot.bot, standin, "far.pem", other_certificate("far.example.test", clock.now + 400 * DAY)
    )
    post_file(
        bot.bot,
        standin,
        "elsewhere.pem",
        other_certificate("x.example.test", clock.now + 3 * DAY),
        channel="C0OTHER",
    )
    command(bot, standin, "expiring")
    (answer,) = standin.wait_for_calls("response_url")
    assert answer.args["response_type"] == "ephemeral"
    text = json.dumps(answer.args["blocks"])
    assert text.index("expe01.example.test") < text.index("cucm-pub.example.test")
    assert "far.example.test" not in text and "x.example.test" not in text
    for event in (sooner, later):
        assert f"archives/C0PKI/p{event['event']['ts'].replace('.', '')}|thread>" in text
    assert "in 12 days" in text and "in 40 days" in text
    command(bot, standin, "expiring 20")
    text = json.dumps(standin.wait_for_calls("response_url", 2)[-1].args["blocks"])
    assert "expe01.example.test" in text and "cucm-pub.example.test" not in text
    usage = command(bot, standin, "expiring soon").json()
    assert usage["response_type"] == "ephemeral" and "Usage" in usage["text"]


# -- retention -----------------------------------------------------------------------------------


def test_retention_keeps_a_watched_certificates_index_row_until_a_day_after_it_expires(
    standin: SlackStandIn, database: tuple[str, str], clock: Clock
) -> None:
    url, prefix = database
    settings = settings_for(standin, url, prefix, retention_days=30)
    first = start(settings, clock)
    try:
        request, _ = post_file(first.bot, standin, "cucm-pub.csr", CSR)
        post_file(first.bot, standin, "certnew.cer", CERT, thread_ts=request["event"]["ts"])
    finally:
        first.stop()
    clock.now += 35 * DAY  # past the retention window, inside the 7-day reminder window
    second = start(settings, clock)  # purges at start
    try:
        store = second.bot.store
        rows = store.channel_fingerprints(TEAM_ID, "C0PKI")
        assert [r.kind for r in rows] == [
            "certificate"
        ]  # the CSR's row went, the certificate's stayed
        assert store.thread_artefacts(TEAM_ID, "C0PKI", request["event"]["ts"]) == []  # no PEM
        assert second.poll() == 1
        assert "It matches the CSR posted earlier in this thread" in post_text(
            reminders_in(standin)[0]
        )
    finally:
        second.stop()
    clock.now = NOT_AFTER + DAY + 60
    third = start(settings, clock)
    try:
        assert third.bot.store.channel_fingerprints(TEAM_ID, "C0PKI") == []
        assert ReminderStore(third.bot.store).watched_in(TEAM_ID, "C0PKI") == []
        assert third.poll() == 0
    finally:
        third.stop()
