"""Tokens and private keys fed through every bot path never appear in a log line (at DEBUG), a reply or a database row; every handled event logs one structured line."""

from __future__ import annotations

import base64
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import configure_logging
from standin import BOT_TOKEN, SlackStandIn
from tests.bot_e2e_support import (
    SIGNING_SECRET,
    RunningBot,
    command_form,
    message_event,
    message_shortcut,
    new_ts,
    settings_for,
    start_bot,
    vector,
    view_submission,
    wait_quiet,
)

pytestmark = pytest.mark.e2e

CERT_PEM = vector("server.cert.pem")
KEY_PEM = vector("server.key.pem")
PKCS1_PEM = vector("server-pkcs1.key.pem")
EC_KEY_DER = vector("ec-p256.key.der")
ENCRYPTED_PEM = vector("server-encrypted-pkcs8.key.pem")
P12 = vector("server-nopass.p12")
# A user token someone pasted by mistake: certmatch must not repeat it anywhere either.
PASTED_TOKEN = "xoxp-1111111111-2222222222-3333333333-pastedbymistake0123456789"


def _pem_body_lines(pem: bytes) -> list[str]:
    return [
        line
        for line in pem.decode().splitlines()
        if line and "-----" not in line and ":" not in line and len(line) >= 16
    ]


def _der_fragments(der: bytes) -> list[str]:
    """What a DER private key would look like if it leaked: its base64 and hex, in pieces."""
    b64 = base64.b64encode(der).decode()
    hexed = der.hex()
    return [b64[i : i + 40] for i in range(0, len(b64) - 40, 40)] + [
        hexed[i : i + 64] for i in range(64, len(hexed) - 64, 64)
    ]


SECRETS = {
    "bot token": [BOT_TOKEN],
    "signing secret": [SIGNING_SECRET],
    "pasted user token": [PASTED_TOKEN],
    "PKCS#8 key": _pem_body_lines(KEY_PEM),
    "PKCS#1 key": _pem_body_lines(PKCS1_PEM),
    "encrypted key": _pem_body_lines(ENCRYPTED_PEM),
    "EC DER key": _der_fragments(EC_KEY_DER),
    "PKCS#12": _der_fragments(P12),
}


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # includes the traceback text, if any


@pytest.fixture
def logged() -> Iterator[_Collect]:
    configure_logging("DEBUG")  # what LOG_LEVEL=DEBUG does in the process
    handler = _Collect()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)
    configure_logging("WARNING")


@pytest.fixture
def bot(standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    running = start_bot(
        settings_for(standin, f"sqlite:///{tmp_path / 'bot.sqlite3'}", "certmatch_")
    )
    yield running
    running.stop()


def _answers(standin: SlackStandIn) -> int:
    return sum(
        len(standin.calls_to(m))
        for m in ("chat.postMessage", "chat.postEphemeral", "response_url", "views.open")
    )


def _feed_every_path(bot: RunningBot, standin: SlackStandIn) -> int:
    """Send key material and tokens through each surface; return how many events were sent."""
    sent = 0

    def wait_for_more(before: int) -> None:
        standin.wait_for(lambda s: _answers(s) > before, timeout=20)

    def event(**kw: object) -> None:
        nonlocal sent
        before = _answers(standin)
        assert bot.send_event(message_event(**kw)).status == 200  # type: ignore[arg-type]
        sent += 1
        wait_for_more(before)

    # Pasted into a channel, with a token beside it; then files of every key form.
    event(text=f"token {PASTED_TOKEN}\n" + KEY_PEM.decode() + CERT_PEM.decode())
    event(
        files=[
            standin.add_file("tomcat_priv.pem", PKCS1_PEM),
            standin.add_file("ec.key", EC_KEY_DER),
            standin.add_file("server.pfx", P12),
            standin.add_file("locked.key", ENCRYPTED_PEM),
        ]
    )
    # A damaged key: the error message path must not quote the body either.
    lines = KEY_PEM.decode().splitlines()
    event(text="\n".join([*lines[:3], lines[3][:-5] + ".....", *lines[4:]]))
    # Slack refuses the reply: the error handler logs a traceback.
    standin.fail_next("chat.postMessage", 200, body={"ok": False, "error": "invalid_blocks"})
    event(text=KEY_PEM.decode())
    # The database goes away mid-operation: the store's exceptions are logged, the event is
    # refused (503) for Slack to retry, and the retry is answered once the database is back.
    bot.store.drop_tables()
    refused = message_event(text=PKCS1_PEM.decode() + f"\n{PASTED_TOKEN}")
    assert bot.send_event(refused).status == 503
    bot.store.create_tables()
    before = _answers(standin)
    assert bot.send_event(refused, retry_num=1).status == 200
    sent += 1
    wait_for_more(before)
    # /certmatch with a key, the form with a key file and text, the shortcut on a key message.
    before = _answers(standin)
    bot.send_command(command_form(KEY_PEM.decode() + f"\n{PASTED_TOKEN}", standin))
    wait_for_more(before)
    before = _answers(standin)
    bot.send_interaction(
        view_submission(
            channel="C0PKI",
            response_url=f"{standin.base_url}/response/commands/T0EXAMPLE/9/form",
            files=[standin.add_file("server.key", KEY_PEM)],
            text=PKCS1_PEM.decode(),
        )
    )
    wait_for_more(before)
    before = _answers(standin)
    message = {"type": "message", "user": "U0ALICE", "ts": new_ts(), "text": KEY_PEM.decode()}
    bot.send_interaction(message_shortcut(message, standin))
    wait_for_more(before)
    wait_quiet(standin, bot)  # the last log lines and rows have landed
    return sent


def _database_text(db_path: Path) -> str:
    rows: list[str] = []
    conn = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            rows += [repr(row) for row in conn.execute(f"SELECT * FROM {table}")]
    finally:
        conn.close()
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    return "\n".join(rows) + raw.decode("latin-1")


def _leaks(haystack: str) -> list[str]:
    return [what for what, needles in SECRETS.items() if any(n in haystack for n in needles)]


def test_no_token_or_private_key_reaches_a_log_line_a_reply_or_a_database_row(
    bot: RunningBot, standin: SlackStandIn, logged: _Collect, tmp_path: Path
) -> None:
    _feed_every_path(bot, standin)
    log_text = "\n".join(logged.lines)
    replies = json.dumps([c.args for c in standin.calls], ensure_ascii=False)
    database = _database_text(tmp_path / "bot.sqlite3")
    assert _leaks(log_text) == [], "log"
    assert _leaks(replies) == [], "reply"
    assert _leaks(database) == [], "database"
    # The test is not vacuous: DEBUG was on, the keys were read, the failures were logged.
    assert any(line.startswith("DEBUG ") for line in logged.lines)
    assert "treat it as exposed" in replies
    assert "job failed: SlackApiError" in log_text and "Traceback" in log_text
    # No armour line of a private key block; the loader's message naming the label of a block
    # it could not decode ("the PRIVATE KEY block cannot be decoded") is not key material.
    assert "PRIVATE KEY-----" not in database


_EVENT_LINE = re.compile(
    r"^INFO certmatch\.events event id=(Ev\S+) team=T0EXAMPLE channel=C0PKI thread=\S+ "
    r"files=\d+ fetch_problems=\S+ kinds=\S+ memory=\d+ verdict=(\S+) "
    r"fetch_ms=\d+ check_ms=\d+ total_ms=\d+$"
)


def test_every_handled_message_event_logs_one_structured_line(
    bot: RunningBot, standin: SlackStandIn, logged: _Collect
) -> None:
    payloads = [
        message_event(text=KEY_PEM.decode() + CERT_PEM.decode()),
        message_event(files=[standin.add_file("certnew.cer", CERT_PEM)]),
        # A file that might have held material and did not: checked, quiet.
        message_event(files=[standin.add_file("notes.txt", b"no certificate here, just chat")]),
    ]
    for payload in payloads:
        bot.send_event(payload)
    bot.send_event(payloads[0], retry_num=1)  # a Slack retry is not a second handled event
    # Chatter is not a handled event (issue 17): acknowledged with no work and no line.
    bot.send_event(message_event(text="no certificate here, just chat"))
    standin.wait_for(lambda s: len(s.posts()) == 2)
    wait_quiet(standin, bot)
    lines = [m for m in map(_EVENT_LINE.match, logged.lines) if m]
    by_id = {m.group(1): m.group(2) for m in lines}
    assert len(lines) == 3
    assert by_id == {
        payloads[0]["event_id"]: "match",
        payloads[1]["event_id"]: "incomplete",
        payloads[2]["event_id"]: "quiet",
    }


def test_log_level_warning_keeps_info_lines_out(
    bot: RunningBot, standin: SlackStandIn, logged: _Collect
) -> None:
    configure_logging("WARNING")
    logging.getLogger().addHandler(logged)
    bot.send_event(message_event(files=[standin.add_file("certnew.cer", CERT_PEM)]))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    wait_quiet(standin, bot)
    assert not any(line.startswith(("INFO ", "DEBUG ")) for line in logged.lines)
