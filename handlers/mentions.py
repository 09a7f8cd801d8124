"""`@certmatch` mentions (`app_mention`): checked like a message when they carry material, else a short help in the thread.

People mention a bot that seems to ignore them; without a listener Bolt answers 404 and
Slack retries. A mention with material never reaches this listener: the bot's intake queues
it (bot.jobs, the durable job queue) under the same key as its `message` event, so it is
answered once.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from certmatch import contains_material
from handlers import conversation
from handlers.connect import build_endpoint_reply, mention_request
from handlers.ports import CertmatchService, SlackMessage
from handlers.views import MENTION_HELP


def register(app: App, service: CertmatchService) -> None:
    @app.event("app_mention")
    def handle_app_mention(
        ack: Ack,
        body: dict[str, Any],
        event: dict[str, Any],
        client: WebClient,
        context: Any,
        logger: logging.Logger,
    ) -> None:
        ack()
        if event.get("bot_id"):
            return
        channel = str(event.get("channel", ""))
        ts = str(event.get("ts", ""))
        thread_ts = str(event.get("thread_ts") or ts)
        text = str(event.get("text") or "")
        files = list(event.get("files") or [])
        request = mention_request(text, getattr(context, "bot_user_id", None))
        if request is not None:
            # `@certmatch check HOST`: its own key (the message event of this post is quiet).
            team = str(context.team_id or event.get("team") or "")
            if not service.claim(f"connect:{channel}:{ts}", team=team):
                return
            # app_mention carries no channel_type: the kind stays unknown (private) unless the
            # id says DM; the envelope still says whether the channel is shared.
            kind, ext_shared = conversation.from_event(
                event, team=body.get("team_id"), ext_shared_flag=body.get("is_ext_shared_channel")
            )
            message = SlackMessage(
                team=team,
                channel=channel,
                text=text,
                message_ts=ts,
                thread_ts=thread_ts,
                poster=str(event["user"]) if event.get("user") else None,
                event_id=str(body.get("event_id") or "") or None,
                conversation_kind=kind,
                ext_shared=ext_shared,
            )
            reply = build_endpoint_reply(
                service.check_endpoint(client, message, request), posted=True
            )
            text_out, blocks = reply.text, reply.blocks
        elif files or contains_material(text):
            return  # queued by the bot's intake and answered by its workers
        else:
            if not service.claim(
                f"mention:{channel}:{ts}", team=str(context.team_id or "") or None
            ):
                return
            text_out = "certmatch: drop files or paste PEM here; /certmatch help for more"
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": MENTION_HELP}}]
        client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=text_out,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
