"""Admin controls: `/certmatch forget` confirmed by a button and announced, and a workspace's data deleted on uninstall.

`app_uninstalled` and `tokens_revoked` delete everything stored for the workspace at once
(Bolt answers both without calling auth.test, which would fail by then). The Block Kit for
the confirmation is built here, beside the listener that reads it.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from handlers.ports import ACTION_FORGET_CANCEL, ACTION_FORGET_CONFIRM, CertmatchService

FORGET_QUESTION = (
    "Forget everything certmatch remembered from this channel? Its CSRs, certificates and key "
    "fingerprints are deleted (so they are no longer matched from here or elsewhere) and the "
    "Details buttons of earlier replies stop working. The channel is told who cleared it."
)


def build_forget_confirmation(channel: str) -> list[dict[str, Any]]:
    """The ephemeral question `/certmatch forget` answers with: nothing is deleted before Yes."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": FORGET_QUESTION}},
        {
            "type": "actions",
            "block_id": "certmatch_forget",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACTION_FORGET_CONFIRM,
                    "text": {"type": "plain_text", "text": "Forget this channel"},
                    "style": "danger",
                    "value": channel,
                },
                {
                    "type": "button",
                    "action_id": ACTION_FORGET_CANCEL,
                    "text": {"type": "plain_text", "text": "Cancel"},
                    "value": channel,
                },
            ],
        },
    ]


def forget_announcement(user: str, removed: int) -> str:
    return (
        f":wastebasket: <@{user}> cleared certmatch's memory of this channel with "
        f"`/certmatch forget`: {removed} remembered certificate(s), CSR(s) and key fingerprints "
        "were deleted, and the Details buttons of earlier replies no longer open. New posts are "
        "remembered again."
    )


def register(app: App, service: CertmatchService) -> None:
    @app.action(ACTION_FORGET_CONFIRM)
    def handle_forget_confirmed(
        ack: Ack, body: dict[str, Any], respond: Respond, logger: logging.Logger
    ) -> None:
        ack()
        team = str((body.get("team") or {}).get("id") or "")
        channel = str((body.get("channel") or {}).get("id") or "")
        user = str((body.get("user") or {}).get("id") or "")
        asked_for = str(body["actions"][0].get("value") or "")
        if not channel or asked_for != channel:
            # The button only ever forgets the channel it was shown in.
            respond(text="Nothing was deleted: run `/certmatch forget` in the channel to clear.")
            return
        removed = service.forget_channel(team, channel)
        respond(delete_original=True)
        # Through response_url, so the channel is told even where the bot is not a member.
        respond(
            text=forget_announcement(user, removed),
            response_type="in_channel",
            replace_original=False,
        )

    @app.action(ACTION_FORGET_CANCEL)
    def handle_forget_cancelled(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="Nothing was deleted.", replace_original=True)

    @app.event("app_uninstalled")
    def handle_app_uninstalled(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if body.get("team_id"):
            service.forget_workspace(str(body["team_id"]), "app uninstalled")

    @app.event("tokens_revoked")
    def handle_tokens_revoked(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        # certmatch has only a bot token: once it is revoked nothing more can be done with
        # this workspace, so its data goes now rather than after the retention window.
        if body.get("team_id"):
            service.forget_workspace(str(body["team_id"]), "tokens revoked")
