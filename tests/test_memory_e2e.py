"""End-to-end workspace memory: the real app over HTTP, signed events, the Slack stand-in, SQLite and PostgreSQL.

A certificate posted in one channel is matched to the CSR posted days earlier in another, the
reply names where (channel mention, permalink, poster, date) and nothing of its content; a
regenerated CSR is called by its name; retention runs on an injected clock; forget and scope
settings hold.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from handlers.ports import ACTION_FORGET_CONFIRM
from standin import TEAM_ID, SlackStandIn
from tests.bot_e2e_support import (
    Clock,
    RunningBot,
    block_action,
    command_form,
    message_event,
    post_file,
    post_text,
    settings_for,
    start_bot,
    vector,
)

CSR = vector("server.csr.pem")
CERT_DER = vector("server.cert.der")
REGENERATED_CSR = vector("server-regenerated.csr.pem")
PRIVATE_KEY = vector("server.key.pem")

pytestmark = pytest.mark.e2e


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())


def _start(settings: Settings, clock: Clock) -> RunningBot:
    return start_bot(settings, clock=clock)


@pytest.fixture
def bot(standin: SlackStandIn, database: tuple[str, str], clock: Clock) -> Iterator[RunningBot]:
    url, prefix = database
    running = _start(settings_for(standin, url, prefix), clock)
    yield running
    running.stop()


def _permalink(channel: str, ts: str) -> str:
    return f"https://example.slack.com/archives/{channel}/p{ts.replace('.', '')}"


# -- cross-channel partner -----------------------------------------------------------------------


def test_certificate_is_matched_to_the_csr_posted_days_ago_in_another_channel(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    request, _ = post_file(bot, standin, "pki-request-cucm.csr", CSR, channel="C0PKIREQ")
    clock.advance(9)
    cert_post, reply = post_file(
        bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE", user="U0BOB"
    )
    text = post_text(reply)
    assert reply["channel"] == "C0VOICE"
    assert reply["thread_ts"] == cert_post["event"]["ts"]
    assert "This certificate matches the CSR posted in <#C0PKIREQ> by <@U0ALICE>" in text
    assert _permalink("C0PKIREQ", request["event"]["ts"]) in text
    assert "<!date^" in text
    assert "<#C0PKIREQ>" in reply["text"]  # the notification text says it too
    # Nothing of the other channel's message beyond the fact and the link.
    assert "pki-request-cucm.csr" not in text
    assert "regenerated" not in text
    permalink_calls = standin.calls_to("chat.getPermalink")
    assert [(c.args["channel"], c.args["message_ts"]) for c in permalink_calls] == [
        ("C0PKIREQ", request["event"]["ts"])
    ]


def test_csr_is_matched_to_a_certificate_posted_earlier_elsewhere(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE", user="U0BOB")
    clock.advance(1)
    _, reply = post_file(bot, standin, "cucm.csr", CSR, channel="C0PKIREQ")
    assert "This CSR matches the certificate posted in <#C0VOICE> by <@U0BOB>" in post_text(reply)


def test_posted_private_key_is_indexed_by_its_public_fingerprint_only(
    bot: RunningBot, standin: SlackStandIn, database: tuple[str, str]
) -> None:
    payload = message_event(text="key from cucm-pub\n" + PRIVATE_KEY.decode(), channel="C0KEYS")
    bot.send_event(payload)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    (row,) = bot.store.channel_fingerprints(TEAM_ID, "C0KEYS")
    assert row.kind == "private_key" and row.modulus_md5 and row.common_name is None
    assert bot.store.thread_artefacts(TEAM_ID, "C0KEYS", payload["event"]["ts"]) == []
    _, reply = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE")
    assert "matches the private key posted in <#C0KEYS>" in post_text(reply)
    url, _ = database
    if url.startswith("sqlite:///"):
        raw = Path(url[len("sqlite:///") :]).read_bytes()
        wal = Path(url[len("sqlite:///") :] + "-wal")
        raw += wal.read_bytes() if wal.exists() else b""
        body = [ln for ln in PRIVATE_KEY.decode().splitlines() if "-----" not in ln]
        assert not any(line.encode() in raw for line in body)


def test_certificate_pasted_into_the_slash_command_is_matched_but_not_indexed(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    # A command's payload does not say whether its channel is shared with another
    # organisation, so it is matched within its own channel only (tests/test_privacy_e2e.py).
    post_file(bot, standin, "cucm.csr", CSR, channel="C0PKIREQ")
    pem = vector("server.cert.pem").decode()
    assert bot.send_command(command_form(pem, standin, channel="C0PKIREQ")).status == 200
    answer = standin.wait_for_calls("response_url")[0].args
    text = json.dumps(answer)
    assert "matches the CSR posted in another thread of <#C0PKIREQ>" in text
    assert "database is unavailable" not in text
    assert len(bot.store.channel_fingerprints(TEAM_ID, "C0PKIREQ")) == 1


def test_same_channel_other_thread_is_named_as_such(bot: RunningBot, standin: SlackStandIn) -> None:
    post_file(bot, standin, "cucm.csr", CSR, channel="C0PKIREQ")
    _, reply = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0PKIREQ")
    assert "in another thread of <#C0PKIREQ>" in post_text(reply)


def test_partner_in_the_same_thread_adds_no_memory_note(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    parent, _ = post_file(bot, standin, "cucm.csr", CSR, channel="C0PKIREQ")
    _, reply = post_file(
        bot, standin, "certnew.cer", CERT_DER, channel="C0PKIREQ", thread_ts=parent["event"]["ts"]
    )
    assert reply["text"].startswith("certmatch: Match")
    assert ":link:" not in post_text(reply) and "regenerated" not in post_text(reply)


def test_a_dm_with_the_bot_is_never_pointed_at_from_a_channel(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    post_file(bot, standin, "cucm.csr", CSR, channel="D0ALICEDM")
    _, reply = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE")
    assert "D0ALICEDM" not in post_text(reply) and ":link:" not in post_text(reply)


def test_without_a_permalink_the_reply_still_names_channel_poster_and_date(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    post_file(bot, standin, "cucm.csr", CSR, channel="C0PKIREQ")
    standin.fail_next(
        "chat.getPermalink", 200, body={"ok": False, "error": "channel_not_found"}, times=5
    )
    _, reply = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE")
    text = post_text(reply)
    assert "matches the CSR posted in <#C0PKIREQ> by <@U0ALICE> on <!date^" in text
    assert "archives/C0PKIREQ" not in text


def test_channel_scope_keeps_the_lookup_inside_the_channel(
    standin: SlackStandIn, database: tuple[str, str], clock: Clock
) -> None:
    url, prefix = database
    bot = _start(settings_for(standin, url, prefix, memory_scope="channel"), clock)
    try:
        post_file(bot, standin, "cucm.csr", CSR, channel="C0PKIREQ")
        _, elsewhere = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE")
        assert ":link:" not in post_text(elsewhere)
        _, same = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0PKIREQ")
        assert "in another thread of <#C0PKIREQ>" in post_text(same)
    finally:
        bot.stop()


def test_thread_scope_looks_nowhere_else_but_still_names_a_regenerated_csr_in_the_thread(
    standin: SlackStandIn, database: tuple[str, str], clock: Clock
) -> None:
    url, prefix = database
    bot = _start(settings_for(standin, url, prefix, memory_scope="thread"), clock)
    try:
        post_file(bot, standin, "cucm.csr", CSR, channel="C0PKIREQ")
        _, elsewhere = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0PKIREQ")
        assert ":link:" not in post_text(elsewhere) and "C0PKIREQ>" not in post_text(elsewhere)
        parent, _ = post_file(bot, standin, "v2.csr", REGENERATED_CSR, channel="C0VOICE")
        _, same = post_file(
            bot,
            standin,
            "certnew.cer",
            CERT_DER,
            channel="C0VOICE",
            thread_ts=parent["event"]["ts"],
        )
        assert "regenerated CSR" in post_text(same)
        assert "C0PKIREQ" not in post_text(same)
    finally:
        bot.stop()


# -- the regenerated CSR -------------------------------------------------------------------------


def test_certificate_for_a_csr_that_was_regenerated_later_says_regenerated(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    original, _ = post_file(bot, standin, "cucm-tomcat.csr", CSR, channel="C0PKIREQ")
    clock.advance(2)
    regenerated, _ = post_file(
        bot, standin, "cucm-tomcat-v2.csr", REGENERATED_CSR, channel="C0VOICE", user="U0BOB"
    )
    clock.advance(8)
    _, reply = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE", user="U0CAROL")
    text = post_text(reply)
    assert "The CSR was regenerated" in text
    assert "belongs to the CSR posted in <#C0PKIREQ> by <@U0ALICE>" in text
    assert "with a different key was posted in another thread of <#C0VOICE> by <@U0BOB>" in text
    assert "cannot be installed" in text
    assert "re-issue the certificate from the newer CSR" in text
    assert "re-use the older key if it still exists" in text
    assert _permalink("C0PKIREQ", original["event"]["ts"]) in text
    assert _permalink("C0VOICE", regenerated["event"]["ts"]) in text
    assert "regenerated" in reply["text"]


def test_certificate_matching_nothing_but_a_csr_for_its_name_is_likely_regenerated(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    post_file(bot, standin, "cucm-tomcat.csr", REGENERATED_CSR, channel="C0PKIREQ")
    clock.advance(5)
    _, reply = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE")
    text = post_text(reply)
    assert "Most likely a regenerated CSR" in text
    assert "posted in <#C0PKIREQ> by <@U0ALICE>" in text
    assert "re-issue from the newer CSR" in text


def test_posting_a_regenerated_csr_warns_about_the_earlier_unanswered_one(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    first, _ = post_file(bot, standin, "cucm-tomcat.csr", CSR, channel="C0PKIREQ")
    clock.advance(1)
    _, reply = post_file(
        bot, standin, "cucm-tomcat-v2.csr", REGENERATED_CSR, channel="C0VOICE", user="U0BOB"
    )
    text = post_text(reply)
    assert "This is a regenerated CSR" in text
    assert "posted in <#C0PKIREQ> by <@U0ALICE>" in text
    assert _permalink("C0PKIREQ", first["event"]["ts"]) in text
    assert "send this newer CSR to the CA instead" in text


def test_regenerated_csr_in_the_same_thread_is_named_beside_the_mismatch(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    parent, _ = post_file(bot, standin, "tomcat.csr", REGENERATED_CSR, channel="C0PKI")
    _, reply = post_file(
        bot, standin, "certnew.cer", CERT_DER, channel="C0PKI", thread_ts=parent["event"]["ts"]
    )
    assert reply["text"].startswith("certmatch: Mismatch")
    assert "regenerated CSR" in post_text(reply)
    assert "posted earlier in this thread by <@U0ALICE>" in post_text(reply)


# -- retention and forgetting ----------------------------------------------------------------------


def test_memory_inside_the_retention_window_is_used_and_outside_it_purged(
    standin: SlackStandIn, database: tuple[str, str], clock: Clock
) -> None:
    url, prefix = database
    bot = _start(settings_for(standin, url, prefix, retention_days=30), clock)
    try:
        post_file(bot, standin, "cucm.csr", CSR, channel="C0PKIREQ")
        clock.advance(29)
        _, inside = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE")
        assert "matches the CSR posted in <#C0PKIREQ>" in post_text(inside)
        clock.advance(2)  # 31 days after the CSR, 2 after the certificate
    finally:
        bot.stop()
    # A process starting later purges at start: the CSR's row is gone, the certificate's kept.
    later = _start(settings_for(standin, url, prefix, retention_days=30), clock)
    try:
        assert later.store.channel_fingerprints(TEAM_ID, "C0PKIREQ") == []
        assert len(later.store.channel_fingerprints(TEAM_ID, "C0VOICE")) == 1
        _, outside = post_file(later, standin, "again.cer", CERT_DER, channel="C0OTHER")
        assert "<#C0PKIREQ>" not in post_text(outside)
        assert "matches the CSR" not in post_text(outside)
    finally:
        later.stop()


def test_retention_purge_runs_while_the_bot_is_running(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    post_file(bot, standin, "cucm.csr", CSR, channel="C0PKIREQ")
    assert len(bot.store.channel_fingerprints(TEAM_ID, "C0PKIREQ")) == 1
    clock.advance(31)  # past the window, and more than an hour since the last purge
    _, reply = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE")
    assert ":link:" not in post_text(reply)
    assert bot.store.channel_fingerprints(TEAM_ID, "C0PKIREQ") == []


def test_forget_removes_the_channel_from_the_workspace_memory(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    post_file(bot, standin, "cucm.csr", CSR, channel="C0PKIREQ")
    bot.send_command(command_form("forget", standin, channel="C0PKIREQ"))
    confirm = block_action(ACTION_FORGET_CONFIRM, "C0PKIREQ", standin)
    confirm["channel"]["id"] = "C0PKIREQ"
    bot.send_interaction(confirm)
    assert "1 remembered" in standin.wait_for_calls("response_url", 2)[1].args["text"]
    assert bot.store.channel_fingerprints(TEAM_ID, "C0PKIREQ") == []
    _, reply = post_file(bot, standin, "certnew.cer", CERT_DER, channel="C0VOICE")
    assert ":link:" not in post_text(reply) and "C0PKIREQ" not in post_text(reply)


def test_app_home_says_what_is_kept_where_and_for_how_long(
    standin: SlackStandIn, database: tuple[str, str], clock: Clock
) -> None:
    url, prefix = database
    bot = _start(
        settings_for(standin, url, prefix, retention_days=14, memory_scope="channel"), clock
    )
    try:
        home = message_event()
        home["event"] = {"type": "app_home_opened", "user": "U0ALICE", "tab": "home"}
        bot.send_event(home)
        view = json.dumps(standin.wait_for_calls("views.publish")[0].args["view"])
        assert "14 days" in view and "in the same channel" in view
        assert "fingerprints" in view and "/certmatch forget" in view
    finally:
        bot.stop()
