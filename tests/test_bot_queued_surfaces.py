"""`/certmatch` checks, the form, the message shortcut and `@certmatch check HOST` through the durable job queue (issue 17), on SQLite and PostgreSQL.

Signed requests against the app's real endpoint with the stand-in answering Slack: each test
asserts that the request was acknowledged only once its job was committed, that it got
exactly one answer, and that nothing of it (pasted text, response_url) stays in the database
once answered. tests/test_bot_queued_processes.py kills processes in between.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import select

from bot.store import Store
from bot.wiring import build_bot
from handlers.queued import QUEUE_DOWN
from standin import APP_TOKEN, BOT_USER_ID, SlackStandIn, WebSocketStandIn
from tests.bot_e2e_support import (
    RunningBot,
    command_form,
    message_event,
    message_shortcut,
    new_ts,
    post_text,
    replies_per_thread,
    settings_for,
    start_bot,
    vector,
    view_submission,
    wait_jobs_done,
    wait_quiet,
)
from tests.factory import issue, make_csr, make_pki, new_key
from tests.tls_servers import tls_server, write_chain

pytestmark = pytest.mark.e2e

CSR = vector("server.csr.pem")
CERT_PEM = vector("server.cert.pem")
PAIR = CSR.decode() + "\n" + CERT_PEM.decode()


@pytest.fixture
def bot(standin: SlackStandIn, database: tuple[str, str]) -> Iterator[RunningBot]:
    url, prefix = database
    running = start_bot(settings_for(standin, url, prefix, connect_allow=("127.0.0.1",)))
    yield running
    running.stop()


def answers_at(standin: SlackStandIn, path_end: str) -> list[dict[str, Any]]:
    return [c.args for c in standin.calls_to("response_url") if c.path.endswith(path_end)]


def jobs(bot: RunningBot) -> list[dict[str, Any]]:
    table = bot.store.tables.jobs
    with bot.store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(table))]


def assert_done_and_forgotten(bot: RunningBot, kind: str, *secrets: str) -> None:
    """The job is done and its payload (pasted text, response_url) is gone from the database."""
    rows = [row for row in jobs(bot) if row["kind"] == kind]
    assert rows and all(r["state"] == "done" and r["payload"] is None for r in rows), rows
    stored = json.dumps([jobs(bot), _replies(bot)], default=str)
    for secret in secrets:
        assert secret not in stored


def _replies(bot: RunningBot) -> list[dict[str, Any]]:
    table = bot.store.tables.replies
    with bot.store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(table))]


# -- /certmatch -----------------------------------------------------------------------------------


def test_a_slash_command_with_pasted_pem_is_queued_and_answered_once_through_response_url(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    form = command_form(PAIR, standin)
    form["response_url"] = f"{standin.base_url}/response/commands/T0EXAMPLE/1/pasted"
    response = bot.send_command(form)
    assert response.status == 200 and response.body == b""  # the ack carries nothing
    standin.wait_for(lambda s: len(answers_at(s, "/pasted")) == 1)
    wait_quiet(standin, bot)
    (answer,) = answers_at(standin, "/pasted")
    assert answer["response_type"] == "in_channel"
    assert answer["text"].startswith("certmatch: Match")
    assert standin.posts() == []
    assert_done_and_forgotten(bot, "command", form["response_url"], "BEGIN CERTIFICATE")


def test_help_and_usage_are_still_answered_in_the_ack_without_a_job(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    assert "/certmatch profile" in json.dumps(
        bot.send_command(command_form("help", standin)).json()
    )
    assert "I do not know" in bot.send_command(command_form("halp", standin)).json()["text"]
    assert jobs(bot) == []


def test_a_slash_command_is_refused_in_the_ack_when_the_queue_cannot_take_it(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    bot.store.drop_tables()  # the database went away
    try:
        response = bot.send_command(command_form(PAIR, standin))
        assert response.status == 200
        assert response.json()["text"] == QUEUE_DOWN
        assert response.json()["response_type"] == "ephemeral"
        shortcut = message_shortcut({"type": "message", "ts": new_ts(), "text": PAIR}, standin)
        assert bot.send_interaction(shortcut).status == 200
        said = standin.wait_for_calls("response_url")[0].args
        assert (said["text"], said["response_type"]) == (QUEUE_DOWN, "ephemeral")
        refused = bot.send_interaction(
            view_submission(channel="C0PKI", response_url=None, files=[], text=PAIR)
        ).json()
        # The form stays open with what the person typed, and says why.
        assert refused == {"response_action": "errors", "errors": {"text": QUEUE_DOWN}}
    finally:
        bot.store.create_tables()
    assert standin.posts() == []


def test_in_socket_mode_a_slash_command_is_acknowledged_once_queued_and_answered_once(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    ws = WebSocketStandIn()
    standin.ws_url = ws.url
    url = f"sqlite:///{tmp_path / 'socket.sqlite3'}"
    settings = settings_for(standin, url, "certmatch_", app_token=APP_TOKEN, signing_secret=None)
    bot = build_bot(settings, Store.open(url, "certmatch_"))
    handler = SocketModeHandler(bot.app, APP_TOKEN)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        assert ws.connected.wait(10)
        envelope = ws.send_envelope("slash_commands", command_form(PAIR, standin))
        ack = ws.wait_for_ack(envelope)
        assert not (ack.get("payload") or {}).get("text")  # the answer is not in the ack
        standin.wait_for(lambda s: len(s.calls_to("response_url")) == 1)
        wait_jobs_done(url)
        (call,) = standin.calls_to("response_url")
        assert call.args["text"].startswith("certmatch: Match")
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        bot.stop_workers(5.0)
        bot.store.close()
        ws.stop()


# -- the form -------------------------------------------------------------------------------------


def test_a_form_with_files_is_queued_and_answered_once_through_its_response_url(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    files = [standin.add_file("tomcat.csr", CSR), standin.add_file("certnew.cer", CERT_PEM)]
    url = f"{standin.base_url}/response/commands/T0EXAMPLE/9/form"
    response = bot.send_interaction(
        view_submission(channel="C0PKI", response_url=url, files=files, text="")
    )
    assert response.status == 200 and response.body in (b"", b"{}")  # the form closes
    standin.wait_for(lambda s: len(answers_at(s, "/9/form")) == 1)
    wait_quiet(standin, bot)
    assert answers_at(standin, "/9/form")[0]["text"].startswith("certmatch: Match")
    assert len(standin.calls_to("response_url")) == 1 and standin.posts() == []
    assert_done_and_forgotten(bot, "form", url)


def test_a_form_without_a_response_url_is_posted_once_in_its_channel_naming_the_job(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    bot.send_interaction(view_submission(channel="C0FORM", response_url=None, files=[], text=PAIR))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    wait_quiet(standin, bot)
    (post,) = standin.posts()
    assert post["channel"] == "C0FORM" and post["text"].startswith("certmatch: Match")
    assert post["metadata"]["event_payload"]["job"].startswith("form:C0FORM:")
    assert_done_and_forgotten(bot, "form", "BEGIN CERTIFICATE")


def test_a_form_answer_slack_refuses_is_followed_by_one_apology_in_its_place(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    standin.fail_next("chat.postMessage", 200, body={"ok": False, "error": "invalid_blocks"})
    bot.send_interaction(view_submission(channel="C0FORM", response_url=None, files=[], text=PAIR))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    wait_quiet(standin, bot)
    (post,) = standin.posts()
    assert post["channel"] == "C0FORM" and "Sorry, certmatch failed" in post["text"]
    assert "invalid_blocks" in post["text"] and "Traceback" not in post_text(post)


# -- the message shortcut -------------------------------------------------------------------------


def test_the_message_shortcut_is_queued_and_answered_once_in_the_messages_thread(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    message = {"type": "message", "user": "U0ALICE", "ts": new_ts(), "text": PAIR}
    message["thread_ts"] = "1764230400.000100"
    assert bot.send_interaction(message_shortcut(message, standin)).status == 200
    standin.wait_for(lambda s: len(s.posts()) == 1)
    wait_quiet(standin, bot)
    assert replies_per_thread(standin) == {"1764230400.000100": 1}
    (post,) = standin.posts()
    assert post["text"].startswith("certmatch: Match")
    assert post["metadata"]["event_payload"]["job"].startswith("shortcut:C0PKI:")
    assert_done_and_forgotten(bot, "shortcut", "BEGIN CERTIFICATE")


def test_a_shortcut_where_the_bot_is_not_a_member_answers_once_privately(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    standin.not_in_channels.add("C0ELSEWHERE")
    message = {"type": "message", "user": "U0ALICE", "ts": new_ts(), "text": CSR.decode()}
    bot.send_interaction(message_shortcut(message, standin, channel="C0ELSEWHERE"))
    standin.wait_for(lambda s: len(s.calls_to("response_url")) == 1)
    wait_quiet(standin, bot)
    (call,) = standin.calls_to("response_url")
    assert call.args["response_type"] == "ephemeral" and "MD5(stdin)=" in json.dumps(call.args)
    assert standin.posts() == []


def test_a_shortcut_reply_slack_refuses_in_the_thread_goes_once_to_the_person_instead(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    standin.fail_next("chat.postMessage", 200, body={"ok": False, "error": "invalid_blocks"})
    message = {"type": "message", "user": "U0ALICE", "ts": new_ts(), "text": PAIR}
    bot.send_interaction(message_shortcut(message, standin))
    standin.wait_for(lambda s: len(s.calls_to("response_url")) >= 1)
    wait_quiet(standin, bot)
    (call,) = standin.calls_to("response_url")
    assert call.args["response_type"] == "ephemeral"
    assert call.args["text"].startswith("certmatch: Match")
    assert standin.posts() == []


# -- @certmatch check HOST with material: one post, one job, one reply --------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, bytes, bytes]]:
    """A local TLS server for cucm1.example.com; yields its port, the CSR's PEM and the leaf's."""
    pki, key = make_pki("ec256"), new_key("ec256")
    csr = make_csr(key)
    leaf = issue(csr, pki, sans=["DNS:cucm1.example.com", "IP:127.0.0.1"])
    chain, key_file = write_chain(tmp_path, "cucm", [leaf, pki.intermediate], key)
    with tls_server(chain, key_file) as port:
        pem = serialization.Encoding.PEM
        yield port, csr.public_bytes(pem), leaf.public_bytes(pem)


def _as_mention(payload: dict[str, Any]) -> dict[str, Any]:
    """The app_mention Slack sends for the same post as `payload`'s message event."""
    mention: dict[str, Any] = json.loads(json.dumps(payload))
    mention["event"]["type"] = "app_mention"
    mention["event"].pop("subtype", None)
    mention["event_id"] = payload["event_id"] + "m"
    return mention


@pytest.mark.parametrize("mention_first", [False, True], ids=["message-first", "mention-first"])
def test_a_check_request_with_a_pasted_csr_gets_one_reply_comparing_the_server_with_it(
    bot: RunningBot, standin: SlackStandIn, server: tuple[int, bytes, bytes], mention_first: bool
) -> None:
    port, csr_pem, _ = server
    text = f"<@{BOT_USER_ID}> check 127.0.0.1:{port}\n{csr_pem.decode()}"
    message = message_event(text=text, channel="C0ASK")
    events = [message, _as_mention(message)]
    for payload in reversed(events) if mention_first else events:
        assert bot.send_event(payload).status == 200
    standin.wait_for(lambda s: len(s.posts()) >= 1)
    wait_quiet(standin, bot)
    assert replies_per_thread(standin) == {message["event"]["ts"]: 1}
    reply = standin.posts()[0]
    # The served leaf against the CSR pasted under the request: a match, with the endpoint line.
    assert reply["text"].startswith("certmatch: Match"), reply["text"]
    assert f":electric_plug: Served by `127.0.0.1:{port}`" in post_text(reply)
    assert reply["metadata"]["event_payload"]["job"] == f"message:C0ASK:{message['event']['ts']}"
    assert {row["kind"] for row in jobs(bot)} == {"connect"}


def test_the_csr_pasted_with_a_check_request_is_remembered_for_the_thread(
    bot: RunningBot, standin: SlackStandIn, server: tuple[int, bytes, bytes]
) -> None:
    port, csr_pem, leaf_pem = server
    ask = message_event(text=f"<@{BOT_USER_ID}> check 127.0.0.1:{port}\n{csr_pem.decode()}")
    bot.send_event(ask)
    standin.wait_for(lambda s: len(s.posts()) == 1)
    later = message_event(
        files=[standin.add_file("certnew.cer", leaf_pem)], thread_ts=ask["event"]["ts"]
    )
    bot.send_event(later)
    standin.wait_for(lambda s: len(s.posts()) == 2)
    reply = standin.posts()[1]
    assert reply["text"].startswith("certmatch: Match"), reply["text"]
    assert "earlier in this thread" in post_text(reply)


@pytest.mark.parametrize("with_mention", [False, True], ids=["message-only", "both-events"])
def test_a_check_request_with_an_attached_csr_gets_one_reply_comparing_the_server_with_it(
    bot: RunningBot, standin: SlackStandIn, server: tuple[int, bytes, bytes], with_mention: bool
) -> None:
    port, csr_pem, _ = server
    message = message_event(
        text=f"<@{BOT_USER_ID}> check 127.0.0.1:{port}",
        files=[standin.add_file("cucm.csr", csr_pem)],
        channel="C0ASK",
    )
    # Slack may send no app_mention at all for a post with a file (bolt-python#925): the
    # message event alone is the request.
    if with_mention:
        assert bot.send_event(_as_mention(message)).status == 200
    assert bot.send_event(message).status == 200
    standin.wait_for(lambda s: len(s.posts()) >= 1)
    wait_quiet(standin, bot)
    assert replies_per_thread(standin) == {message["event"]["ts"]: 1}
    assert standin.posts()[0]["text"].startswith("certmatch: Match")
    assert f"Served by `127.0.0.1:{port}`" in post_text(standin.posts()[0])


def test_a_slash_check_is_queued_and_its_pasted_csr_compared_with_the_server(
    bot: RunningBot, standin: SlackStandIn, server: tuple[int, bytes, bytes]
) -> None:
    port, csr_pem, _ = server
    bot.send_command(command_form(f"check 127.0.0.1:{port}\n{csr_pem.decode()}", standin))
    standin.wait_for(lambda s: len(s.calls_to("response_url")) == 1)
    wait_quiet(standin, bot)
    (call,) = standin.calls_to("response_url")
    assert call.args["text"].startswith("certmatch: Match"), call.args["text"]
    assert call.args["response_type"] == "in_channel"
    assert_done_and_forgotten(bot, "command", "BEGIN CERTIFICATE")


def test_a_slash_check_with_a_pasted_private_key_answers_only_the_sender(
    bot: RunningBot, standin: SlackStandIn, server: tuple[int, bytes, bytes]
) -> None:
    port, _, _ = server
    key = vector("server.key.pem").decode()
    bot.send_command(command_form(f"check 127.0.0.1:{port}\n{key}", standin))
    standin.wait_for(lambda s: len(s.calls_to("response_url")) == 1)
    wait_quiet(standin, bot)
    (call,) = standin.calls_to("response_url")
    assert call.args["response_type"] == "ephemeral"
    assert "treat it as exposed" in json.dumps(call.args)


def test_a_mention_without_material_or_request_still_gets_the_short_help_without_a_job(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    message = message_event(text=f"<@{BOT_USER_ID}> hello?", channel="C0HI")
    assert bot.send_event(message).status == 200  # chatter
    assert bot.send_event(_as_mention(message)).status == 200
    standin.wait_for(lambda s: len(s.posts()) == 1)
    assert "/certmatch help" in post_text(standin.posts()[0])
    assert jobs(bot) == []
