"""Which Slack messages can hold certificate material: decided from the event alone, before any database write.

The bot receives every message in its channels (message.channels); most are chatter. A
message is relevant when a person posted it (not a bot, an edit or a deletion) and it
carries a file that could hold material (not an image, a video, an office document...) or
text with PEM, base64 or a hash line (`certmatch.contains_material`, a few regular
expressions). Everything else is acknowledged with no write, no queueing and no refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from certmatch import contains_material
from handlers.connect import mention_request

# Extensions people give certificates, CSRs, bundles and keys; problems with these files are
# always reported, while a failed .png or .pdf in a busy channel gets silence.
CERT_EXTENSIONS = frozenset(
    {".csr", ".req", ".cer", ".crt", ".pem", ".der", ".p7b", ".p7c", ".pfx", ".p12", ".key", ".pub"}
)
# Files that never hold certificate material; not even downloaded.
_SKIPPED_MIMETYPE_PREFIXES = ("image/", "video/", "audio/")
_SKIPPED_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".mp4", ".mov", ".mp3", ".wav", ".pdf",
     ".docx", ".xlsx", ".pptx", ".zip", ".gz", ".tgz"}
)  # fmt: skip
# Subtypes that carry something a person wrote or uploaded. Edits, deletions, joins and
# other bots' posts (`bot_message`) are not checked.
_CHECKED_SUBTYPES = (None, "file_share", "thread_broadcast")


def extension(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def is_cert_named(file: Mapping[str, Any]) -> bool:
    name = str(file.get("name") or "")
    # Slack Connect stubs have no name until files.info: treat them as candidates.
    return not name or extension(name) in CERT_EXTENSIONS


def worth_fetching(file: Mapping[str, Any]) -> bool:
    mimetype = str(file.get("mimetype") or "")
    if mimetype.startswith(_SKIPPED_MIMETYPE_PREFIXES):
        return False
    return extension(str(file.get("name") or "")) not in _SKIPPED_EXTENSIONS


def is_person_message(event: Mapping[str, Any]) -> bool:
    """A message a person posted (not a bot, not an edit or a deletion)."""
    if event.get("bot_id") or event.get("bot_profile"):
        return False
    return event.get("subtype") in _CHECKED_SUBTYPES


def is_relevant_mention(event: Mapping[str, Any]) -> bool:
    """An `@certmatch` mention that carries files or material: checked like its message.

    A mention without material gets its short help from the listener (handlers.mentions).
    """
    if event.get("type") != "app_mention" or event.get("bot_id"):
        return False
    text = event.get("text")
    return bool(event.get("files")) or (isinstance(text, str) and contains_material(text))


def is_relevant_message(event: Mapping[str, Any]) -> bool:
    """True when a message event may hold material and so is queued for a check."""
    if event.get("type") != "message" or not is_person_message(event):
        return False
    files = event.get("files") or []
    if any(isinstance(f, Mapping) and worth_fetching(f) for f in files):
        return True
    text = event.get("text")
    return isinstance(text, str) and bool(text) and contains_material(text)


def is_check_request(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """A post a person wrote that starts by mentioning the bot and asking `check HOST`.

    Decided from the text, so the post's `message` and `app_mention` events agree: both are
    the one connect job of that post (bot.jobs.intake), whichever arrives first.
    """
    text = event.get("text")
    if not bot_user_id or not isinstance(text, str) or "<@" not in text[:64]:
        return False  # the cheap test first: chatter never reaches the regular expression
    if event.get("type") == "message" and not is_person_message(event):
        return False
    if event.get("type") not in ("message", "app_mention") or event.get("bot_id"):
        return False
    return mention_request(text, bot_user_id) is not None
