"""`@certmatch` mentions (`app_mention`): checked like a message when they carry material, else a short help in the thread.

People mention a bot that seems to ignore them; without a listener Bolt answers 404 and
Slack retries. A mention with material, or one asking `check HOST`, never reaches this
listener: the bot's intake queues it (bot.jobs, the durable job queue) under the same key as
its `message` event, so the post is answered once (docs/bot.md, "One post, one reply").
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from handlers.ports import CertmatchService
from handlers.views import MENTION_HELP


def register(app: App, service: CertmatchService) -> None:
    @app.event("app_mention")
    def handle_app_mention(
        ack: Ack, event: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        # Only what the intake did not queue gets here: a mention with nothing to check.
        if event.get("bot_id"):
            return
        channel = str(event.get("channel", ""))
        ts = str(event.get("ts", ""))
        if not service.claim(f"mention:{channel}:{ts}", team=str(context.team_id or "") or None):
            return
        client.chat_postMessage(
            channel=channel,
            thread_ts=str(event.get("thread_ts") or ts),
            text="certmatch: drop files or paste PEM here; /certmatch help for more",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": MENTION_HELP}}],
            unfurl_links=False,
            unfurl_media=False,
        )
