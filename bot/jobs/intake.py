"""The Events API door for messages: chatter is acknowledged untouched; a relevant message is queued, then acknowledged.

A Bolt middleware, so it sees HTTP and Socket Mode deliveries alike and can answer with a
status of its own. The order is the contract: the job is committed to the database before
the 200 goes back to Slack, so an acknowledged message is never lost (a process that dies
afterwards leaves the job to the next one). When the job cannot be written (the database is
down) or the queue is over its bound, the answer is 503 and Slack retries the delivery
(after about 1 s, 1 min and 5 min). Commands, the form and the shortcut are queued by their
listeners through `request_intake` (Slack does not retry those: the listener says so instead).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import BoltContext, BoltResponse

from bot.jobs.queue import JobQueue, QueueFull
from bot.jobs.relevance import is_check_request, is_relevant_mention, is_relevant_message
from bot.jobs.sealing import Sealer

logger = logging.getLogger("certmatch.bot")

# Queues a relevant message at the WSGI door (the envelope and its event): True once committed.
DoorIntake = Callable[[dict[str, Any], dict[str, Any]], bool]
# The body of a 503: the event could not be queued, and Slack retries it.
REFUSED = "busy or database unavailable, retry later"

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


def message_channel(key: str) -> str | None:
    """The channel a message job's key names (`job_key`), None for a job of another kind."""
    kind, _, rest = key.partition(":")
    if kind != "message":
        return None
    return rest.partition(":")[0] or None


def message_intake(
    queue: JobQueue, sealer: Sealer, notify: Callable[[], None]
) -> Callable[..., BoltResponse | None]:
    def queue_messages(
        body: dict[str, Any], next: Callable[[], None], context: BoltContext | None = None
    ) -> BoltResponse | None:
        event = body.get("event") if body.get("type") == "event_callback" else None
        kind = event.get("type") if isinstance(event, dict) else None
        if not isinstance(event, dict) or kind not in ("message", "app_mention"):
            next()  # commands, actions, app_home_opened: Bolt's listeners
            return None
        bot_user = context.bot_user_id if context is not None else None
        # One post, one job, one reply (docs/bot.md): `@certmatch check HOST` is a connect
        # job whether or not the post also carries material, decided from the text so its
        # message and app_mention events agree.
        job_kind = "connect" if is_check_request(event, bot_user) else "message"
        if job_kind == "message" and kind == "app_mention":
            # A mention with material is the same post as its message event: one job under the
            # message's key, whichever arrives first; a mention without material gets the
            # listener's short help.
            if not is_relevant_mention(event):
                next()
                return None
        elif job_kind == "message" and not is_relevant_message(event):
            return BoltResponse(status=200, body="")  # chatter: no write, no queue
        # A mention asked certmatch directly: it is answered even when it holds nothing.
        quiet = kind == "message" and job_kind == "message"
        if not _queue_event(queue, sealer, notify, body, event, job_kind, quiet, bot_user):
            return BoltResponse(status=503, body=REFUSED)
        return BoltResponse(status=200, body="")

    return queue_messages


def door_intake(queue: JobQueue, sealer: Sealer, notify: Callable[[], None]) -> DoorIntake:
    """What the WSGI door (bot.chatter) runs for a relevant message it answers before Bolt:
    queued as `message_intake` queues it; True once committed, False to answer 503.

    The door takes only a person's plain message that mentions no one near its start, so it
    is never a connect job, and the bot's user id (which only those read) is not needed.
    """

    def enqueue(body: dict[str, Any], event: dict[str, Any]) -> bool:
        return _queue_event(queue, sealer, notify, body, event, "message", True, None)

    return enqueue


def _queue_event(
    queue: JobQueue,
    sealer: Sealer,
    notify: Callable[[], None],
    body: dict[str, Any],
    event: dict[str, Any],
    job_kind: str,
    quiet: bool,
    bot_user: str | None,
) -> bool:
    key = job_key(event)
    payload = {
        "quiet": quiet,
        "event": {k: event[k] for k in _EVENT_FIELDS if k in event},
        "team": body.get("team_id") or event.get("team"),
        "event_id": body.get("event_id"),
        # As delivered: anything but a bool is unknown (handlers.conversation).
        "ext_shared": body.get("is_ext_shared_channel"),
        "bot_user": bot_user,
    }
    return _enqueue(queue, key, job_kind, sealer.seal(payload, key), notify)


def request_intake(
    queue: JobQueue, sealer: Sealer, notify: Callable[[], None]
) -> Callable[[str, Mapping[str, Any]], bool]:
    """What `Service.enqueue` runs for a command, the form or the shortcut: True once queued.

    Slack does not retry these (the person is waiting), so each is its own job under a new
    key; the listener acknowledges only after the job is committed.
    """

    def enqueue(surface: str, payload: Mapping[str, Any]) -> bool:
        key = f"{surface}:{payload.get('channel') or '-'}:{uuid.uuid4().hex}"
        return _enqueue(queue, key, surface, sealer.seal(dict(payload), key), notify)

    return enqueue


def _enqueue(queue: JobQueue, key: str, kind: str, sealed: str, notify: Callable[[], None]) -> bool:
    """True once the job is committed (or was already: a retry); False when the queue cannot
    take it (the database is down, or the queue is over its bound)."""
    try:
        added = queue.enqueue(key, kind, sealed)
    except QueueFull as full:
        logger.warning("queue full (%s): %s refused", full, kind)
        return False
    except Exception:
        logger.exception("could not queue %s: refused", key)
        return False
    if added:
        notify()
    return True
