"""`/certmatch expiring [DAYS]` and `/certmatch reminders off|on`: the expiry reminders' commands (issue 16).

Registered before the general `/certmatch` listener with a matcher on the first word, so the
other subcommands never reach here and this module stays apart from handlers.commands.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any, Protocol

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.ports import COMMAND
from handlers.reminder_blocks import (
    CertificateFacts,
    announcement_text,
    build_expiring_blocks,
    days_words,
    expiring_text,
)

SUBCOMMANDS = ("expiring", "reminders")
DEFAULT_EXPIRING_DAYS = 60.0
MAX_EXPIRING_DAYS = 3650.0


class ReminderPort(Protocol):
    """What these commands need from the bot (`bot.reminders.Reminders` implements it)."""

    def expiring(
        self, client: WebClient, team: str, channel: str, days: float
    ) -> tuple[Sequence[CertificateFacts], bool, float]:
        """Certificates seen in this conversation expiring within `days`, soonest first;
        whether more were left out; and now (epoch seconds) as the bot's clock reads it."""
        ...

    def reminders_enabled(self, team: str, channel: str) -> bool: ...

    def set_reminders_enabled(
        self, team: str, channel: str, enabled: bool, user: str | None
    ) -> None: ...


def _first_word(command: dict[str, Any]) -> str:
    text = str(command.get("text") or "").strip()
    return text.split(maxsplit=1)[0].lower() if text else ""


def is_reminder_command(body: dict[str, Any]) -> bool:
    return _first_word(body) in SUBCOMMANDS


def register(app: App, reminders: ReminderPort) -> None:
    @app.command(COMMAND, matchers=[is_reminder_command])
    def handle_reminder_command(
        ack: Ack,
        command: dict[str, Any],
        client: WebClient,
        respond: Respond,
        logger: logging.Logger,
    ) -> None:
        words = str(command.get("text") or "").split()
        team = str(command.get("team_id") or "")
        channel = str(command.get("channel_id") or "")
        user = str(command.get("user_id") or "") or None
        if words[0].lower() == "expiring":
            days = parse_days(words[1:])
            if days is None:
                ack(
                    text="Usage: `/certmatch expiring [DAYS]`, DAYS a number above 0 and at most "
                    f"3650 (default {DEFAULT_EXPIRING_DAYS:g}).",
                    response_type="ephemeral",
                )
                return
            ack()
            found, more, now = reminders.expiring(client, team, channel, days)
            respond(
                text=expiring_text(len(found), days),
                blocks=build_expiring_blocks(found, days, now=now, more=more),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        setting = words[1].lower() if len(words) == 2 else ""
        if setting not in ("on", "off"):
            state = "on" if reminders.reminders_enabled(team, channel) else "off"
            ack(
                text=f"Expiry reminders are *{state}* in this channel. "
                "`/certmatch reminders off` or `/certmatch reminders on` changes it for everyone "
                f"here; `/certmatch expiring` lists what expires within {days_words(60)}.",
                response_type="ephemeral",
            )
            return
        ack()
        enabled = setting == "on"
        reminders.set_reminders_enabled(team, channel, enabled, user)
        text = announcement_text(enabled, user)
        try:
            client.chat_postMessage(channel=channel, text=text, unfurl_links=False)
        except SlackApiError as exc:
            # Not a member (a DM, a channel the bot left): the command's own channel answer.
            logger.warning("reminder setting not announced: %s", exc.response.get("error"))
            respond(text=text, response_type="in_channel", replace_original=False)


def parse_days(words: Sequence[str]) -> float | None:
    """`[DAYS]` of `/certmatch expiring`: the default, a number in range, or None when malformed."""
    if not words:
        return DEFAULT_EXPIRING_DAYS
    if len(words) != 1:
        return None
    try:
        days = float(words[0])
    except ValueError:
        return None
    if not math.isfinite(days) or not 0 < days <= MAX_EXPIRING_DAYS:
        return None
    return days
