"""The cisco-uc profile reaches the bot's replies: a channel set to it gets the UC findings, another does not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_e2e_support import (
    RunningBot,
    command_form,
    message_event,
    settings_for,
    start_bot,
)
from slack_standin import SlackStandIn

from certmatch.check import check
from certmatch.load import Input
from certmatch.model import Finding
from tests.vector_files import VECTORS

UC = VECTORS / "uc"
CSR = (UC / "tomcat.csr").read_bytes()
SAN_CHANGED = (UC / "tomcat-san-changed.pem").read_bytes()


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    server = SlackStandIn().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bot(standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    running = start_bot(settings_for(standin, f"sqlite:///{tmp_path / 'uc.sqlite3'}", "uc_"))
    try:
        yield running
    finally:
        running.stop()


def _uc_finding(code: str) -> Finding:
    report = check(
        [Input("tomcat.csr", CSR), Input("certnew.cer", SAN_CHANGED)], profile="cisco-uc"
    )
    return next(f for f in report.findings if f.code == code)


def _post_for_upload(bot: RunningBot, standin: SlackStandIn, channel: str) -> str:
    before = len(standin.posts())
    files = [standin.add_file("tomcat.csr", CSR), standin.add_file("certnew.cer", SAN_CHANGED)]
    bot.send_event(message_event(files=files, channel=channel))
    standin.wait_for(lambda s: len(s.posts()) == before + 1)
    return json.dumps(standin.posts()[-1], ensure_ascii=False)


def test_a_cisco_uc_channel_gets_the_uc_san_mismatch_finding_and_a_generic_one_does_not(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    uc_message = _uc_finding("uc-san-mismatch").message
    # The message as Slack mrkdwn carries it: only & < > are escaped.
    escaped = uc_message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    marker = json.dumps(escaped, ensure_ascii=False)[1:41]

    assert "cisco-uc" in bot.send_command(command_form("profile cisco-uc", standin)).json()["text"]
    uc_post = _post_for_upload(bot, standin, "C0PKI")
    generic_post = _post_for_upload(bot, standin, "C0OTHER")

    assert marker in uc_post
    assert marker not in generic_post
