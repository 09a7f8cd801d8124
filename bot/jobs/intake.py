"""The Events API door for messages: chatter is acknowledged untouched; a relevant message is queued, then acknowledged.

A Bolt middleware, so it sees HTTP and Socket Mode deliveries alike and can answer with a
status of its own. The order is the contract: the job is committed to the database before
the 200 goes back to Slack, so an acknowledged message is never lost (a process that dies
afterwards leaves the job to the next one). When the job cannot be written (the database is
down) or the queue is over its bound, the answer is 503 and Slack retries the delivery
(after about 1 s, 1 min and 5 min).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse

from bot.jobs.queue import JobQueue, QueueFull
from bot.jobs.relevance import is_relevant_mention, is_relevant_message
from bot.jobs.sealing import Sealer

logger = logging.getLogger("certmatch.bot")

# The event fields a check reads; nothing else of the delivery is kept (no token, no
# authorizations). Files keep their URLs and names: they are fetched with the bot token.
_EVENT_FIELDS = (
    "type",
    "subtype",
    "text",
    "user",
    "ts",
    "thread_ts",
    "channel",
    "channel_type",
    "team",
    "user_team",
    "files",
)


def job_key(event: dict[str, Any]) -> str:
    """One job per message, however many times or in however many events Slack delivers it."""
    return f"message:{event.get('channel', '')}:{event.get('ts', '')}"


def message_intake(
    queue: JobQueue, sealer: Sealer, notify: Callable[[], None]
) -> Callable[..., BoltResponse | None]:
    def queue_messages(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        event = body.get("event") if body.get("type") == "event_callback" else None
        kind = event.get("type") if isinstance(event, dict) else None
        if not isinstance(event, dict) or kind not in ("message", "app_mention"):
            next()  # commands, actions, app_home_opened: Bolt's listeners
            return None
        if kind == "app_mention":
            # A mention with material is the same post as its message event: one job under the
            # message's key, whichever arrives first; a mention without material gets the
            # listener's short help.
            if not is_relevant_mention(event):
                next()
                return None
        elif not is_relevant_message(event):
            return BoltResponse(status=200, body="")  # chatter: no write, no queue
        key = job_key(event)
        payload = {
            # A mention asked certmatch directly: it is answered even when it holds nothing.
            "quiet": kind == "message",
            "event": {k: event[k] for k in _EVENT_FIELDS if k in event},
            "team": body.get("team_id") or event.get("team"),
            "event_id": body.get("event_id"),
            # As delivered: anything but a bool is unknown (handlers.conversation).
            "ext_shared": body.get("is_ext_shared_channel"),
        }
        try:
            added = queue.enqueue(key, "message", sealer.seal(payload, key))
        except QueueFull as full:
            logger.warning("queue full (%s): event refused with 503", full)
            return BoltResponse(status=503, body="busy, retry later")
        except Exception:
            logger.exception("could not queue %s: refused with 503 for Slack to retry", key)
            return BoltResponse(status=503, body="database unavailable, retry later")
        if added:
            notify()
        return BoltResponse(status=200, body="")

    return queue_messages
