"""End-to-end: the app's real HTTP endpoint, signed Slack requests, and what the Slack stand-in received."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.profiles import ProfileStore
from handlers.ports import ACTION_FORGET_CONFIRM, ACTION_SHOW_CA_NOTE, ACTION_SHOW_DETAIL
from standin import BOT_TOKEN, SlackStandIn
from tests.bot_e2e_support import (
    SIGNING_SECRET,
    RunningBot,
    block_action,
    command_form,
    message_event,
    message_shortcut,
    modulus_md5,
    new_ts,
    post_text,
    replies_per_thread,
    settings_for,
    start_bot,
    vector,
    view_submission,
    wait_quiet,
)

CSR = vector("server.csr.pem")
CERT_DER = vector("server.cert.der")
CERT_PEM = vector("server.cert.pem")
REGENERATED_CSR = vector("server-regenerated.csr.pem")
PRIVATE_KEY = vector("server.key.pem")
MD5 = modulus_md5(CERT_PEM)  # of the server key, as `openssl x509 -noout -modulus | openssl md5`


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.sqlite3'}"


@pytest.fixture
def bot(standin: SlackStandIn, db_url: str) -> Iterator[RunningBot]:
    running = start_bot(settings_for(standin, db_url, "certmatch_"))
    yield running
    running.stop()


def _settle(standin: SlackStandIn, *bots: RunningBot) -> None:
    """Wait until every queued message is answered, before asserting that nothing more came."""
    for bot in bots:
        wait_quiet(standin, bot)


# -- uploads and pasted text --------------------------------------------------------------------


def test_upload_of_csr_and_certificate_gets_one_threaded_match_reply(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    files = [standin.add_file("tomcat.csr", CSR), standin.add_file("certnew.cer", CERT_DER)]
    payload = message_event(files=files)
    assert bot.send_event(payload).status == 200
    standin.wait_for(lambda s: len(s.posts()) == 1)
    post = standin.posts()[0]
    assert post["channel"] == "C0PKI"
    assert post["thread_ts"] == payload["event"]["ts"]
    assert post["unfurl_links"] is False and post["unfurl_media"] is False
    assert post["text"].startswith("certmatch: Match")
    assert f"MD5(stdin)= {MD5}" in post_text(post)
    # Both downloads carried the bot token and nothing else was fetched.
    downloads = standin.calls_to("download")
    assert len(downloads) == 2 and {c.token for c in downloads} == {BOT_TOKEN}


def test_pasted_pem_with_slack_escaping_and_fences_is_checked(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    pasted = "CSR from cucm01:\n```" + CSR.decode() + "```\n&gt; sent to the CA on Monday"
    payload = message_event(text=pasted)
    bot.send_event(payload)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    post = standin.posts()[0]
    assert post["thread_ts"] == payload["event"]["ts"]
    assert "Nothing to compare yet" in post["text"]
    assert f"MD5(stdin)= {MD5}" in post_text(post)


def test_messages_without_material_get_no_reply(bot: RunningBot, standin: SlackStandIn) -> None:
    bot.send_event(message_event(text="has anyone renewed the tomcat cert yet?"))
    bot.send_event(message_event(files=[standin.add_file("diagram.png", b"\x89PNG\r\n\x1a\n")]))
    _settle(standin, bot)
    assert standin.calls_to("chat.postMessage") == []
    assert standin.calls_to("download") == []
    # Chatter costs no database write (issue 17): no job, no claim.
    assert bot.store.count(bot.store.tables.jobs) == 0
    assert bot.store.count(bot.store.tables.events) == 0


def test_other_bots_messages_are_ignored(bot: RunningBot, standin: SlackStandIn) -> None:
    payload = message_event(
        text=CERT_PEM.decode(), extra={"subtype": "bot_message", "bot_id": "B0OTHER"}
    )
    payload["event"].pop("user")
    bot.send_event(payload)
    _settle(standin, bot)
    assert standin.calls_to("chat.postMessage") == []


def test_reply_in_an_existing_thread_goes_to_that_thread(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    payload = message_event(
        files=[standin.add_file("certnew.cer", CERT_DER)], thread_ts="1764230400.000100"
    )
    bot.send_event(payload)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    assert standin.posts()[0]["thread_ts"] == "1764230400.000100"


def test_slack_connect_stub_is_resolved_with_files_info(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    full = standin.add_file("tomcat.csr", CSR)
    bot.send_event(message_event(files=[SlackStandIn.stub(full)], channel="C0SHARED"))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    assert standin.calls_to("files.info")[0].args["file"] == full["id"]
    assert f"MD5(stdin)= {MD5}" in post_text(standin.posts()[0])


# -- thread memory ------------------------------------------------------------------------------


def test_thread_memory_matches_a_certificate_posted_after_a_restart(
    standin: SlackStandIn, shared_db: tuple[str, str]
) -> None:
    db_url, prefix = shared_db
    first = start_bot(settings_for(standin, db_url, prefix))
    parent = message_event(files=[standin.add_file("tomcat.csr", CSR)])
    first.send_event(parent)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    first.stop()

    # A new process (new app, new store object) on the same database, days later.
    second = start_bot(settings_for(standin, db_url, prefix))
    try:
        reply = message_event(
            files=[standin.add_file("certnew.cer", CERT_DER)], thread_ts=parent["event"]["ts"]
        )
        second.send_event(reply)
        standin.wait_for(lambda s: len(s.posts()) == 2)
        post = standin.posts()[1]
        assert post["thread_ts"] == parent["event"]["ts"]
        assert post["text"].startswith("certmatch: Match")
        assert "earlier in this thread" in post_text(post)
    finally:
        second.stop()


def test_thread_memory_reports_a_regenerated_csr_as_mismatch(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    parent = message_event(files=[standin.add_file("tomcat.csr", REGENERATED_CSR)])
    bot.send_event(parent)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    bot.send_event(
        message_event(
            files=[standin.add_file("certnew.cer", CERT_DER)], thread_ts=parent["event"]["ts"]
        )
    )
    standin.wait_for(lambda s: len(s.posts()) == 2)
    assert standin.posts()[1]["text"].startswith("certmatch: Mismatch")


def test_pasted_md5_line_is_remembered_and_matched_by_a_later_certificate(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    parent = message_event(text=f"key on cucm-pub:\n```MD5(stdin)= {MD5}```")
    bot.send_event(parent)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    bot.send_event(message_event(text=CERT_PEM.decode(), thread_ts=parent["event"]["ts"]))
    standin.wait_for(lambda s: len(s.posts()) == 2)
    assert standin.posts()[1]["text"].startswith("certmatch: Match")


def test_forget_deletes_the_channels_memory(bot: RunningBot, standin: SlackStandIn) -> None:
    parent = message_event(files=[standin.add_file("tomcat.csr", CSR)])
    bot.send_event(parent)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    response = bot.send_command(command_form("forget", standin))
    assert "Forget everything" in response.json()["text"]  # asks first (test_privacy_e2e)
    bot.send_interaction(block_action(ACTION_FORGET_CONFIRM, "C0PKI", standin))
    assert "1 remembered" in standin.wait_for_calls("response_url", 2)[1].args["text"]
    bot.send_event(
        message_event(
            files=[standin.add_file("certnew.cer", CERT_DER)], thread_ts=parent["event"]["ts"]
        )
    )
    standin.wait_for(lambda s: len(s.posts()) == 2)
    assert "earlier in this thread" not in post_text(standin.posts()[1])


def test_memory_is_per_thread(bot: RunningBot, standin: SlackStandIn) -> None:
    bot.send_event(message_event(files=[standin.add_file("tomcat.csr", CSR)]))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    bot.send_event(message_event(files=[standin.add_file("certnew.cer", CERT_DER)]))
    standin.wait_for(lambda s: len(s.posts()) == 2)
    assert "earlier in this thread" not in post_text(standin.posts()[1])


def test_a_message_outside_any_thread_reads_no_thread_memory_but_its_shortcut_does(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    # A reply answered before its parent (the parent's job came later, say given back after a
    # database failure): the parent's own check does not compare with it (its thread begins
    # with it, so the thread memory is not read at all; the workspace memory still names the
    # CSR), while the shortcut on the parent, later, reads the thread and compares.
    parent_ts = new_ts()
    reply = message_event(files=[standin.add_file("tomcat.csr", CSR)], thread_ts=parent_ts)
    bot.send_event(reply)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    parent = message_event(files=[standin.add_file("certnew.cer", CERT_DER)], ts=parent_ts)
    bot.send_event(parent)
    standin.wait_for(lambda s: len(s.posts()) == 2)
    first = standin.posts()[1]
    assert first["thread_ts"] == parent_ts
    assert not first["text"].startswith("certmatch: Match"), first["text"]
    assert "Only certificates were given" in post_text(first)
    assert "matches the CSR posted earlier in this thread" in post_text(first)

    message = {"type": "message", "user": "U0ALICE", "ts": parent_ts, "text": CERT_PEM.decode()}
    assert bot.send_interaction(message_shortcut(message, standin)).status == 200
    standin.wait_for(lambda s: len(s.posts()) == 3)
    again = standin.posts()[2]
    assert again["thread_ts"] == parent_ts
    assert again["text"].startswith("certmatch: Match"), again["text"]
    assert "Only certificates were given" not in post_text(again)


# -- delivery guarantees ------------------------------------------------------------------------


def test_slack_retries_of_one_event_produce_one_reply(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    payload = message_event(files=[standin.add_file("tomcat.csr", CSR)])
    assert bot.send_event(payload).status == 200
    for retry in (1, 2, 3):
        assert bot.send_event(payload, retry_num=retry).status == 200
    standin.wait_for(lambda s: len(s.posts()) == 1)
    _settle(standin, bot)
    assert len(standin.calls_to("chat.postMessage")) == 1


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_db(request: pytest.FixtureRequest, db_url: str) -> Iterator[tuple[str, str]]:
    """(database URL, table prefix) on SQLite and on this machine's PostgreSQL."""
    if request.param == "sqlite":
        yield db_url, "certmatch_"
        return
    url = os.environ.get("CERTMATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    prefix = f"e{uuid.uuid4().hex[:12]}_"
    yield url, prefix
    Store(url, prefix).drop_tables()


def test_two_processes_on_one_database_reply_once_per_event(
    standin: SlackStandIn, shared_db: tuple[str, str]
) -> None:
    url, prefix = shared_db
    one = start_bot(settings_for(standin, url, prefix))
    two = start_bot(settings_for(standin, url, prefix))
    try:
        payloads = [message_event(files=[standin.add_file(f"t{i}.csr", CSR)]) for i in range(3)]
        for payload in payloads:
            # Both instances get every event, the second as Slack's retry would arrive.
            one.send_event(payload)
            two.send_event(payload, retry_num=1)
            one.send_event(payload, retry_num=2)
        standin.wait_for(lambda s: len(s.posts()) == 3)
        _settle(standin, one, two)
        threads = sorted(p["thread_ts"] for p in standin.posts())
        assert threads == sorted(p["event"]["ts"] for p in payloads)
        assert len(standin.calls_to("chat.postMessage")) == 3
    finally:
        one.stop()
        two.stop()


def test_forged_signature_is_refused_and_nothing_is_posted(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    payload = message_event(text=CSR.decode())
    assert bot.send_event(payload, secret="not-the-signing-secret").status == 401
    stale = int(time.time()) - 600
    assert bot.send_event(payload, timestamp=stale).status == 401
    _settle(standin, bot)
    assert standin.calls_to("chat.postMessage") == []


def test_rate_limited_post_is_retried_after_retry_after(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    standin.fail_next(
        "chat.postMessage",
        429,
        body={"ok": False, "error": "ratelimited"},
        headers={"Retry-After": "1"},
    )
    standin.fail_next("chat.postMessage", 503, body={"ok": False, "error": "service_unavailable"})
    bot.send_event(message_event(files=[standin.add_file("tomcat.csr", CSR)]))
    standin.wait_for(lambda s: len(s.posts()) == 1, timeout=15)
    calls = standin.calls_to("chat.postMessage")
    assert len(calls) == 3
    assert calls[1].at - calls[0].at >= 0.9  # waited for Retry-After


def test_a_listener_failing_after_the_ack_still_tells_the_user(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    # Slack rejects the reply itself (not retryable): the error handler apologises in the thread.
    standin.fail_next("chat.postMessage", 200, body={"ok": False, "error": "invalid_blocks"})
    payload = message_event(files=[standin.add_file("tomcat.csr", CSR)])
    bot.send_event(payload)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    post = standin.posts()[0]
    assert post["thread_ts"] == payload["event"]["ts"]
    assert "Sorry, certmatch failed" in post["text"]
    assert "Traceback" not in post_text(post)


def test_expired_trigger_for_the_form_is_answered_through_response_url(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    standin.fail_next("views.open", 200, body={"ok": False, "error": "expired_trigger_id"})
    assert bot.send_command(command_form("", standin)).status == 200
    calls = standin.wait_for_calls("response_url")
    assert calls[0].args["response_type"] == "ephemeral"
    assert "Sorry, certmatch failed" in calls[0].args["text"]


def test_database_outage_refuses_with_503_and_slacks_retry_is_answered_once(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    # Issue 17: an event that cannot be queued is refused (Slack retries it), never
    # acknowledged and then lost. (Before the durable queue it was answered with a note.)
    bot.store.drop_tables()  # as if the database went away
    payload = message_event(files=[standin.add_file("tomcat.csr", CSR)])
    assert bot.send_event(payload).status == 503
    bot.store.create_tables()  # the database is back; no restart
    assert bot.send_event(payload, retry_num=1).status == 200  # Slack's retry
    standin.wait_for(lambda s: len(s.posts()) == 1)
    answer = post_text(standin.posts()[0])
    assert f"MD5(stdin)= {MD5}" in answer and "database is unavailable" not in answer
    assert ACTION_SHOW_DETAIL in answer
    assert bot.send_event(payload, retry_num=2).status == 200  # a late retry: not again
    wait_quiet(standin, bot)
    assert replies_per_thread(standin) == {payload["event"]["ts"]: 1}


def test_oversized_request_body_is_refused(bot: RunningBot, standin: SlackStandIn) -> None:
    payload = message_event(text="x" * (2 * 1024 * 1024))
    assert bot.send_event(payload).status == 413
    _settle(standin, bot)
    assert standin.calls_to("chat.postMessage") == []


def test_url_verification_and_healthz(bot: RunningBot) -> None:
    challenge = {
        "token": "x",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    response = bot.send_event(challenge)
    assert response.status == 200 and response.json()["challenge"] == challenge["challenge"]
    health = bot.get("/healthz")
    assert health.status == 200 and health.json() == {"ok": True}
    assert bot.get("/nothing-here").status == 404


# -- files that cannot be used ------------------------------------------------------------------


def test_oversized_file_is_refused_without_download(bot: RunningBot, standin: SlackStandIn) -> None:
    big = standin.add_file("bundle.p7b", b"x", size=50 * 1024 * 1024)
    bot.send_event(message_event(files=[big]))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    assert "not downloaded" in standin.posts()[0]["text"]
    assert standin.calls_to("download") == []


def test_oversized_file_next_to_a_good_one_is_noted_and_the_good_one_checked(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    files = [
        standin.add_file("tomcat.csr", CSR),
        standin.add_file("huge.p7b", b"x", size=9_000_000),
    ]
    bot.send_event(message_event(files=files))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    post = post_text(standin.posts()[0])
    assert f"MD5(stdin)= {MD5}" in post
    assert "huge.p7b is 9,000,000 bytes" in post
    assert len(standin.calls_to("download")) == 1


def test_sign_in_page_tells_the_admin_to_add_files_read(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    standin.files_read_scope = False
    bot.send_event(message_event(files=[standin.add_file("tomcat.csr", CSR)]))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    text = standin.posts()[0]["text"]
    assert "files:read" in text and "reinstall" in text


def test_garbage_file_gets_a_clear_message(bot: RunningBot, standin: SlackStandIn) -> None:
    bot.send_event(
        message_event(files=[standin.add_file("certnew.cer", vector("random-bytes.bin"))])
    )
    standin.wait_for(lambda s: len(s.posts()) == 1)
    post = standin.posts()[0]
    assert post["text"].startswith("certmatch: Could not read the input")
    assert "certnew.cer" in post_text(post)


# -- private keys -------------------------------------------------------------------------------


def test_private_key_gets_an_exposure_warning_and_is_never_echoed_logged_or_stored(
    bot: RunningBot, standin: SlackStandIn, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    payload = message_event(text="here is the key\n" + PRIVATE_KEY.decode())
    bot.send_event(payload)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    post = post_text(standin.posts()[0])
    assert "treat it as exposed" in post
    assert f"MD5(stdin)= {MD5}" in post  # matched by its public half
    body_lines = [line for line in PRIVATE_KEY.decode().splitlines() if "-----" not in line]
    assert not any(line in post for line in body_lines)
    assert "PRIVATE KEY" not in post
    # Nothing of it in the database file either.
    raw = Path(db_url[len("sqlite:///") :]).read_bytes()
    wal = Path(db_url[len("sqlite:///") :] + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert not any(line.encode() in raw for line in body_lines)
    assert bot.store.thread_artefacts("T0EXAMPLE", "C0PKI", payload["event"]["ts"]) == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "event id=Ev" in logged  # the check was logged...
    assert not any(line in logged for line in body_lines)  # ...without the key
    assert BOT_TOKEN not in logged


# -- /certmatch, the form, the shortcut, buttons, App Home ------------------------------------


def test_slash_command_help_answers_in_the_ack(bot: RunningBot, standin: SlackStandIn) -> None:
    response = bot.send_command(command_form("help", standin))
    assert response.status == 200
    assert "certmatch" in json.dumps(response.json()) and "/certmatch profile" in json.dumps(
        response.json()
    )


def test_slash_command_with_pasted_pem_answers_in_the_channel(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    text = CSR.decode() + "\n" + CERT_PEM.decode()
    assert bot.send_command(command_form(text, standin)).status == 200
    calls = standin.wait_for_calls("response_url")
    assert calls[0].args["response_type"] == "in_channel"
    assert calls[0].args["text"].startswith("certmatch: Match")


def test_slash_command_with_a_private_key_answers_only_the_sender(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    bot.send_command(command_form(PRIVATE_KEY.decode(), standin))
    calls = standin.wait_for_calls("response_url")
    assert calls[0].args["response_type"] == "ephemeral"
    assert "treat it as exposed" in json.dumps(calls[0].args)


def test_bare_slash_command_opens_the_form(bot: RunningBot, standin: SlackStandIn) -> None:
    assert bot.send_command(command_form("", standin)).status == 200
    opened = standin.wait_for_calls("views.open")[0].args
    assert opened["trigger_id"] == "1.2.abc"
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert view["callback_id"] == "certmatch_check_modal"
    assert json.loads(view["private_metadata"])["channel"] == "C0PKI"


def test_profile_is_set_per_channel_and_used_for_checks(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    assert "generic" in bot.send_command(command_form("profile", standin)).json()["text"]
    response = bot.send_command(command_form("profile cisco-uc", standin))
    assert "cisco-uc" in response.json()["text"]
    assert ProfileStore(bot.store).get("T0EXAMPLE", "C0PKI") == "cisco-uc"
    assert (
        "Unknown profile" in bot.send_command(command_form("profile nope", standin)).json()["text"]
    )
    bot.send_event(message_event(files=[standin.add_file("tomcat.csr", CSR)]))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    assert "profile `cisco-uc`" in post_text(standin.posts()[0])
    # Another channel keeps the default.
    assert (
        "generic"
        in bot.send_command(command_form("profile", standin, channel="C0OTHER")).json()["text"]
    )


def test_form_submission_with_files_answers_in_the_channel(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    files = [standin.add_file("tomcat.csr", CSR), standin.add_file("certnew.cer", CERT_DER)]
    response_url = f"{standin.base_url}/response/commands/T0EXAMPLE/9/form"
    response = bot.send_interaction(
        view_submission(channel="C0PKI", response_url=response_url, files=files, text="")
    )
    assert response.status == 200 and response.body in (b"", b"{}")
    calls = standin.wait_for_calls("response_url")
    assert calls[0].path.endswith("/9/form")
    assert calls[0].args["text"].startswith("certmatch: Match")


def test_empty_form_submission_is_refused_with_a_field_error(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    response = bot.send_interaction(
        view_submission(channel="C0PKI", response_url=None, files=[], text="")
    )
    assert response.json()["response_action"] == "errors"
    assert "text" in response.json()["errors"]


def test_message_shortcut_checks_the_message_and_replies_in_its_thread(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    ts = new_ts()
    message = {
        "type": "message",
        "user": "U0ALICE",
        "ts": ts,
        "thread_ts": "1764230400.000100",
        "text": CSR.decode() + CERT_PEM.decode(),
    }
    assert bot.send_interaction(message_shortcut(message, standin)).status == 200
    standin.wait_for(lambda s: len(s.posts()) == 1)
    post = standin.posts()[0]
    assert post["thread_ts"] == "1764230400.000100"
    assert post["text"].startswith("certmatch: Match")


def test_shortcut_in_a_channel_without_the_bot_answers_the_person_privately(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    standin.not_in_channels.add("C0ELSEWHERE")
    message = {"type": "message", "user": "U0ALICE", "ts": new_ts(), "text": CSR.decode()}
    bot.send_interaction(message_shortcut(message, standin, channel="C0ELSEWHERE"))
    calls = standin.wait_for_calls("response_url")
    assert (
        calls[0].args["response_type"] == "in_channel"
        or calls[0].args["response_type"] == "ephemeral"
    )
    assert f"MD5(stdin)= {MD5}" in json.dumps(calls[0].args)
    assert standin.posts() == []


def test_shortcut_on_a_message_without_material_says_so(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    message = {"type": "message", "user": "U0ALICE", "ts": new_ts(), "text": "lunch?"}
    bot.send_interaction(message_shortcut(message, standin))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    assert "no certificate" in standin.posts()[0]["text"]


def test_detail_and_ca_note_buttons_open_modals_with_the_stored_text(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    bot.send_event(
        message_event(
            files=[
                standin.add_file("tomcat.csr", REGENERATED_CSR),
                standin.add_file("certnew.cer", CERT_DER),
            ]
        )
    )
    standin.wait_for(lambda s: len(s.posts()) == 1)
    actions = next(b for b in standin.posts()[0]["blocks"] if b["type"] == "actions")["elements"]
    by_id = {a["action_id"]: a["value"] for a in actions}
    assert ACTION_SHOW_DETAIL in by_id
    bot.send_interaction(block_action(ACTION_SHOW_DETAIL, by_id[ACTION_SHOW_DETAIL], standin))
    view = standin.wait_for_calls("views.open")[0].args["view"]
    assert MD5 in json.dumps(view)  # the full decode lists every artefact's modulus md5
    assert ACTION_SHOW_CA_NOTE in by_id  # a mismatch needs a re-issue
    bot.send_interaction(block_action(ACTION_SHOW_CA_NOTE, by_id[ACTION_SHOW_CA_NOTE], standin))
    note = json.dumps(standin.wait_for_calls("views.open", 2)[1].args["view"])
    assert "Note to the CA" in note and "re-issue" in note


def test_app_home_is_published_with_privacy_information(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    home = message_event()
    home["event"] = {
        "type": "app_home_opened",
        "user": "U0ALICE",
        "channel": "D0BOTDM",
        "tab": "home",
        "event_ts": new_ts(),
    }
    bot.send_event(home)
    published = standin.wait_for_calls("views.publish")[0].args
    assert published["user_id"] == "U0ALICE"
    assert "30 days" in json.dumps(published["view"])


def test_unique_secret_is_what_signs(standin: SlackStandIn, db_url: str) -> None:
    # Guard against a test harness that would accept anything: a bot with another secret refuses ours.
    other = start_bot(
        settings_for(standin, db_url, f"t{uuid.uuid4().hex[:8]}_", signing_secret="different")
    )
    try:
        assert other.send_event(message_event(text="x")).status == 401
        assert SIGNING_SECRET != "different"
    finally:
        other.stop()
