"""The cisco-uc profile reaches the bot's replies: a channel set to it gets the UC findings, another does not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from certmatch.check import check
from certmatch.load import Input
from certmatch.model import Finding
from standin import SlackStandIn
from tests.bot_e2e_support import (
    RunningBot,
    command_form,
    message_event,
    settings_for,
    start_bot,
)
from tests.vector_files import VECTORS

UC = VECTORS / "uc"
CSR = (UC / "tomcat.csr").read_bytes()
SAN_CHANGED = (UC / "tomcat-san-changed.pem").read_bytes()
EC_CSR = (UC / "tomcat-ECDSA.csr").read_bytes()
EC_CERT = (UC / "tomcat-ECDSA.pem").read_bytes()


@pytest.fixture
def bot(standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    running = start_bot(settings_for(standin, f"sqlite:///{tmp_path / 'uc.sqlite3'}", "uc_"))
    try:
        yield running
    finally:
        running.stop()


def _uc_finding(
    code: str, files: tuple[bytes, bytes] = (CSR, SAN_CHANGED), product: str | None = None
) -> Finding:
    report = check(
        [Input("tomcat.csr", files[0]), Input("certnew.cer", files[1])],
        profile="cisco-uc",
        product=product,
    )
    return next(f for f in report.findings if f.code == code)


def _marker(message: str) -> str:
    # The message as Slack mrkdwn carries it: only & < > are escaped.
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return json.dumps(escaped, ensure_ascii=False)[1:41]


def _post_for_upload(
    bot: RunningBot,
    standin: SlackStandIn,
    channel: str,
    files: tuple[bytes, bytes] = (CSR, SAN_CHANGED),
) -> str:
    before = len(standin.posts())
    shared = [standin.add_file("tomcat.csr", files[0]), standin.add_file("certnew.cer", files[1])]
    bot.send_event(message_event(files=shared, channel=channel))
    standin.wait_for(lambda s: len(s.posts()) == before + 1)
    return json.dumps(standin.posts()[-1], ensure_ascii=False)


def test_a_cisco_uc_channel_gets_the_uc_san_mismatch_finding_and_a_generic_one_does_not(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    marker = _marker(_uc_finding("uc-san-mismatch").message)

    assert "cisco-uc" in bot.send_command(command_form("profile cisco-uc", standin)).json()["text"]
    uc_post = _post_for_upload(bot, standin, "C0PKI")
    generic_post = _post_for_upload(bot, standin, "C0OTHER")

    assert marker in uc_post
    assert marker not in generic_post


def test_a_channel_set_to_cisco_uc_for_uccx_gets_uc_ecdsa_and_a_cucm_channel_does_not(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    ecdsa = _uc_finding("uc-ecdsa", (EC_CSR, EC_CERT), product="uccx")
    assert "(product: UCCX)" in ecdsa.message
    marker = _marker(ecdsa.message)

    reply = bot.send_command(command_form("profile cisco-uc UCCX", standin)).json()["text"]
    assert "the `cisco-uc` profile for `uccx`" in reply
    shown = bot.send_command(command_form("profile", standin)).json()["text"]
    assert "the `cisco-uc` profile for `uccx`" in shown
    wrong = bot.send_command(command_form("profile cisco-uc ucxx", standin)).json()["text"]
    assert "Unknown product `ucxx`" in wrong and "`uccx`" in wrong
    assert (
        "takes no product"
        in (
            bot.send_command(
                command_form("profile generic uccx", standin, channel="C0CUCM")
            ).json()["text"]
        )
    )
    bot.send_command(command_form("profile cisco-uc", standin, channel="C0CUCM"))

    uccx_post = _post_for_upload(bot, standin, "C0PKI", (EC_CSR, EC_CERT))
    cucm_post = _post_for_upload(bot, standin, "C0CUCM", (EC_CSR, EC_CERT))
    assert marker in uccx_post
    assert "uc-ecdsa" not in cucm_post and marker not in cucm_post
