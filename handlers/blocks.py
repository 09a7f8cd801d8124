"""Block Kit for a check's reply: pure functions from a check's outcome to Slack message dicts.

Nothing here calls Slack or the service; the listeners render what the service returns. The
reply fits one laptop screen (issue 12): the headline every surface shares (certmatch's
`headline()`), one code block lining up the hashes as openssl prints them, the diff in words,
at most three findings, and the rest behind the Details button. Every string that came from a
user (file names, subjects, SANs) is escaped so it cannot become a mention or a link
(`<!channel>`), and every text is clipped to Block Kit's limits (3000 characters per section,
50 blocks per message). The views (modals, App Home, help) are in handlers.views.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from certmatch import (
    ArtefactKind,
    Report,
    Severity,
    Verdict,
    compact_findings,
    diff_words,
    hash_block,
    hash_rows,
    headline,
)
from handlers.ports import ACTION_SHOW_CA_NOTE, ACTION_SHOW_DETAIL, CheckOutcome

Block = dict[str, Any]

SECTION_LIMIT = 3000
_MAX_HASH_ROWS = 6

_ICON = {
    Verdict.INCOMPLETE: ":hourglass_flowing_sand:",
    Verdict.ERROR: ":warning:",
    Verdict.MISMATCH: ":x:",
}
_SEVERITY_ICON = {
    Severity.ERROR: ":red_circle:",
    Severity.WARNING: ":large_orange_circle:",
    Severity.INFO: ":large_blue_circle:",
}

# Said once, first. Posted: the key is in the channel's history. Through /certmatch or the
# form nothing reached the channel: the person sent it to certmatch alone.
PRIVATE_KEY_WARNING = (
    ":rotating_light: *A private key was posted here: treat it as exposed.* certmatch used only "
    "its public half and did not store it. Delete the message, generate a new key and CSR, and "
    "next time run `python -m certmatch` locally or paste only the output of "
    "`openssl rsa -noout -modulus -in key.pem | openssl md5`."
)
PRIVATE_KEY_SENT = (
    ":rotating_light: *You sent a private key to certmatch: treat it as exposed.* certmatch used "
    "only its public half, did not store it, and shows this answer to you alone. Generate a new "
    "key and CSR, and next time run `python -m certmatch` locally or send only the output of "
    "`openssl rsa -noout -modulus -in key.pem | openssl md5`."
)


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply ready to post: plain-text fallback, Block Kit, and whether a private key was seen."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    private_key: bool = False


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: only &, < and > (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code_text(text: str) -> str:
    # Backticks inside inline code would end it early.
    return "`" + escape(text).replace("`", "'") + "`"


def clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section_block(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}


def context_block(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


def has_private_key(report: Report) -> bool:
    return any(a.kind is ArtefactKind.PRIVATE_KEY for a in report.artifacts) or any(
        f.code in ("private-key-present", "key-encrypted") for f in report.findings
    )


def verdict_text(report: Report) -> str:
    """The first line (mrkdwn): a green tick only when the certificate is usable."""
    line = headline(report)
    if report.verdict is Verdict.MATCH:
        icon = ":white_check_mark:" if line.usable else ":warning:"
    else:
        icon = _ICON[report.verdict]
    text = f"{icon} *{line.label}*"
    return text + (f": {escape(line.sentence)}" if line.sentence else "")


def fallback_text(report: Report, *, recalled: Sequence[str] = (), posted: bool = True) -> str:
    """The plain-text `text` of the message: notifications, screen readers, old clients.

    `recalled` are workspace-memory sentences (bot.recall), already mrkdwn with mentions.
    """
    text = "certmatch: "
    if has_private_key(report):
        text += (
            "a private key was posted: treat it as exposed. "
            if posted
            else "you sent a private key: treat it as exposed. "
        )
    text = escape(text + str(headline(report)))
    if recalled:
        text += " " + recalled[0]
    return clip(text, 3000)


def hash_text(report: Report) -> str | None:
    """One code block, one line per artefact: `name  MD5(stdin)= ...  same key`."""
    rows = hash_rows(report)
    if not rows:
        return None
    lines = hash_block(rows[:_MAX_HASH_ROWS])
    if len(rows) > _MAX_HASH_ROWS:
        lines.append(f"... {len(rows) - _MAX_HASH_ROWS} more in Details")
    # Inside a code block only the fence itself can break out; names cannot carry one.
    return "```" + escape("\n".join(lines)).replace("```", "'''") + "```"


def diff_text(report: Report) -> str | None:
    """The diff in words, one line per CSR: "SAN removed: example.com · clientAuth dropped"."""
    if not report.diff:
        return None
    groups = [(key, list(entries)) for key, entries in groupby(report.diff, _diff_pair)]
    lines = []
    for (csr, cert), entries in groups:
        words = " · ".join(escape(diff_words(e)) for e in entries)
        if len(groups) > 1 and csr is not None and cert is not None:
            csr_name = escape(report.artifacts[csr].source)
            cert_name = escape(report.artifacts[cert].source)
            lines.append(f"*{csr_name} → {cert_name}:* {words}")
        else:
            lines.append(f"*Requested → issued:* {words}")
    return "\n".join(lines)


def findings_text(report: Report, *, detail_key: str | None = None) -> str | None:
    """At most three errors/warnings, each one line and its hint; the rest counted."""
    shown, rest = compact_findings(report, headline(report))
    if not shown and not rest:
        return None
    lines = []
    for finding in shown:
        line = f"{_SEVERITY_ICON[finding.severity]} {escape(finding.message)}"
        if finding.hint:
            line += f"\n      _{escape(finding.hint)}_"
        lines.append(line)
    if rest > 0:
        where = "behind *Details*" if detail_key else "with `python -m certmatch --verbose`"
        lines.append(f"…and {rest} more finding{'s' * (rest > 1)} {where}")
    return "\n".join(lines)


def build_report_blocks(
    report: Report,
    *,
    detail_key: str | None = None,
    notes: Sequence[str] = (),
    recalled: Sequence[str] = (),
    posted: bool = True,
) -> list[Block]:
    """The compact threaded reply.

    `recalled` (where a partner was posted, a regenerated CSR) comes right under the verdict:
    it is often the whole answer. Those sentences are built by bot.memory, already escaped.
    `posted` is False for /certmatch and the form, where nothing reached the channel.
    """
    blocks: list[Block] = []
    if has_private_key(report):
        blocks.append(section_block(PRIVATE_KEY_WARNING if posted else PRIVATE_KEY_SENT))
    # The headline's own hint (what to do) is in Details and in the note to the CA.
    blocks.append(section_block(verdict_text(report)))
    blocks.extend(section_block(sentence) for sentence in recalled)
    if report.profile != "generic" or report.purpose:
        profile = f"profile {code_text(report.profile)}"
        if report.purpose:
            how = "assumed" if report.purpose_assumed else "given"
            profile += f" · purpose {code_text(report.purpose)} ({how})"
        blocks.append(context_block(profile))
    for text in (
        hash_text(report),
        diff_text(report),
        findings_text(report, detail_key=detail_key),
    ):
        if text:
            blocks.append(section_block(text))
    # report.problems are already findings (unreadable-input, key-encrypted, ...); notes are
    # what happened before the engine saw anything (a file too large or not downloadable).
    if notes:
        blocks.append(context_block(":warning: " + "\n".join(escape(n) for n in notes)))
    if detail_key is not None:
        buttons = [
            {
                "type": "button",
                "action_id": ACTION_SHOW_DETAIL,
                "text": {"type": "plain_text", "text": "Details"},
                "value": detail_key,
            }
        ]
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
        blocks.append({"type": "actions", "block_id": "certmatch_actions", "elements": buttons})
    return blocks[:50]


def build_notice_blocks(text: str) -> list[Block]:
    """A reply without a report (fetch problems only, errors): one section."""
    return [section_block(text)]


def build_reply(outcome: CheckOutcome, *, posted: bool = True) -> Reply:
    """The message for a check's outcome: the report, or why there was none.

    `posted`: the material was posted in the channel (a message, the message shortcut), not
    sent to certmatch alone (/certmatch, the form).
    """
    report = outcome.report
    if report is None:
        if outcome.file_problems:
            lines = [f"• {escape(p)}" for p in outcome.file_problems]
            return Reply(
                "certmatch could not read the files: " + "; ".join(outcome.file_problems),
                build_notice_blocks(":warning: I could not read the files:\n" + "\n".join(lines)),
            )
        return Reply(
            "certmatch found no certificate, CSR, key or md5 line in that.",
            build_notice_blocks(
                "I found no certificate, CSR, key or `openssl ... | openssl md5` line in "
                "that. Paste PEM text (`-----BEGIN ...`) or attach `.csr`/`.cer`/`.p7b` files."
            ),
        )
    return Reply(
        text=fallback_text(report, recalled=outcome.recalled, posted=posted),
        blocks=build_report_blocks(
            report,
            detail_key=outcome.detail_key,
            notes=outcome.notes,
            recalled=outcome.recalled,
            posted=posted,
        ),
        private_key=has_private_key(report),
    )


def _diff_pair(entry: Any) -> tuple[int | None, int | None]:
    return (entry.csr, entry.certificate)
