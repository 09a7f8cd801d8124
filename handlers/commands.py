"""`/certmatch`: help, per-channel profile, a check of pasted text or `check HOST`, or (bare) a form for files.

Only text that holds PEM, base64 or an md5 line is checked; any other word (`/certmatch halp`)
gets the help, ephemerally, instead of a "found nothing" posted to the whole channel. Help,
profile, forget and the form answer in the ack; a check is queued (handlers.queued).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from certmatch import contains_material
from handlers import admin, queued
from handlers.blocks import escape
from handlers.connect import command_request
from handlers.ports import COMMAND, CertmatchService
from handlers.views import build_check_modal, build_help_blocks


def register(app: App, service: CertmatchService) -> None:
    @app.command(COMMAND)
    def handle_certmatch_command(
        ack: Ack,
        command: dict[str, Any],
        client: WebClient,
        logger: logging.Logger,
    ) -> None:
        text = str(command.get("text") or "").strip()
        word = text.split(maxsplit=1)[0].lower() if text else ""
        team = str(command.get("team_id") or "")
        channel = str(command.get("channel_id") or "")
        if not text:
            ack()
            # trigger_id is valid for 3 seconds: open the form right after the ack.
            client.views_open(
                trigger_id=command["trigger_id"],
                view=build_check_modal(channel, command.get("response_url")),
            )
            return
        if word == "help":
            ack(text="certmatch help", blocks=build_help_blocks(), response_type="ephemeral")
            return
        if word == "forget":
            # Nothing is deleted until the caller presses the button (handlers.admin).
            ack(
                text=admin.FORGET_QUESTION,
                blocks=admin.build_forget_confirmation(channel),
                response_type="ephemeral",
            )
            return
        if word == "profile":
            answer, public = _profile_command(
                service, team, channel, text, str(command.get("user_id") or "")
            )
            ack(text=answer, response_type="in_channel" if public else "ephemeral")
            return
        if command_request(text) is None and not contains_material(text):
            unknown = f"I do not know `/certmatch {escape(word)}`, and found no PEM, base64 or md5 line in it."
            ack(
                text=f"certmatch: {unknown}",
                blocks=build_help_blocks(lead=unknown),
                response_type="ephemeral",
            )
            return
        # `check HOST` or pasted material: real work, queued before the ack so that a process
        # killed after it still answers (bot.jobs); the answer comes through response_url.
        if service.enqueue(queued.COMMAND, queued.command_payload(command)):
            ack()
        else:
            ack(text=queued.QUEUE_DOWN, response_type="ephemeral")


def _profile_command(
    service: CertmatchService, team: str, channel: str, text: str, user: str
) -> tuple[str, bool]:
    """The answer, and whether the channel sees it: a change is announced to everyone in it."""
    parts = text.lower().split()
    names = ", ".join(f"`{escape(n)}`" for n in service.about().profile_names)
    usage = "`/certmatch profile &lt;name&gt;` or `/certmatch profile cisco-uc &lt;product&gt;`"
    current = service.channel_profile(team, channel)
    if len(parts) == 1:
        return (
            f"This channel uses {_describe_profile(current)}. Change it with {usage} ({names}).",
            False,
        )
    if len(parts) > 3:
        return f"Usage: {usage} where name is one of {names}.", False
    # The service stores a product with its profile as "PROFILE:PRODUCT".
    setting = ":".join(parts[1:])
    if setting == current:
        return f"This channel already uses {_describe_profile(current)}.", False
    error = service.set_channel_profile(team, channel, setting)
    if error is not None:
        return error, False
    # Only a known profile (and product) gets here: set_channel_profile refused the rest.
    who = f"<@{user}>" if user else "Someone"
    return (
        f"{who} changed this channel's certmatch profile from {_describe_profile(current)} "
        f"to {_describe_profile(setting)}: every check here now uses it.",
        True,
    )


def _describe_profile(setting: str) -> str:
    name, _, product = setting.partition(":")
    return f"the `{escape(name)}` profile" + (f" for `{escape(product)}`" if product else "")
