"""Interactivity: the /certmatch form, the "Check certificates" message shortcut, and reply buttons.

The form and the shortcut are checks: queued before their ack and answered by the job
workers (handlers.queued); the buttons open a stored detail at once (trigger_id lasts 3 s).
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers import queued
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
)
from handlers.views import build_detail_view


def register(app: App, service: CertmatchService) -> None:
    @app.view(MODAL_CALLBACK_ID)
    def handle_check_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view.get("state", {}).get("values", {})
        files = values.get(MODAL_FILES_BLOCK, {}).get(MODAL_FILES_ACTION, {}).get("files") or []
        text = values.get(MODAL_TEXT_BLOCK, {}).get(MODAL_TEXT_ACTION, {}).get("value") or ""
        if not files and not text.strip():
            ack(
                response_action="errors",
                errors={MODAL_TEXT_BLOCK: "Add a file or paste a CSR, certificate or md5 line."},
            )
            return
        meta = json.loads(view.get("private_metadata") or "{}")
        team = str(body.get("team", {}).get("id") or view.get("team_id") or "")
        payload = queued.form_payload(
            team, str(meta.get("channel") or ""), text, files, meta.get("response_url")
        )
        # Queued before the ack (a process killed after it still answers, bot.jobs). When the
        # queue cannot take it, the form stays open with the person's input and says why.
        if not service.enqueue(queued.FORM, payload):
            ack(response_action="errors", errors={MODAL_TEXT_BLOCK: queued.QUEUE_DOWN})
            return
        ack()  # closes the form; the answer follows in the channel

    @app.message_shortcut(SHORTCUT_CALLBACK_ID)
    def handle_check_shortcut(ack: Ack, shortcut: dict[str, Any], respond: Respond) -> None:
        queued_ok = service.enqueue(queued.SHORTCUT, queued.shortcut_payload(shortcut))
        ack()
        if not queued_ok:
            respond(text=queued.QUEUE_DOWN, response_type="ephemeral", replace_original=False)

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
