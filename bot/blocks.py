"""Block Kit for certmatch: pure functions from a Report (and settings) to Slack message and view dicts.

Nothing here calls Slack. Every string that came from a user (file names, subjects, SANs) is
escaped so it cannot become a mention or a link (`<!channel>`), and every text is clipped to
Block Kit's limits (3000 characters per section, 50 blocks per message, 100 per view).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from certmatch import Artefact, ArtefactKind, Report, Severity, Verdict
from handlers.ports import (
    ACTION_SHOW_CA_NOTE,
    ACTION_SHOW_DETAIL,
    MODAL_CALLBACK_ID,
    MODAL_FILES_ACTION,
    MODAL_FILES_BLOCK,
    MODAL_TEXT_ACTION,
    MODAL_TEXT_BLOCK,
)

Block = dict[str, Any]

_SECTION_LIMIT = 3000
_MAX_ARTEFACTS = 6
_MAX_DIFF = 8
_MAX_FINDINGS = 8

_VERDICT_LINE = {
    Verdict.MATCH: ":white_check_mark: *Match*",
    Verdict.MISMATCH: ":x: *Mismatch*",
    Verdict.INCOMPLETE: ":hourglass_flowing_sand: *Nothing to compare yet*",
    Verdict.ERROR: ":warning: *Could not read the input*",
}
_SEVERITY_ICON = {
    Severity.ERROR: ":red_circle:",
    Severity.WARNING: ":large_orange_circle:",
    Severity.INFO: ":large_blue_circle:",
}
_KIND_LABEL = {
    ArtefactKind.CSR: "CSR",
    ArtefactKind.CERTIFICATE: "certificate",
    ArtefactKind.PRIVATE_KEY: "private key (public half only)",
    ArtefactKind.PUBLIC_KEY: "public key",
    ArtefactKind.HASH: "pasted hash",
}

PRIVATE_KEY_WARNING = (
    ":rotating_light: *A private key was posted here: treat it as exposed.* certmatch used only "
    "its public half and did not store it. Delete the message, generate a new key and CSR, and "
    "next time run `python -m certmatch` locally or paste only the output of "
    "`openssl rsa -noout -modulus -in key.pem | openssl md5`."
)


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: only &, < and > (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    # Backticks inside inline code would end it early.
    return "`" + escape(text).replace("`", "'") + "`"


def _clip(text: str, limit: int = _SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text)}]}


def has_private_key(report: Report) -> bool:
    return any(a.kind is ArtefactKind.PRIVATE_KEY for a in report.artifacts) or any(
        f.code in ("private-key-present", "key-encrypted") for f in report.findings
    )


def _summary(report: Report) -> str:
    # The engine's summary starts with the verdict word ("match: ..."), which the icon says already.
    prefix = f"{report.verdict.value}: "
    summary = report.summary
    return summary[len(prefix) :] if summary.lower().startswith(prefix) else summary


def verdict_text(report: Report) -> str:
    """One line anyone can read at a glance (mrkdwn)."""
    line = _VERDICT_LINE[report.verdict]
    if report.summary:
        line += ": " + escape(_summary(report))
    return line


def fallback_text(report: Report, *, recalled: Sequence[str] = ()) -> str:
    """The plain-text `text` of the message: notifications, screen readers, old clients.

    `recalled` are workspace-memory sentences (bot.recall), already mrkdwn with mentions.
    """
    words = {
        Verdict.MATCH: "Match",
        Verdict.MISMATCH: "Mismatch",
        Verdict.INCOMPLETE: "Nothing to compare yet",
        Verdict.ERROR: "Could not read the input",
    }[report.verdict]
    text = f"certmatch: {words}"
    if report.summary:
        text += f": {_summary(report)}"
    if has_private_key(report):
        text += " (a private key was posted: treat it as exposed)"
    text = escape(text)
    if recalled:
        text += " " + recalled[0]
    return _clip(text, 3000)


def artefact_line(artefact: Artefact) -> str:
    """Name, kind, key and the two hashes people compare: md5 exactly as openssl prints it."""
    key = artefact.key
    kind = _KIND_LABEL[artefact.kind]
    key_desc = key.algorithm
    if key.size:
        key_desc += f" {key.size}"
    if key.curve:
        key_desc += f" {key.curve}"
    head = f"*{escape(artefact.source)}* · {kind} · {escape(key_desc)}"
    if artefact.subject and artefact.kind is not ArtefactKind.PRIVATE_KEY:
        head += f" · {_code(artefact.subject)}"
    lines = [head]
    if key.modulus_md5:
        # `openssl x509 -noout -modulus -in x | openssl md5` prints exactly this line.
        lines.append(f"modulus md5 `MD5(stdin)= {key.modulus_md5}`")
    if key.spki_sha256:
        lines.append(f"SPKI SHA-256 `{key.spki_sha256}`")
    return "\n".join(lines)


def _diff_value(value: object) -> str:
    if value is None or value == [] or value == "":
        return "_(none)_"
    if isinstance(value, list):
        return ", ".join(_code(str(v)) for v in value)
    return _code(str(value))


def diff_text(report: Report) -> str | None:
    if not report.diff:
        return None
    lines = ["*Requested (CSR) → issued (certificate)*"]
    for entry in report.diff[:_MAX_DIFF]:
        lines.append(
            f"• {escape(entry.field)}: {_diff_value(entry.requested)} → {_diff_value(entry.issued)}"
        )
    if len(report.diff) > _MAX_DIFF:
        lines.append(f"…and {len(report.diff) - _MAX_DIFF} more in the details")
    return "\n".join(lines)


def findings_text(report: Report) -> str | None:
    if not report.findings:
        return None
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    ranked = sorted(report.findings, key=lambda f: order[f.severity])
    lines = []
    for finding in ranked[:_MAX_FINDINGS]:
        line = f"{_SEVERITY_ICON[finding.severity]} {escape(finding.message)}"
        if finding.hint:
            line += f"\n      _{escape(finding.hint)}_"
        lines.append(line)
    if len(ranked) > _MAX_FINDINGS:
        lines.append(f"…and {len(ranked) - _MAX_FINDINGS} more in the details")
    return "\n".join(lines)


def build_report_blocks(
    report: Report,
    *,
    detail_key: str | None = None,
    notes: Sequence[str] = (),
    recalled: Sequence[str] = (),
) -> list[Block]:
    """The compact threaded reply: verdict, hashes, condensed diff, findings, buttons for the rest.

    `recalled` (where a partner was posted, a regenerated CSR) comes right under the verdict:
    it is often the whole answer. Those sentences are built by bot.memory, already escaped.
    """
    blocks: list[Block] = [_section(verdict_text(report))]
    blocks.extend(_section(sentence) for sentence in recalled)
    if has_private_key(report):
        blocks.append(_section(PRIVATE_KEY_WARNING))
    if report.profile != "generic" or report.purpose:
        profile = f"profile {_code(report.profile)}"
        if report.purpose:
            how = "assumed" if report.purpose_assumed else "given"
            profile += f" · purpose {_code(report.purpose)} ({how})"
        blocks.append(_context(profile))
    shown = report.artifacts[:_MAX_ARTEFACTS]
    if shown:
        text = "\n".join(artefact_line(a) for a in shown)
        if len(report.artifacts) > _MAX_ARTEFACTS:
            text += f"\n…and {len(report.artifacts) - _MAX_ARTEFACTS} more in the details"
        blocks.append(_section(text))
    diff = diff_text(report)
    if diff:
        blocks.append(_section(diff))
    findings = findings_text(report)
    if findings:
        blocks.append(_section(findings))
    # report.problems are already findings (unreadable-input, key-encrypted, ...); notes are
    # what happened before the engine saw anything (a file too large or not downloadable).
    if notes:
        blocks.append(_context(":warning: " + "\n".join(escape(n) for n in notes)))
    buttons = []
    if detail_key is not None:
        buttons.append(
            {
                "type": "button",
                "action_id": ACTION_SHOW_DETAIL,
                "text": {"type": "plain_text", "text": "Details and openssl commands"},
                "value": detail_key,
            }
        )
        if report.ca_note:
            buttons.append(
                {
                    "type": "button",
                    "action_id": ACTION_SHOW_CA_NOTE,
                    "text": {"type": "plain_text", "text": "Note to the CA"},
                    "style": "primary",
                    "value": detail_key,
                }
            )
    if buttons:
        blocks.append({"type": "actions", "block_id": "certmatch_actions", "elements": buttons})
    return blocks[:50]


def build_notice_blocks(text: str) -> list[Block]:
    """A reply without a report (fetch problems only, errors): one section."""
    return [_section(text)]


def build_text_view(title: str, body: str) -> dict[str, Any]:
    """A modal showing long plain text (details, the CA note) in copyable preformatted chunks."""
    chunks = [body[i : i + 2900] for i in range(0, len(body), 2900)] or [""]
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "```" + escape(c) + "```"}}
        for c in chunks[:99]
    ]
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": _clip(title, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


HELP_TEXT = (
    "*certmatch* tells whether a CA-signed certificate belongs to a CSR or key, and if not, why.\n"
    "• Drop `.csr .cer .crt .pem .der .p7b .p7c` files or paste PEM text in a channel I am in: "
    "I answer in the thread.\n"
    "• Post the CSR now and the certificate days later in the same thread: I remember. "
    "Posted elsewhere, I say where its CSR was posted, and spot a regenerated CSR.\n"
    "• `/certmatch <pasted PEM>` checks text; `/certmatch` alone opens a form for files.\n"
    "• `/certmatch profile cisco-uc` or `generic` sets this channel's rules; "
    "`/certmatch profile` shows it.\n"
    "• In a thread, use the message menu ⋮ > *Check certificates* on any message.\n"
    "• `/certmatch forget` deletes what I remembered from this channel.\n"
    "• I remind a certificate's thread before it expires; `/certmatch expiring [DAYS]` lists "
    "what expires soon here, `/certmatch reminders off` (or `on`) mutes this channel.\n"
    "• Never post private keys: paste `openssl rsa -noout -modulus -in key.pem | openssl md5` "
    "instead, or run `python -m certmatch` locally."
)


def build_help_blocks() -> list[Block]:
    return [_section(HELP_TEXT)]


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
        "`/certmatch forget` deletes what was kept from a channel at once. A match found in "
        "another channel is shown only as a link, the poster and the date, never its content. "
        "Private keys are never stored, logged or echoed; only their public fingerprint is "
        "indexed."
    )


def build_home_view(
    retention_days: int, default_profile: str, *, memory_scope: str = "workspace"
) -> dict[str, Any]:
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "certmatch"}},
            _section(HELP_TEXT),
            {"type": "divider"},
            _section(
                f"*Profiles.* Default profile: {_code(default_profile)}. `cisco-uc` adds the "
                "checks CUCM, IM&P, Unity Connection, UCCX and Expressway apply on upload."
            ),
            _section(privacy_text(retention_days, memory_scope)),
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
            _context("Do not paste private keys. The answer is posted to the channel."),
        ],
    }
