"""Interactivity: the /certmatch form, the "Check certificates" message shortcut, and reply buttons."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from handlers import conversation
from handlers.blocks import Reply, build_reply
from handlers.ports import (
    ACTION_SHOW_CA_NOTE,
    ACTION_SHOW_DETAIL,
    MODAL_CALLBACK_ID,
    MODAL_FILES_ACTION,
    MODAL_FILES_BLOCK,
    MODAL_TEXT_ACTION,
    MODAL_TEXT_BLOCK,
    SHORTCUT_CALLBACK_ID,
    CertmatchService,
    SlackMessage,
)
from handlers.views import build_detail_view


def register(app: App, service: CertmatchService) -> None:
    @app.view(MODAL_CALLBACK_ID)
    def handle_check_form(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        values = view.get("state", {}).get("values", {})
        files = values.get(MODAL_FILES_BLOCK, {}).get(MODAL_FILES_ACTION, {}).get("files") or []
        text = values.get(MODAL_TEXT_BLOCK, {}).get(MODAL_TEXT_ACTION, {}).get("value") or ""
        if not files and not text.strip():
            ack(
                response_action="errors",
                errors={MODAL_TEXT_BLOCK: "Add a file or paste a CSR, certificate or md5 line."},
            )
            return
        ack()  # closes the form; the answer follows in the channel
        meta = json.loads(view.get("private_metadata") or "{}")
        team = str(body.get("team", {}).get("id") or view.get("team_id") or "")
        channel = str(meta.get("channel") or "")
        kind, ext_shared = conversation.from_channel_name(channel, None)
        message = SlackMessage(
            team=team,
            channel=channel,
            text=text,
            files=files,
            conversation_kind=kind,
            ext_shared=ext_shared,
        )
        outcome = service.check(client, message, quiet=False)
        assert outcome is not None
        reply = build_reply(outcome, posted=False)  # the form's files reach certmatch only
        _deliver(client, reply, channel=channel, response_url=meta.get("response_url"))

    @app.message_shortcut(SHORTCUT_CALLBACK_ID)
    def handle_check_shortcut(
        ack: Ack, shortcut: dict[str, Any], client: WebClient, logger: logging.Logger
    ) -> None:
        ack()
        message = shortcut.get("message", {})
        channel = str(shortcut.get("channel", {}).get("id") or "")
        ts = str(message.get("ts") or "")
        kind, ext_shared = conversation.from_channel_name(
            channel, shortcut.get("channel", {}).get("name")
        )
        checked = SlackMessage(
            team=str(shortcut.get("team", {}).get("id") or ""),
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
        reply = build_reply(outcome)
        try:
            client.chat_postMessage(
                channel=channel,
                thread_ts=checked.thread_ts,
                text=reply.text,
                blocks=reply.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            # Not in that channel (or not allowed to post): answer the person who asked.
            logger.warning("shortcut reply not posted: %s", exc.response.get("error"))
            _deliver(
                client, reply, channel="", response_url=shortcut.get("response_url"), private=True
            )

    @app.action(ACTION_SHOW_DETAIL)
    def handle_show_detail(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        key = str(body["actions"][0].get("value") or "")
        client.views_open(
            trigger_id=body["trigger_id"],
            view=build_detail_view(service.detail(key), service.about(), ca_note=False),
        )

    @app.action(ACTION_SHOW_CA_NOTE)
    def handle_show_ca_note(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        key = str(body["actions"][0].get("value") or "")
        client.views_open(
            trigger_id=body["trigger_id"],
            view=build_detail_view(service.detail(key), service.about(), ca_note=True),
        )


def _deliver(
    client: WebClient,
    reply: Reply,
    *,
    channel: str,
    response_url: str | None,
    private: bool = False,
) -> None:
    """Answer through response_url when there is one (works in any channel), else post."""
    if response_url:
        WebhookClient(response_url, retry_handlers=client.retry_handlers).send(
            text=reply.text,
            blocks=reply.blocks,
            response_type="ephemeral" if private or reply.private_key else "in_channel",
            replace_original=False,
        )
        return
    client.chat_postMessage(
        channel=channel,
        text=reply.text,
        blocks=reply.blocks,
        unfurl_links=False,
        unfurl_media=False,
    )
