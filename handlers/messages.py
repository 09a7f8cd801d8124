"""Channel and DM messages: what a posted message is to a check (uploads, pasted PEM), as a SlackMessage.

Messages do not reach a Bolt listener: the bot's intake (bot.jobs.intake) queues the relevant
ones in the database before the ack and its workers check them; this module turns the
queued event back into the `SlackMessage` the service checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers import conversation
from handlers.ports import SlackMessage


def message_from_event(
    event: Mapping[str, Any], *, team: str, event_id: str | None, ext_shared_flag: object = None
) -> SlackMessage:
    """The check's view of a message event; the reply goes to `thread_ts` (the thread, or the message's own).

    `team` is the workspace the app is installed in and `ext_shared_flag` the envelope's
    `is_ext_shared_channel` as delivered: with the event they give the conversation's kind
    and Slack Connect flag (handlers.conversation).
    """
    ts = str(event.get("ts", ""))
    kind, ext_shared = conversation.from_event(
        event, team=team or None, ext_shared_flag=ext_shared_flag
    )
    return SlackMessage(
        team=team or str(event.get("team") or ""),
        channel=str(event.get("channel", "")),
        text=str(event.get("text") or ""),
        files=list(event.get("files") or []),
        message_ts=ts,
        thread_ts=str(event.get("thread_ts") or ts),
        poster=str(event["user"]) if event.get("user") else None,
        event_id=event_id or None,
        conversation_kind=kind,
        ext_shared=ext_shared,
        opens_thread=not event.get("thread_ts"),
    )
