"""Block Kit views: the Details modal, the /certmatch form, the help and the App Home tab.

Pure functions returning dicts, like handlers.blocks. Every fixed text is written already
escaped for mrkdwn (`&lt;name&gt;`, `IM&amp;P`); every user string goes through `escape()`.
The Details modal is cut into sections *after* escaping, with room for the code fences, so
no section passes Block Kit's 3,000 characters whatever the names hold.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from handlers.blocks import Block, clip, code_text, context_block, escape, section_block
from handlers.ports import (
    MODAL_CALLBACK_ID,
    MODAL_FILES_ACTION,
    MODAL_FILES_BLOCK,
    MODAL_TEXT_ACTION,
    MODAL_TEXT_BLOCK,
    About,
    Detail,
)


def build_detail_view(detail: Detail | None, about: About, *, ca_note: bool) -> dict[str, Any]:
    """The modal behind a reply's buttons; says so when the retention window or a forget deleted it."""
    if detail is None:
        return build_text_view(
            "certmatch",
            f"These details are no longer kept (after {about.retention_days} days "
            "they are deleted). Post the files again for a fresh check.",
        )
    if detail.forgotten_at is not None:
        day = datetime.fromtimestamp(detail.forgotten_at, UTC)
        return build_text_view(
            "certmatch",
            "These details were deleted with `/certmatch forget` in this channel on "
            f"{day.day} {day:%b %Y}. Post the files again for a fresh check.",
        )
    if ca_note:
        return build_text_view("Note to the CA", detail.ca_note or "No re-issue needed.")
    return build_text_view("certmatch details", detail.text)


# A section holds 3,000 characters; the fences take six; a view holds 100 blocks.
_FENCED_CHUNK = 3000 - len("``````")
_MAX_VIEW_BLOCKS = 100


def build_text_view(title: str, body: str) -> dict[str, Any]:
    """A modal showing long plain text (details, the CA note) in copyable preformatted chunks.

    Cut after escaping (an `&` becomes five characters) and never inside an entity, so every
    section stays within Slack's limit; what does not fit in 100 blocks is said to be cut.
    """
    # A fence inside the text would end the code block early.
    chunks = _cut(escape(body).replace("```", "` ` `"), _FENCED_CHUNK) or [""]
    tail: list[Block] = []
    if len(chunks) > _MAX_VIEW_BLOCKS:
        chunks = chunks[: _MAX_VIEW_BLOCKS - 1]
        tail.append(
            context_block(
                "The rest could not be shown here: run `python -m certmatch --verbose FILE...` "
                "for the whole listing."
            )
        )
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "```" + c + "```"}} for c in chunks
    ]
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": clip(title, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks + tail,
    }


def _cut(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size`, at a line end where one is near, never in an entity."""
    pieces = []
    while len(text) > size:
        end = text.rfind("\n", size // 2, size + 1)
        if end <= 0:
            end = size
            amp = text.rfind("&", end - 4, end)  # "&amp;", "&lt;", "&gt;": at most 5 long
            if amp != -1 and ";" not in text[amp:end]:
                end = amp
        pieces.append(text[:end])
        text = text[end:].removeprefix("\n")
    if text:
        pieces.append(text)
    return pieces


HELP_TEXT = (
    "*certmatch* tells whether a CA-signed certificate belongs to a CSR or key, and if not, why.\n"
    "• Drop `.csr .cer .crt .pem .der .p7b .p7c` files or paste PEM text in a channel I am in: "
    "I answer in the thread.\n"
    "• Post the CSR now and the certificate days later in the same thread: I remember. "
    "Posted elsewhere, I say where its CSR was posted, and spot a regenerated CSR.\n"
    "• `/certmatch &lt;pasted PEM&gt;` checks text; `/certmatch` alone opens a form for files.\n"
    "• `/certmatch profile cisco-uc` or `generic` sets this channel's rules; "
    "`/certmatch profile` shows it.\n"
    "• In a thread, use the message menu ⋮ &gt; *Check certificates* on any message.\n"
    "• `/certmatch forget` deletes what I remembered from this channel.\n"
    "• I remind a certificate's thread before it expires; `/certmatch expiring [DAYS]` lists "
    "what expires soon here, `/certmatch reminders off` (or `on`) mutes this channel.\n"
    "• Never post private keys: paste `openssl rsa -noout -modulus -in key.pem | openssl md5` "
    "instead, or run `python -m certmatch` locally."
)


def build_help_blocks(*, lead: str | None = None) -> list[Block]:
    """The help; `lead` (mrkdwn, escaped) says first why it is shown (an unknown word)."""
    return [section_block(f"{lead}\n\n{HELP_TEXT}" if lead else HELP_TEXT)]


MENTION_HELP = (
    "Hi! Drop `.csr`/`.cer`/`.p7b` files or paste PEM text (or an `openssl ... | openssl md5` "
    "line) in this thread and I check whether the certificate carries the CSR's key. "
    "`/certmatch help` shows everything I do."
)


_SCOPE_WORDS = {
    "workspace": "anywhere in this workspace",
    "channel": "in the same channel",
    "thread": "in the same thread only",
}


def privacy_text(retention_days: int, memory_scope: str = "workspace") -> str:
    where = _SCOPE_WORDS.get(memory_scope, memory_scope)
    return (
        "*What certmatch keeps, and for how long.* The public parts of what it reads (CSRs, "
        "certificates, public keys, pasted hashes) per thread, so a certificate posted later "
        "can be matched; an index of their fingerprints (SPKI SHA-256, modulus md5, CN, SANs) "
        "with channel, thread, poster and time, so a certificate is matched to its CSR posted "
        f"{where} and a regenerated CSR is recognised; event ids to avoid double replies; each "
        f"reply's details. Everything is deleted after {retention_days} days, except what "
        "a server certificate's expiry reminders need (its index row, subject, SANs, serial "
        "and expiry, never its PEM), kept until a day after it expires. "
        "`/certmatch forget` deletes what was kept from a channel at once, and uninstalling "
        "deletes everything. A match found in another conversation is shown only as a link, "
        "the poster and the date, never its content, and only where everyone who reads the "
        "reply can read that conversation: private channels, DMs, group DMs and Slack Connect "
        "channels are matched only within themselves. "
        "Private keys are never stored, logged or echoed; only their public fingerprint is "
        "indexed."
    )


def build_home_view(about: About) -> dict[str, Any]:
    retention_days, default_profile = about.retention_days, about.default_profile
    memory_scope = about.memory_scope
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "certmatch"}},
            section_block(HELP_TEXT),
            {"type": "divider"},
            section_block(
                f"*Profiles.* Default profile: {code_text(default_profile)}. `cisco-uc` adds the "
                "checks CUCM, IM&amp;P, Unity Connection, UCCX and Expressway apply on upload."
            ),
            section_block(privacy_text(retention_days, memory_scope)),
        ],
    }


def build_check_modal(channel_id: str, response_url: str | None) -> dict[str, Any]:
    """The form bare `/certmatch` opens: files and/or pasted text; the answer goes to the channel."""
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK_ID,
        "title": {"type": "plain_text", "text": "Check certificates"},
        "submit": {"type": "plain_text", "text": "Check"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"channel": channel_id, "response_url": response_url}),
        "blocks": [
            {
                "type": "input",
                "block_id": MODAL_FILES_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "CSR, certificate or bundle files"},
                "element": {
                    "type": "file_input",
                    "action_id": MODAL_FILES_ACTION,
                    "max_files": 10,
                },
            },
            {
                "type": "input",
                "block_id": MODAL_TEXT_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Or paste PEM text / openssl md5 lines"},
                # Slack caps this field at 3000 characters: about one CSR and one certificate.
                "hint": {
                    "type": "plain_text",
                    "text": "Up to 3000 characters; attach files for bundles and chains.",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": MODAL_TEXT_ACTION,
                    "multiline": True,
                    "max_length": 3000,
                },
            },
            context_block("Do not paste private keys. The answer is posted to the channel."),
        ],
    }
