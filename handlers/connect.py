"""`check HOST[:PORT]` requests: in `/certmatch check ...` and in a message that starts `@certmatch check ...`."""

from __future__ import annotations

import re

_WORD = "check"


def command_request(text: str) -> str | None:
    """The part after `check` of a `/certmatch check HOST` command text, else None."""
    word, _, rest = text.strip().partition(" ")
    return rest.strip() if word.lower() == _WORD else None


def mention_request(text: str, bot_user_id: str | None) -> str | None:
    """The part after `check` of a message that starts by mentioning the bot, else None."""
    if not bot_user_id:
        return None
    found = re.match(rf"\s*<@{re.escape(bot_user_id)}(?:\|[^>]*)?>\s*(.*)$", text, re.DOTALL)
    return None if found is None else command_request(found.group(1))
