"""The WSGI door (bot.chatter): signed chatter gets its 200 before Bolt with no row written, a person's relevant message is queued there; everything else still reaches Bolt.

Requests are signed exactly as Slack signs them and sent to the real HTTP endpoint; Bolt's
dispatch is counted, so a test tells the gate's answer from Bolt's.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from standin import SlackStandIn
from tests.bot_e2e_support import (
    RunningBot,
    message_event,
    settings_for,
    start_bot,
    vector,
    wait_quiet,
)

pytestmark = pytest.mark.e2e

CSR = vector("server.csr.pem").decode()


@pytest.fixture
def bot(standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    running = start_bot(settings_for(standin, f"sqlite:///{tmp_path / 'g.sqlite3'}", "certmatch_"))
    yield running
    running.stop()


@pytest.fixture
def bolt_calls(bot: RunningBot) -> list[dict[str, Any]]:
    """The bodies Bolt dispatched (the gate answers the rest itself)."""
    assert bot.bot is not None
    app = bot.bot.app
    calls: list[dict[str, Any]] = []
    dispatch = app.dispatch

    def counting(req: Any) -> Any:
        calls.append(dict(req.body))
        return dispatch(req)

    app.dispatch = counting  # type: ignore[method-assign]
    return calls


def _rows(bot: RunningBot) -> int:
    t = bot.store.tables
    return sum(bot.store.count(table) for table in (t.events, t.jobs, t.replies))


def test_signed_chatter_is_acknowledged_before_bolt_with_no_row(
    bot: RunningBot, standin: SlackStandIn, bolt_calls: list[dict[str, Any]]
) -> None:
    for n in range(20):
        assert bot.send_event(message_event(text=f"lunch at {n}?", channel="C0TALK")).status == 200
    assert bolt_calls == []
    assert _rows(bot) == 0
    assert standin.posts() == []


@pytest.mark.parametrize(
    "how", ["wrong secret", "stale timestamp", "future timestamp", "no signature"]
)
def test_chatter_with_a_bad_signature_is_refused_by_bolt_with_401(
    bot: RunningBot, bolt_calls: list[dict[str, Any]], how: str
) -> None:
    body = json.dumps(message_event(text="lunch?", channel="C0TALK")).encode()
    if how == "no signature":
        request = urllib.request.Request(
            bot.url + "/slack/events",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        refused.value.close()
        status = refused.value.code
    else:
        now = int(time.time())
        if how == "wrong secret":
            status = bot.post(body, "application/json", secret="not-the-signing-secret").status
        else:
            shift = -6 * 60 if how == "stale timestamp" else 6 * 60
            status = bot.post(body, "application/json", timestamp=now + shift).status
    assert status == 401
    assert _rows(bot) == 0


def test_slack_retries_of_chatter_and_url_verification_go_to_bolt(
    bot: RunningBot, bolt_calls: list[dict[str, Any]]
) -> None:
    chatter = message_event(text="lunch?", channel="C0TALK")
    assert bot.send_event(chatter, retry_num=1).status == 200
    assert [c.get("type") for c in bolt_calls] == ["event_callback"]
    challenge = {"token": "x", "challenge": "c0ffee", "type": "url_verification"}
    answer = bot.send_event(challenge)
    assert answer.status == 200 and b"c0ffee" in answer.body
    assert len(bolt_calls) == 2
    assert _rows(bot) == 0


def test_a_message_mentioning_someone_goes_to_bolt(
    bot: RunningBot, bolt_calls: list[dict[str, Any]]
) -> None:
    # It may be `@certmatch check HOST`, which the intake recognises with the bot's user id.
    mention = message_event(text="<@U0BOB> lunch?", channel="C0TALK")
    assert bot.send_event(mention).status == 200
    assert len(bolt_calls) == 1
    assert _rows(bot) == 0


def test_a_message_with_material_is_queued_at_the_door_and_answered_once(
    bot: RunningBot, standin: SlackStandIn, bolt_calls: list[dict[str, Any]]
) -> None:
    pasted = message_event(text=CSR, channel="C0PKI")
    assert bot.send_event(pasted).status == 200
    standin.wait_for(lambda s: len(s.posts()) == 1)
    assert bolt_calls == []
    assert bot.store.count(bot.store.tables.jobs) == 1  # committed before the 200
    # Slack's retry goes to Bolt, whose intake finds the job queued already: no second reply.
    assert bot.send_event(pasted, retry_num=1).status == 200
    wait_quiet(standin, bot)
    assert len(bolt_calls) == 1
    assert len(standin.posts()) == 1
    assert standin.posts()[0]["thread_ts"] == pasted["event"]["ts"]


def test_a_message_with_material_that_cannot_be_queued_is_refused_at_the_door_with_503(
    bot: RunningBot, standin: SlackStandIn, bolt_calls: list[dict[str, Any]]
) -> None:
    bot.store.drop_tables()  # as if the database went away
    assert bot.send_event(message_event(text=CSR, channel="C0PKI")).status == 503
    assert bolt_calls == []
    bot.store.create_tables()
    assert standin.posts() == []


@pytest.mark.parametrize(
    ("text", "extra", "to_bolt", "answered"),
    [
        # Perhaps `@certmatch check HOST`: the intake decides, with the bot's user id.
        ("<@U0BOB> have a look\n" + CSR, {}, 1, 1),
        # Another bot's post (or this one's own) and an edit are never checked: chatter.
        (CSR, {"bot_id": "B0OTHER"}, 0, 0),
        (CSR, {"subtype": "message_changed"}, 0, 0),
    ],
    ids=["mention", "bot", "edit"],
)
def test_a_message_with_material_is_judged_at_the_door_as_the_intake_judges_it(
    bot: RunningBot,
    standin: SlackStandIn,
    bolt_calls: list[dict[str, Any]],
    text: str,
    extra: dict[str, Any],
    to_bolt: int,
    answered: int,
) -> None:
    payload = message_event(text=text, channel="C0PKI")
    payload["event"].update(extra)
    assert bot.send_event(payload).status == 200
    if answered:
        standin.wait_for(lambda s: len(s.posts()) == answered)
    wait_quiet(standin, bot)
    assert len(bolt_calls) == to_bolt
    assert len(standin.posts()) == answered
    assert bot.store.count(bot.store.tables.jobs) == answered
