"""Fault injection through the Slack stand-in: whatever Slack or the network does, the person gets one answer (or one clear apology), no event is lost and the next event is answered normally."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from standin import SlackStandIn
from tests.bot_e2e_support import (
    RunningBot,
    message_event,
    modulus_md5,
    post_text,
    settings_for,
    start_bot,
    vector,
    wait_quiet,
)

CSR = vector("server.csr.pem")
CERT_DER = vector("server.cert.der")
CERT_PEM = vector("server.cert.pem")
MD5 = modulus_md5(CERT_PEM)
DOWNLOAD_TIMEOUT = 2.0

pytestmark = pytest.mark.e2e


@pytest.fixture
def bot(standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    db_url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    running = start_bot(
        settings_for(standin, db_url, "certmatch_", download_timeout=DOWNLOAD_TIMEOUT)
    )
    yield running
    running.stop()


def _one_post_then_healthy(bot: RunningBot, standin: SlackStandIn, thread_ts: str) -> str:
    """The single reply in `thread_ts` (asserting none is duplicated), then a normal check works."""
    standin.wait_for(lambda s: len(s.posts()) >= 1, timeout=20)
    wait_quiet(standin, bot)  # every job done: a duplicate would have been posted by now
    posts = standin.posts()
    assert len(posts) == 1, [p.get("text") for p in posts]
    assert posts[0]["thread_ts"] == thread_ts
    reply = post_text(posts[0])
    assert "Traceback" not in reply
    # The process is healthy: the next event gets the ordinary answer.
    follow_up = message_event(files=[standin.add_file("next.csr", CSR)])
    assert bot.send_event(follow_up).status == 200
    standin.wait_for(lambda s: len(s.posts()) == 2, timeout=20)
    assert f"MD5(stdin)= {MD5}" in post_text(standin.posts()[1])
    return reply


def _upload(standin: SlackStandIn) -> tuple[dict[str, object], dict[str, object]]:
    csr = standin.add_file("tomcat.csr", CSR)
    cert = standin.add_file("certnew.cer", CERT_DER)
    return message_event(files=[csr, cert]), cert


# -- chat.postMessage ---------------------------------------------------------------------------


def test_rate_limited_reply_honours_retry_after_and_a_slack_retry_adds_no_second_reply(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    limited = {"ok": False, "error": "ratelimited"}
    standin.fail_next("chat.postMessage", 429, body=limited, headers={"Retry-After": "1"}, times=2)
    payload, _ = _upload(standin)
    assert bot.send_event(payload).status == 200
    # Slack did not see our reply yet and redelivers the event: it must not be checked twice.
    assert bot.send_event(payload, retry_num=1).status == 200
    reply = _one_post_then_healthy(bot, standin, payload["event"]["ts"])  # type: ignore[index]
    assert reply.count("Match") >= 1 and f"MD5(stdin)= {MD5}" in reply
    calls = standin.calls_to("chat.postMessage")
    assert calls[1].at - calls[0].at >= 0.9 and calls[2].at - calls[1].at >= 0.9


def test_server_errors_on_the_reply_are_retried_and_answered_once(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    standin.fail_next("chat.postMessage", 500, body={"ok": False, "error": "internal_error"})
    standin.fail_next("chat.postMessage", 502, body={"ok": False, "error": "bad_gateway"})
    payload, _ = _upload(standin)
    bot.send_event(payload)
    reply = _one_post_then_healthy(bot, standin, payload["event"]["ts"])  # type: ignore[index]
    assert f"MD5(stdin)= {MD5}" in reply


def test_server_errors_beyond_the_retries_end_in_one_apology_naming_slack(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    standin.fail_next(
        "chat.postMessage", 500, body={"ok": False, "error": "internal_error"}, times=3
    )
    payload, _ = _upload(standin)
    bot.send_event(payload)
    reply = _one_post_then_healthy(bot, standin, payload["event"]["ts"])  # type: ignore[index]
    assert "Sorry" in reply and "Slack said `internal_error`" in reply and "again" in reply


def test_not_in_channel_is_explained_to_the_person_directly(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    standin.not_in_channels.add("C0LEFT")
    csr = standin.add_file("tomcat.csr", CSR)
    payload = message_event(files=[csr], channel="C0LEFT", user="U0ALICE")
    bot.send_event(payload)
    standin.wait_for(lambda s: len(s.posts()) == 1, timeout=20)
    wait_quiet(standin, bot)
    (post,) = standin.posts()
    assert post["channel"] == "U0ALICE"  # a direct message: the channel refused the bot
    text = post_text(post)
    assert "not a member" in text and "/invite @certmatch" in text
    follow_up = message_event(files=[standin.add_file("next.csr", CSR)])
    bot.send_event(follow_up)
    standin.wait_for(lambda s: len(s.posts()) == 2, timeout=20)
    assert standin.posts()[1]["channel"] == "C0PKI"


# -- downloads ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["reset", "truncate", "500"])
def test_a_download_that_fails_once_is_retried_and_the_check_answered(
    bot: RunningBot, standin: SlackStandIn, fault: str
) -> None:
    payload, cert = _upload(standin)
    standin.fail_download(str(cert["id"]), fault)
    bot.send_event(payload)
    reply = _one_post_then_healthy(bot, standin, payload["event"]["ts"])  # type: ignore[index]
    assert "Match" in reply and "damaged" not in reply


@pytest.mark.parametrize("fault", ["reset", "truncate"])
def test_a_download_that_keeps_failing_is_named_with_what_to_do(
    bot: RunningBot, standin: SlackStandIn, fault: str
) -> None:
    payload, cert = _upload(standin)
    standin.fail_download(str(cert["id"]), fault, times=10)
    bot.send_event(payload)
    reply = _one_post_then_healthy(bot, standin, payload["event"]["ts"])  # type: ignore[index]
    # The truncated file is not mistaken for a damaged certificate: the download is named.
    assert "certnew.cer" in reply and "try again" in reply
    assert "damaged" not in reply


@pytest.mark.parametrize("fault", ["stall:6", "trickle:8"])
def test_a_stalled_or_trickling_download_times_out_within_the_bound(
    bot: RunningBot, standin: SlackStandIn, fault: str
) -> None:
    payload, cert = _upload(standin)
    standin.fail_download(str(cert["id"]), fault, times=10)
    started = time.monotonic()
    bot.send_event(payload)
    standin.wait_for(lambda s: len(s.posts()) >= 1, timeout=20)
    # One timeout for the download (no retry of a stall), plus the check itself.
    assert time.monotonic() - started < DOWNLOAD_TIMEOUT + 2.5
    reply = _one_post_then_healthy(bot, standin, payload["event"]["ts"])  # type: ignore[index]
    assert "certnew.cer" in reply and "timed out" in reply


# -- files.info ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "times"),
    [(200, "file_not_found", 1), (200, "access_denied", 1), (500, "internal_error", 3)],
)
def test_files_info_errors_for_a_slack_connect_stub_are_explained(
    bot: RunningBot, standin: SlackStandIn, status: int, error: str, times: int
) -> None:
    cert = standin.add_file("certnew.cer", CERT_DER)
    standin.fail_next("files.info", status, body={"ok": False, "error": error}, times=times)
    payload = message_event(files=[SlackStandIn.stub(cert)])
    bot.send_event(payload)
    reply = _one_post_then_healthy(bot, standin, payload["event"]["ts"])
    assert "files.info" in reply and error in reply and "share it again" in reply


def test_files_info_failing_once_is_retried_and_the_stub_checked(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    cert = standin.add_file("certnew.cer", CERT_DER)
    standin.fail_next("files.info", 503, body={"ok": False, "error": "service_unavailable"})
    csr = standin.add_file("tomcat.csr", CSR)
    payload = message_event(files=[csr, SlackStandIn.stub(cert)])
    bot.send_event(payload)
    reply = _one_post_then_healthy(bot, standin, payload["event"]["ts"])
    assert "Match" in reply
