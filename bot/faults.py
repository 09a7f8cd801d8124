"""What a person is told when something fails after the ack, in Slack's terms when Slack refused, and where they are told.

Why apart from the listeners: a failure can come from any surface, and the apology must say
what failed (certmatch, or Slack refusing the reply) and what to do. A channel that refuses the
bot (`not_in_channel`, archived) cannot carry the apology either, so it goes to the person
directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.blocks import Reply, build_notice_blocks

# Slack errors meaning "this channel will not take the bot's message": telling the person in
# the same channel would fail the same way.
CHANNEL_REFUSED = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "restricted_action",
        "team_access_not_granted",
    }
)


# Slack errors that pass: trying again later can work. Any other refusal (`invalid_arguments`,
# `invalid_blocks`, `msg_too_long`) is about the answer itself and fails the same way again.
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def slack_error(error: BaseException) -> str | None:
    """Slack's error code for a refused Web API call (`not_in_channel`, `ratelimited`), else None."""
    if isinstance(error, SlackApiError) and error.response is not None:
        code = error.response.get("error")
        return str(code) if code else "error"
    return None


def failure_reply(error: BaseException, default: Reply) -> Reply:
    """The apology for `error`: Slack's refusal named when Slack refused, else `default`."""
    code = slack_error(error)
    if code is None:
        return default
    if code in CHANNEL_REFUSED:
        text = (
            f"certmatch checked your message but could not answer in that channel (Slack said "
            f"`{code}`): the app is not a member of it, or the channel is archived. Invite it with "
            "`/invite @certmatch`, then post the files again, or send them to me here."
        )
    elif code in TRANSIENT:
        text = (
            f"Sorry, certmatch failed: Slack refused its request (Slack said `{code}`), so the "
            "answer could not be shown. Nothing was lost on your side: please try again in a "
            "minute."
        )
    else:
        text = (
            f"Sorry, certmatch failed: Slack could not show its answer (Slack said `{code}`), "
            "and asking again would fail the same way. Run `python -m certmatch --verbose "
            "FILE...` for the full answer, and tell the app's admins."
        )
    return Reply(text, build_notice_blocks(":warning: " + text))


def tell_directly(client: WebClient, body: Mapping[str, Any], reply: Reply) -> bool:
    """Send `reply` to the person who posted the event, as a direct message; False if unknown."""
    event = body.get("event") or {}
    user = event.get("user") if isinstance(event, Mapping) else None
    if not user:
        return False
    client.chat_postMessage(channel=str(user), text=reply.text, blocks=reply.blocks)
    return True
