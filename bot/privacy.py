"""The privacy rule (issue 13): which remembered conversation a reply may mention.

A reply may mention another conversation (by link, channel, poster or date) only if everyone
who can read the reply can also read that conversation. Slack tells certmatch a conversation's
kind (`channel`, `group`, `im`, `mpim`) and whether it is shared with another organisation
(Slack Connect); from those two facts each conversation gets an `Audience`, and the table is:

| reply in \\ remembered in | same conversation | public internal | anything else |
|---|---|---|---|
| public internal channel   | yes               | yes             | no            |
| private internal channel  | yes               | yes             | no            |
| DM, group DM              | yes               | no              | no            |
| Slack Connect channel     | yes               | no              | no            |
| unknown                   | yes               | no              | no            |

An unknown kind (a slash command, a shortcut, a row stored before kinds were recorded)
counts as private: nothing outside it points into it. A reply *in* a conversation of unknown
kind points nowhere else either: it might be a Slack Connect channel, whose external members
cannot read even a public internal channel. Pure functions, no Slack and no database.
"""

from __future__ import annotations

import enum

# Slack's conversation kinds, as the Events API's `channel_type` names them.
CONVERSATION_KINDS = frozenset({"channel", "group", "im", "mpim"})


class Audience(enum.Enum):
    """Who can read a conversation, as far as the privacy rule needs to know."""

    PUBLIC = "public"  # a public channel of this workspace, not shared outside it
    PRIVATE = "private"  # a private channel of this workspace, not shared outside it
    DIRECT = "direct"  # a DM or group DM
    CONNECT = "connect"  # shared with another organisation (Slack Connect)
    UNKNOWN = "unknown"  # not known for certain: treated as private, and as possibly shared


def audience(kind: str | None, ext_shared: bool | None) -> Audience:
    """The audience of a conversation from its kind and Slack Connect flag (None: unknown)."""
    if kind in ("im", "mpim"):
        return Audience.DIRECT
    if ext_shared:
        return Audience.CONNECT
    if ext_shared is None:
        return Audience.UNKNOWN
    if kind == "channel":
        return Audience.PUBLIC
    if kind == "group":
        return Audience.PRIVATE
    return Audience.UNKNOWN


# Readers that are all members of this workspace, so every public internal channel is theirs.
_INTERNAL_READERS = frozenset({Audience.PUBLIC, Audience.PRIVATE})


def may_mention(reader: Audience, remembered: Audience, *, same_conversation: bool) -> bool:
    """True when a reply read by `reader` may name a message remembered in `remembered`.

    Within one conversation everything may be named (CERTMATCH_MEMORY_SCOPE narrows further);
    across conversations only a public internal channel, and only to internal readers.
    """
    if same_conversation:
        return True
    return remembered is Audience.PUBLIC and reader in _INTERNAL_READERS
