"""What the listeners need from the process (the bot package implements it): a Protocol and its data.

Dependencies point bot -> handlers -> certmatch, so the listeners never import `bot`; `bot`
builds a service that satisfies `CertmatchService` and passes it to `handlers.register()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient

from certmatch import Report


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
    # Slack's channel_type (channel, group, im, mpim) and whether the conversation is shared
    # with another organisation; None when the payload does not say (handlers.conversation).
    conversation_kind: str | None = None
    ext_shared: bool | None = None
    # A message event outside any thread: its thread begins with it, so nothing can be
    # remembered for it yet (its replies come after it) and its memory is not read. The
    # shortcut re-checks a message whose thread may have grown since: it reads it.
    opens_thread: bool = False


@dataclass(frozen=True, slots=True)
class About:
    """What the help, the App Home and an expired detail link say about this installation."""

    retention_days: int
    default_profile: str
    memory_scope: str  # "workspace", "channel" or "thread"
    profile_names: Sequence[str]


@dataclass(frozen=True, slots=True)
class Detail:
    """A check's full text and its note to the CA, kept for the reply's buttons."""

    text: str
    ca_note: str | None
    forgotten_at: float | None = None  # set when `/certmatch forget` deleted the text


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What a check found, as data; the listeners render it (handlers.blocks).

    `report` is None when there was nothing the engine could read: then `file_problems` says
    why each file could not be fetched, or is empty when the message held no material.
    `notes` are problems met before the engine saw anything (a file too large, the database
    down); `recalled` are workspace-memory sentences (bot.recall), already mrkdwn with mentions.
    `detail_key` opens the stored detail; None when it could not be stored.
    """

    report: Report | None
    detail_key: str | None = None
    notes: Sequence[str] = ()
    recalled: Sequence[str] = ()
    file_problems: Sequence[str] = ()


class CertmatchService(Protocol):
    """The domain operations the Slack listeners call; `bot.service.Service` implements them."""

    def claim(self, key: str, team: str | None = None) -> bool:
        """True the first time `key` is seen by any process sharing the store."""
        ...

    def check(
        self, client: WebClient, message: SlackMessage, *, quiet: bool
    ) -> CheckOutcome | None:
        """Fetch, check and remember; None when `quiet` and the message holds no material."""
        ...

    def check_endpoint(
        self, client: WebClient, message: SlackMessage, text: str
    ) -> CheckOutcome | str:
        """`check HOST[:PORT]`: connect (only where allowed) and check what is served; a str
        (mrkdwn) says why nothing was checked (the feature is off, the host is not allowed)."""
        ...

    def enqueue(self, surface: str, payload: Mapping[str, Any]) -> bool:
        """Write a command's, form's or shortcut's work to the durable job queue before the ack.

        `surface` is one of handlers.queued.SURFACES and `payload` what its answer needs
        (handlers.queued builds both). False when the queue cannot take it (the database
        is down, or the queue is over its bound): the listener tells the person at once.
        """
        ...

    def channel_profile(self, team: str, channel: str) -> str: ...

    def set_channel_profile(self, team: str, channel: str, profile: str) -> str | None:
        """Store the profile; return an error message for an unknown name, else None."""
        ...

    def forget_channel(self, team: str, channel: str) -> int:
        """Delete what was remembered from this channel; return how many artefacts."""
        ...

    def forget_workspace(self, team: str, reason: str) -> int:
        """Delete everything stored for a workspace at once (uninstall, revoked token); log it."""
        ...

    def about(self) -> About: ...

    def detail(self, detail_key: str) -> Detail | None:
        """The stored detail of a reply; None once the retention window deleted it, and
        `forgotten_at` set (the text empty) when `/certmatch forget` did."""
        ...


# Identifiers shared by the Block Kit builders (handlers.blocks), the listeners and the manifest.
COMMAND = "/certmatch"
ACTION_SHOW_DETAIL = "certmatch_show_detail"
ACTION_SHOW_CA_NOTE = "certmatch_show_ca_note"
ACTION_FORGET_CONFIRM = "certmatch_forget_confirm"
ACTION_FORGET_CANCEL = "certmatch_forget_cancel"
MODAL_CALLBACK_ID = "certmatch_check_modal"
SHORTCUT_CALLBACK_ID = "certmatch_check_message"
MODAL_FILES_BLOCK = "files"
MODAL_FILES_ACTION = "files_input"
MODAL_TEXT_BLOCK = "text"
MODAL_TEXT_ACTION = "text_input"
