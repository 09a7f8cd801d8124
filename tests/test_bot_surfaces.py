"""Issue 12 §3-§4 end to end: unknown /certmatch words, @mentions, the private-key wording per surface, the Details modal at Slack's limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from standin import SlackStandIn
from tests.bot_e2e_support import (
    RunningBot,
    command_form,
    message_event,
    post_text,
    settings_for,
    start_bot,
    vector,
    wait_quiet,
)

CSR = vector("server.csr.pem")
CERT_PEM = vector("server.cert.pem")
PRIVATE_KEY = vector("server.key.pem")


@pytest.fixture
def bot(standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    running = start_bot(settings_for(standin, f"sqlite:///{tmp_path / 'bot.sqlite3'}", "cm_"))
    yield running
    running.stop()


def _mention(text: str, files: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    payload = message_event(text=text, files=files)
    payload["event"]["type"] = "app_mention"
    payload["event"].pop("subtype", None)
    return payload


@pytest.mark.parametrize("word", ["halp", "status <!channel>"])
def test_an_unknown_word_gets_the_help_ephemerally_not_a_channel_answer(
    bot: RunningBot, standin: SlackStandIn, word: str
) -> None:
    response = bot.send_command(command_form(word, standin))
    body = response.json()
    assert response.status == 200 and body["response_type"] == "ephemeral"
    text = json.dumps(body)
    assert "/certmatch profile" in text and "found no certificate" not in text
    assert "<!channel>" not in text  # the word is echoed escaped
    assert standin.calls_to("response_url") == []  # nothing went to the channel


def test_a_mention_without_material_gets_a_short_help_in_the_thread(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    payload = _mention("<@U0CERTMATCH> are you there?")
    assert bot.send_event(payload).status == 200  # not 404, which Slack would retry
    standin.wait_for(lambda s: len(s.posts()) == 1)
    post = standin.posts()[0]
    assert post["thread_ts"] == payload["event"]["ts"]
    assert "/certmatch help" in post_text(post)


def test_a_mention_with_pem_is_checked_once_even_with_its_message_event(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    text = "<@U0CERTMATCH> " + CSR.decode() + "\n" + CERT_PEM.decode()
    mention = _mention(text)
    message = message_event(text=text, ts=mention["event"]["ts"])
    bot.send_event(mention)
    bot.send_event(message)
    standin.wait_for(lambda s: len(s.posts()) >= 1)
    wait_quiet(standin, bot)  # a (wrong) second answer to the other event would be in by now
    posts = standin.posts()
    assert len(posts) == 1
    assert posts[0]["text"].startswith("certmatch: Match")


def test_a_private_key_sent_by_command_says_you_sent_it_not_delete_the_message(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    bot.send_command(command_form(PRIVATE_KEY.decode() + CERT_PEM.decode(), standin))
    (call,) = standin.wait_for_calls("response_url")
    text = json.dumps(call.args)
    assert "You sent a private key to certmatch" in text and "Delete the message" not in text
    assert text.count("treat it as exposed") == 2  # the warning once, and the notification


def test_a_private_key_posted_leads_the_reply_once(bot: RunningBot, standin: SlackStandIn) -> None:
    bot.send_event(message_event(text=PRIVATE_KEY.decode() + CERT_PEM.decode()))
    standin.wait_for(lambda s: len(s.posts()) == 1)
    post = standin.posts()[0]
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    assert blocks[0]["text"]["text"].startswith(":rotating_light: *A private key was posted")
    assert post_text(post).count("private key was posted") == 2  # the block and the text
    assert "contains a private key" not in post_text(post)  # the finding is not repeated
