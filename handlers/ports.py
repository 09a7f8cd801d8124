"""What the listeners need from the process (the bot package implements it): a Protocol and its data.

Dependencies point bot -> handlers -> certmatch, so the listeners never import `bot`; `bot`
builds a service that satisfies `CertmatchService` and passes it to `handlers.register()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_sdk import WebClient


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """The parts of a Slack message (event, shortcut or form) that a check reads."""

    team: str
    channel: str
    text: str = ""
    files: Sequence[Mapping[str, Any]] = ()
    message_ts: str | None = None  # None for slash commands and the modal (no message)
    thread_ts: str | None = None  # where the reply goes and what the thread memory is keyed by
    event_id: str | None = None  # the Events API event_id, for the log line (None: not an event)
    poster: str | None = (
        None  # user id of who posted the message (the fingerprint index names them)
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply ready to post: plain-text fallback, Block Kit, and whether a private key was seen."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    private_key: bool = False


class CertmatchService(Protocol):
    """The operations the Slack listeners call; `bot.service.Service` is the implementation."""

    def claim(self, key: str) -> bool:
        """True the first time `key` is seen by any process sharing the store."""
        ...

    def check(self, client: WebClient, message: SlackMessage, *, quiet: bool) -> Reply | None:
        """Fetch, check and remember; None when `quiet` and the message holds no material."""
        ...

    def channel_profile(self, team: str, channel: str) -> str: ...

    def set_channel_profile(self, team: str, channel: str, profile: str) -> str | None:
        """Store the profile; return an error message for an unknown name, else None."""
        ...

    def forget_channel(self, team: str, channel: str) -> int:
        """Delete what was remembered from this channel; return how many artefacts."""
        ...

    def profile_names(self) -> Sequence[str]: ...

    def help_blocks(self) -> list[dict[str, Any]]: ...

    def home_view(self) -> dict[str, Any]: ...

    def check_modal(self, channel: str, response_url: str | None) -> dict[str, Any]: ...

    def detail_view(self, detail_key: str, *, ca_note: bool) -> dict[str, Any]: ...

    def failure_reply(self, error: Exception) -> Reply: ...


# Identifiers shared by the Block Kit builders (bot.blocks) and the listeners, and the manifest.
COMMAND = "/certmatch"
ACTION_SHOW_DETAIL = "certmatch_show_detail"
ACTION_SHOW_CA_NOTE = "certmatch_show_ca_note"
MODAL_CALLBACK_ID = "certmatch_check_modal"
SHORTCUT_CALLBACK_ID = "certmatch_check_message"
MODAL_FILES_BLOCK = "files"
MODAL_FILES_ACTION = "files_input"
MODAL_TEXT_BLOCK = "text"
MODAL_TEXT_ACTION = "text_input"
