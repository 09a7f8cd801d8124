"""Expiry reminders without Slack: the settings, the words and blocks they post, the command's DAYS."""

from __future__ import annotations

import json

import pytest

from bot.config import ConfigError, load_settings
from handlers.reminder_blocks import (
    CertificateFacts,
    build_expiring_blocks,
    build_reminder_blocks,
    build_renewed_blocks,
    days_words,
    name_of,
    window_sentence,
)
from handlers.reminder_commands import is_reminder_command, parse_days

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cret"}
DAY = 86400.0
NOW = 1_900_000_000.0
FACTS = CertificateFacts(
    subject="CN=cucm-pub.example.test,OU=Voice,O=Example Corp",
    sans=("DNS:cucm-pub.example.test", "IP:10.0.0.10"),
    serial="03E9",
    not_after=NOW + 7 * DAY,
    csr_where="the CSR posted earlier in this thread by <@U0ALICE>",
)


def test_reminder_days_default_to_30_7_1_and_the_poll_to_five_minutes() -> None:
    settings = load_settings(GOOD, dotenv_path=None)
    assert settings.reminder_days == (30.0, 7.0, 1.0)
    assert settings.reminder_poll_seconds == 300.0


def test_reminder_days_take_fractions_in_any_order_without_repeats() -> None:
    env = {
        **GOOD,
        "CERTMATCH_REMINDER_DAYS": " 1, 0.5,14,1 ",
        "CERTMATCH_REMINDER_POLL_SECONDS": "1",
    }
    settings = load_settings(env, dotenv_path=None)
    assert settings.reminder_days == (14.0, 1.0, 0.5)
    assert settings.reminder_poll_seconds == 1.0


@pytest.mark.parametrize("raw", ["thirty", "30,,7", "0", "-1", "nan", "inf", "4000", "30;7"])
def test_a_bad_reminder_days_value_stops_start_up_with_one_line_naming_it(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**GOOD, "CERTMATCH_REMINDER_DAYS": raw}, dotenv_path=None)
    message = str(caught.value)
    assert message.startswith("CERTMATCH_REMINDER_DAYS must be") and "30,7,1" in message
    assert "\n" not in message and repr(raw) in message


@pytest.mark.parametrize("raw", ["0", "1.5", "often", "100000"])
def test_a_bad_poll_interval_stops_start_up_naming_it(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"^CERTMATCH_REMINDER_POLL_SECONDS must be"):
        load_settings({**GOOD, "CERTMATCH_REMINDER_POLL_SECONDS": raw}, dotenv_path=None)


def test_env_example_documents_both_settings() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    assert "CERTMATCH_REMINDER_DAYS=30,7,1" in text
    assert "CERTMATCH_REMINDER_POLL_SECONDS=300" in text


@pytest.mark.parametrize(
    ("days", "words"),
    [(30, "30 days"), (1, "1 day"), (0.5, "12 hours"), (1 / 24, "1 hour"), (0.0001, "9 seconds")],
)
def test_windows_are_said_as_people_say_them(days: float, words: str) -> None:
    assert days_words(days) == words


def test_a_reminder_names_the_certificate_its_csr_and_what_to_do() -> None:
    blocks = build_reminder_blocks(FACTS, 7, now=NOW)
    text = json.dumps(blocks)
    assert "expires in 7 days" in text and "reminder 7 days before expiry" in text
    assert "cucm-pub.example.test" in text and "IP:10.0.0.10" in text and "03E9" in text
    assert f"<!date^{int(FACTS.not_after)}^" in text
    assert "It matches the CSR posted earlier in this thread by <@U0ALICE>" in text
    assert "Generate a new CSR on the server now" in text
    assert "/certmatch reminders off" in text and "late" not in text


def test_a_late_reminder_says_when_it_was_due() -> None:
    text = json.dumps(build_reminder_blocks(FACTS, 30, now=NOW, late_since=NOW - 23 * DAY))
    assert "This reminder is late" in text and f"<!date^{int(NOW - 23 * DAY)}^" in text


def test_names_from_the_certificate_cannot_become_mentions() -> None:
    hostile = CertificateFacts(
        subject="CN=<!channel>", sans=("DNS:<@U0EVE>",), serial="`x`", not_after=NOW + DAY
    )
    text = json.dumps(build_reminder_blocks(hostile, 1, now=NOW))
    assert "<!channel>" not in text and "<@U0EVE>" not in text
    assert "&lt;!channel&gt;" in text


def test_the_name_is_the_cn_else_the_first_san() -> None:
    assert name_of(FACTS) == "cucm-pub.example.test"
    assert name_of(CertificateFacts(None, ("DNS:a.example",), None, NOW)) == "a.example"


def test_the_renewal_note_says_until_when_the_new_one_is_valid() -> None:
    renewed = CertificateFacts(
        FACTS.subject, FACTS.sans, FACTS.serial, FACTS.not_after,
        renewed_not_after=NOW + 400 * DAY, renewed_where="in this thread on today",
    )  # fmt: skip
    text = json.dumps(build_renewed_blocks(renewed))
    assert "Renewed." in text and f"<!date^{int(NOW + 400 * DAY)}^" in text
    assert "in this thread on today" in text and "03E9" in text


def test_the_first_reply_sentence_names_the_window_and_the_reminders_to_come() -> None:
    sentence = window_sentence(FACTS, 30, [1], now=NOW)
    assert "Expires in 7 days" in sentence and "within 30 days of expiry" in sentence
    assert "reminds this thread again 1 day before it expires" in sentence
    assert "reminds this thread" not in window_sentence(FACTS, 30, [], now=NOW)


def test_the_expiring_list_is_soonest_first_as_given_with_links_and_renewals() -> None:
    soon = CertificateFacts("CN=a.example", (), "01", NOW + DAY, link="https://x/p1")
    later = CertificateFacts(
        "CN=b.example", (), "02", NOW + 9 * DAY, renewed_not_after=NOW + 400 * DAY
    )
    text = json.dumps(build_expiring_blocks([soon, later], 60, now=NOW))
    assert text.index("a.example") < text.index("b.example")
    assert "<https://x/p1|thread>" in text and "renewed" in text and "in 1 day" in text
    assert "No certificate" in json.dumps(build_expiring_blocks([], 60, now=NOW))


def test_the_expiring_list_stays_within_block_kit_limits() -> None:
    many = [
        CertificateFacts(f"CN=host{i}.example", ("DNS:x",) * 3, "01", NOW + i) for i in range(25)
    ]
    blocks = build_expiring_blocks(many, 60, now=NOW, more=True)
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


@pytest.mark.parametrize(
    ("words", "days"),
    [([], 60.0), (["14"], 14.0), (["0.5"], 0.5), (["0"], None), (["soon"], None),
     (["1", "2"], None), (["nan"], None), (["9999"], None)],
)  # fmt: skip
def test_expiring_days_default_to_60_and_must_be_a_sensible_number(
    words: list[str], days: float | None
) -> None:
    assert parse_days(words) == days


@pytest.mark.parametrize(
    ("text", "ours"),
    [("expiring", True), ("Expiring 30", True), ("reminders off", True), ("profile", False),
     ("", False), ("-----BEGIN CERTIFICATE-----", False)],
)  # fmt: skip
def test_only_the_reminder_subcommands_reach_the_reminder_listener(text: str, ours: bool) -> None:
    assert is_reminder_command({"text": text}) is ours
