"""What a Slack payload says about its conversation: kind (channel, group, im, mpim) and whether it is shared outside.

The privacy rule (bot.privacy) reads these two facts; when a payload does not say, the answer
is None (unknown), never a guess towards "public". Events carry both (`channel_type`, the
envelope's `is_ext_shared_channel`); slash commands and shortcuts carry only a channel name,
which names DMs and group DMs but says nothing about Slack Connect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_KINDS = frozenset({"channel", "group", "im", "mpim"})


def _kind_from_id(channel: str) -> str | None:
    # A DM's id always starts with D (https://api.slack.com/types/im).
    return "im" if channel.startswith("D") else None


def from_event(
    event: Mapping[str, Any], *, team: str | None, ext_shared_flag: object
) -> tuple[str | None, bool | None]:
    """(kind, ext_shared) of a message event's conversation.

    `team` is the workspace the app is installed in and `ext_shared_flag` the envelope's
    `is_ext_shared_channel` as delivered (anything but a bool is unknown). Any sign of
    another organisation counts as shared even when that flag says otherwise: a file stub
    that must be fetched with files.info (Slack sends those only in Slack Connect channels),
    or a poster from another team.
    """
    channel = str(event.get("channel") or "")
    kind = event.get("channel_type")
    kind = str(kind) if kind in _KINDS else _kind_from_id(channel)
    if _kind_from_id(channel) == "im":
        kind = "im"
    ext_shared = ext_shared_flag if isinstance(ext_shared_flag, bool) else None
    poster_teams = {event.get("user_team"), event.get("team")} - {None, ""}
    files = event.get("files") or []
    if (team and poster_teams - {team}) or any(
        isinstance(f, Mapping) and f.get("file_access") == "check_file_info" for f in files
    ):
        ext_shared = True
    return kind, ext_shared


def from_channel_name(channel: str, name: str | None) -> tuple[str | None, bool | None]:
    """(kind, ext_shared) from a slash command's or shortcut's channel id and name.

    Slack names a DM `directmessage`, a group DM `mpdm-...` and (for older private channels)
    `privategroup`; a public-looking name proves nothing, and no such payload says whether
    the channel is shared with another organisation, so that stays unknown.
    """
    name = name or ""
    if name == "directmessage" or _kind_from_id(channel) == "im":
        return "im", None
    if name.startswith("mpdm-"):
        return "mpim", None
    if name == "privategroup":
        return "group", None
    return None, None
