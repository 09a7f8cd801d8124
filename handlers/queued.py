"""Requests answered from the durable job queue: `/certmatch` with material or `check HOST`, the form, the message shortcut.

The listeners (handlers.commands, handlers.interactive) turn a Slack request into a payload
(plain JSON: what the answer needs, never a token) and hand it to `service.enqueue()` before
they acknowledge. A job worker later calls `answer_request()` with that payload and delivers
the `Answer` once (bot.jobs.surfaces claims the reply key first). The payload holds the
pasted text and the response_url, a capability to post into the conversation: both live in
the queue, sealed, only until the job is done (docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from handlers import conversation
from handlers.blocks import Reply, build_reply
from handlers.connect import build_endpoint_reply, command_request
from handlers.ports import CertmatchService, SlackMessage

COMMAND = "command"
FORM = "form"
SHORTCUT = "shortcut"
SURFACES = (COMMAND, FORM, SHORTCUT)

# Short enough for a form's field error; said at once, in the ack, when the queue refuses.
QUEUE_DOWN = (
    "certmatch cannot take checks right now (its database is unavailable or busy): nothing was "
    "kept. Please try again in a minute."
)


@dataclass(frozen=True, slots=True)
class Answer:
    """One reply and where it goes: the response_url when set, else the channel (and thread)."""

    reply: Reply
    channel: str
    thread_ts: str | None = None
    response_url: str | None = None
    ephemeral: bool = False
    # The shortcut posts in the thread; a channel that refuses the bot gets this instead.
    private_url: str | None = None


# -- payloads (built by the listeners) ----------------------------------------------------------


def command_payload(command: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "team": str(command.get("team_id") or ""),
        "channel": str(command.get("channel_id") or ""),
        "channel_name": command.get("channel_name"),
        "user": str(command.get("user_id") or ""),
        "text": str(command.get("text") or "").strip(),
        "response_url": command.get("response_url"),
    }


def form_payload(
    team: str, channel: str, text: str, files: list[Any], response_url: str | None
) -> dict[str, Any]:
    return {
        "team": team,
        "channel": channel,
        "text": text,
        "files": files,
        "response_url": response_url,
    }


def shortcut_payload(shortcut: Mapping[str, Any]) -> dict[str, Any]:
    message = shortcut.get("message") or {}
    channel = shortcut.get("channel") or {}
    return {
        "team": str((shortcut.get("team") or {}).get("id") or ""),
        "channel": str(channel.get("id") or ""),
        "channel_name": channel.get("name"),
        "user": str((shortcut.get("user") or {}).get("id") or ""),
        # The fields a check reads, not the whole message (no blocks, no reactions).
        "message": {
            k: message[k] for k in ("text", "files", "ts", "thread_ts", "user") if k in message
        },
        "response_url": shortcut.get("response_url"),
    }


# -- answering (run by a job worker) ------------------------------------------------------------


def answer_request(
    service: CertmatchService, client: WebClient, surface: str, payload: Mapping[str, Any]
) -> Answer:
    """Do the work of a queued request and say where its one reply goes."""
    if surface == SHORTCUT:
        return _answer_shortcut(service, client, payload)
    team, channel = str(payload["team"]), str(payload["channel"])
    text = str(payload.get("text") or "")
    kind, ext_shared = conversation.from_channel_name(channel, payload.get("channel_name"))
    message = SlackMessage(
        team=team,
        channel=channel,
        text=text,
        files=list(payload.get("files") or []),
        conversation_kind=kind,
        ext_shared=ext_shared,
    )
    request = command_request(text) if surface == COMMAND else None
    if request is not None:
        reply = build_endpoint_reply(service.check_endpoint(client, message, request), posted=False)
    else:
        outcome = service.check(client, message, quiet=False)
        assert outcome is not None  # quiet=False always answers
        reply = build_reply(outcome, posted=False)  # nothing reached the channel
    # A private key must not be shown to the channel: answer only the person who sent it.
    url = payload.get("response_url")
    return Answer(reply, channel, response_url=url, ephemeral=reply.private_key)


def _answer_shortcut(
    service: CertmatchService, client: WebClient, payload: Mapping[str, Any]
) -> Answer:
    message = payload.get("message") or {}
    channel = str(payload["channel"])
    ts = str(message.get("ts") or "")
    kind, ext_shared = conversation.from_channel_name(channel, payload.get("channel_name"))
    checked = SlackMessage(
        team=str(payload["team"]),
        channel=channel,
        text=str(message.get("text") or ""),
        files=list(message.get("files") or []),
        message_ts=ts,
        thread_ts=str(message.get("thread_ts") or ts),
        poster=str(message["user"]) if message.get("user") else None,
        conversation_kind=kind,
        ext_shared=ext_shared,
    )
    outcome = service.check(client, checked, quiet=False)
    assert outcome is not None
    return Answer(
        build_reply(outcome), channel, checked.thread_ts, private_url=payload.get("response_url")
    )


def failure_answer(payload: Mapping[str, Any], reply: Reply) -> Answer:
    """Where the apology for a failed request goes: privately, as the listener's error handler does."""
    url = payload.get("response_url")
    channel = str(payload.get("channel") or "")
    if url:
        return Answer(reply, channel, response_url=url, ephemeral=True)
    return Answer(reply, channel)


def deliver(client: WebClient, answer: Answer, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Send `answer`; Slack's answer to a post (its ts), or {} for a response_url.

    `metadata` names the job on a posted message so a job taken over finds it in the thread
    (bot.jobs.replies); a response_url answer cannot be looked up, so it carries none.
    """
    reply = answer.reply
    if answer.response_url:
        _send_to_url(client, answer.response_url, reply, answer.ephemeral)
        return {}
    try:
        posted = client.chat_postMessage(
            channel=answer.channel,
            thread_ts=answer.thread_ts,
            text=reply.text,
            blocks=reply.blocks,
            unfurl_links=False,
            unfurl_media=False,
            metadata=dict(metadata),
        )
    except SlackApiError:
        if not answer.private_url:
            raise
        # Not in that channel (or not allowed to post): answer the person who asked.
        _send_to_url(client, answer.private_url, reply, True)
        return {}
    return {"ts": posted.get("ts")}


def _send_to_url(client: WebClient, url: str, reply: Reply, ephemeral: bool) -> None:
    sent = WebhookClient(url, retry_handlers=client.retry_handlers).send(
        text=reply.text,
        blocks=reply.blocks,
        response_type="ephemeral" if ephemeral else "in_channel",
        replace_original=False,
    )
    if sent.status_code >= 400:
        raise RuntimeError(f"response_url refused the answer (HTTP {sent.status_code})")
