"""Slack request verification at POST /slack/events: forged, unsigned, stale, future-dated and oversized requests are refused on every surface and nothing is posted."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.web import MAX_BODY_BYTES
from standin import SlackStandIn
from tests.bot_e2e_support import (
    RunningBot,
    command_form,
    message_event,
    message_shortcut,
    new_ts,
    post_raw,
    settings_for,
    sign,
    start_bot,
    vector,
    wait_quiet,
)

pytestmark = pytest.mark.e2e

CSR = vector("server.csr.pem")


@pytest.fixture
def bot(standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    running = start_bot(settings_for(standin, f"sqlite:///{tmp_path / 'b.sqlite3'}", "certmatch_"))
    yield running
    running.stop()


def _bodies(standin: SlackStandIn) -> dict[str, tuple[bytes, str]]:
    event = json.dumps(message_event(text=CSR.decode())).encode()
    command = urlencode(command_form(CSR.decode(), standin)).encode()
    message = {"type": "message", "user": "U0ALICE", "ts": new_ts(), "text": CSR.decode()}
    shortcut = urlencode({"payload": json.dumps(message_shortcut(message, standin))}).encode()
    form = "application/x-www-form-urlencoded"
    return {
        "event": (event, "application/json"),
        "command": (command, form),
        "shortcut": (shortcut, form),
    }


@pytest.mark.parametrize("surface", ["event", "command", "shortcut"])
def test_forged_unsigned_stale_and_future_requests_are_refused_on_every_surface(
    bot: RunningBot, standin: SlackStandIn, surface: str
) -> None:
    body, content_type = _bodies(standin)[surface]
    now = int(time.time())
    assert bot.post(body, content_type, secret="forged-secret").status == 401
    assert bot.post(body, content_type, timestamp=now - 6 * 60).status == 401
    assert bot.post(body, content_type, timestamp=now + 6 * 60).status == 401
    assert post_raw(bot.url, body, {"Content-Type": content_type}) == 401  # no signature at all
    # A real signature, but of another body (a replayed header on altered content).
    other = sign(body + b" ")
    assert post_raw(bot.url, body, {"Content-Type": content_type, **other}) == 401
    wait_quiet(standin, bot)
    assert [c.method for c in standin.calls if c.method != "auth.test"] == []


def test_a_correctly_signed_request_within_five_minutes_is_taken(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    body, content_type = _bodies(standin)["event"]
    assert bot.post(body, content_type, timestamp=int(time.time()) - 4 * 60).status == 200
    standin.wait_for(lambda s: len(s.posts()) == 1)


def test_a_body_over_the_bound_is_refused_before_verification_and_one_at_it_is_read(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    payload = message_event(text="")
    base = len(json.dumps(payload).encode())
    filler = "just chat " * MAX_BODY_BYTES
    payload["event"]["text"] = filler[: MAX_BODY_BYTES - base]
    at_bound = json.dumps(payload).encode()
    assert len(at_bound) == MAX_BODY_BYTES
    assert bot.post(at_bound, "application/json").status == 200  # read, verified, quiet
    over = at_bound[:-1] + b" }"
    assert len(over) == MAX_BODY_BYTES + 1
    assert bot.post(over, "application/json").status == 413
    assert bot.post(over, "application/json", secret="forged").status == 413
    wait_quiet(standin, bot)
    assert standin.posts() == []
