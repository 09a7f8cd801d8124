"""Channel and DM messages: uploads (`file_share`) and pasted PEM get one threaded reply; the rest, silence."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers import conversation
from handlers.blocks import build_reply
from handlers.ports import CertmatchService, SlackMessage

# Subtypes that carry something a person wrote or uploaded. Edits, deletions, joins and
# other bots' posts (`bot_message`) are not checked.
_CHECKED_SUBTYPES = (None, "file_share", "thread_broadcast")


def register(app: App, service: CertmatchService) -> None:
    @app.event("message")
    def handle_message(
        ack: Ack,
        body: dict[str, Any],
        event: dict[str, Any],
        client: WebClient,
        context: Any,
        logger: logging.Logger,
    ) -> None:
        ack()
        if not is_person_message(event):
            return
        channel = str(event.get("channel", ""))
        ts = str(event.get("ts", ""))
        # Once per message, even if Slack delivers the same message in two events.
        team = str(context.team_id or event.get("team") or "")
        if not service.claim(f"message:{channel}:{ts}", team=team):
            return
        kind, ext_shared = conversation.from_event(
            event, team=body.get("team_id"), ext_shared_flag=body.get("is_ext_shared_channel")
        )
        message = SlackMessage(
            team=team,
            channel=channel,
            text=str(event.get("text") or ""),
            files=list(event.get("files") or []),
            message_ts=ts,
            thread_ts=str(event.get("thread_ts") or ts),
            poster=str(event["user"]) if event.get("user") else None,
            event_id=str(body.get("event_id") or "") or None,
            conversation_kind=kind,
            ext_shared=ext_shared,
        )
        outcome = service.check(client, message, quiet=True)
        if outcome is None:
            return
        reply = build_reply(outcome)
        client.chat_postMessage(
            channel=channel,
            thread_ts=message.thread_ts,
            text=reply.text,
            blocks=reply.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )


def is_person_message(event: Mapping[str, Any]) -> bool:
    """A message a person posted (not a bot, not an edit or a deletion)."""
    if event.get("bot_id") or event.get("bot_profile"):
        return False
    return event.get("subtype") in _CHECKED_SUBTYPES
