"""The Slack stand-in itself refuses what Slack refuses, so passing end-to-end tests mean something."""

from __future__ import annotations

import json
import urllib.request

from standin import BOT_TOKEN, SlackStandIn, block_kit_problem, view_problem


def _section(n: int) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "x" * n}}


def test_block_kit_limits_are_enforced() -> None:
    assert block_kit_problem([_section(3000)], max_blocks=50) is None
    assert block_kit_problem([_section(3001)], max_blocks=50) == "section text over 3000 characters"
    assert block_kit_problem([_section(1)] * 51, max_blocks=50) == "more than 50 blocks"
    button = {"type": "button", "text": {"type": "plain_text", "text": "y" * 76}, "value": "v"}
    assert (
        block_kit_problem([{"type": "actions", "elements": [button]}], 50)
        == "button text over 75 characters"
    )


def test_modal_titles_and_metadata_are_bounded() -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": []}
    assert view_problem(view) == "title over 24 characters"
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "ok"},
        "private_metadata": "m" * 3001,
    }
    assert view_problem(view) == "private_metadata over 3000 characters"


def test_chat_post_message_with_invalid_blocks_is_refused_like_slack() -> None:
    standin = SlackStandIn().start()
    try:
        body = json.dumps({"channel": "C1", "text": "t", "blocks": [_section(4000)]}).encode()
        request = urllib.request.Request(
            standin.api_url + "chat.postMessage",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {BOT_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            answer = json.loads(response.read())
        assert answer["ok"] is False and answer["error"] == "invalid_blocks"
        assert standin.posts() == []
    finally:
        standin.stop()
