"""Block Kit for the expiry reminders (issue 16): the reminder, the renewal note, the first reply's sentence, `/certmatch expiring`.

Pure functions from `CertificateFacts` to mrkdwn and blocks; nothing here calls Slack. Names
taken from a certificate (subject, SANs, serial) are escaped so they cannot become a mention
or a link; dates are Slack `<!date^...>` tokens, shown in the reader's time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Block = dict[str, Any]

DAY = 86400.0
_SECTION_LIMIT = 3000
_MAX_SANS = 6

WHAT_TO_DO = (
    "Generate a new CSR on the server now (Cisco UC: OS Administration > Security > Certificate "
    "Management > Generate CSR) and send it to the CA, leaving them time to issue it before "
    "the expiry. Post the new certificate in this thread: certmatch checks it against its CSR "
    "and stops these reminders."
)
FOOTER = (
    "`/certmatch expiring` lists what expires soon here · `/certmatch reminders off` stops "
    "reminders in this channel"
)


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What a reminder or a listing says about one certificate. `csr_where` and `renewed_where`
    are mrkdwn built by the bot (mentions, a permalink, a date), already escaped."""

    subject: str | None
    sans: Sequence[str]
    serial: str | None
    not_after: float
    csr_where: str | None = None
    renewed_not_after: float | None = None
    renewed_where: str | None = None
    link: str | None = None  # the certificate's message, for listings


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    return "`" + _escape(text).replace("`", "'") + "`"


def _clip(text: str, limit: int = _SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text)}]}


def slack_date(epoch: float) -> str:
    """The date and time in the reader's time zone; the fallback is UTC."""
    moment = datetime.fromtimestamp(epoch, UTC)
    fallback = f"{moment.day} {moment:%b %Y %H:%M} UTC"
    return f"<!date^{int(epoch)}^{{date_short_pretty}} {{time}}|{fallback}>"


def days_words(days: float) -> str:
    """A window as people say it: "30 days", "1 day", "12 hours", "90 seconds"."""
    return span_words(days * DAY)


def span_words(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    for unit, size in (("day", DAY), ("hour", 3600.0), ("minute", 60.0)):
        if seconds >= size:
            count = round(seconds / size)
            return f"{count} {unit}" + ("" if count == 1 else "s")
    count = round(seconds)
    return f"{count} second" + ("" if count == 1 else "s")


def name_of(facts: CertificateFacts) -> str:
    """The certificate as a person knows it: its subject's CN, else its first SAN."""
    if facts.subject:
        for part in facts.subject.split(","):
            key, _, value = part.strip().partition("=")
            if key.upper() == "CN" and value:
                return value
    if facts.sans:
        return facts.sans[0].split(":", 1)[-1]
    return facts.subject or "this certificate"


def _identity_lines(facts: CertificateFacts) -> list[str]:
    sans = list(facts.sans[:_MAX_SANS])
    san_text = ", ".join(_code(s) for s in sans) or "_(none)_"
    if len(facts.sans) > _MAX_SANS:
        san_text += f" and {len(facts.sans) - _MAX_SANS} more"
    return [
        f"Subject {_code(facts.subject or '(empty)')}",
        f"SANs {san_text}",
        f"Serial {_code(facts.serial or '(unknown)')} · expires {slack_date(facts.not_after)}",
    ]


def reminder_text(facts: CertificateFacts, window_days: float, now: float) -> str:
    """The notification line (plain text, no mrkdwn tokens that need rendering)."""
    left = facts.not_after - now
    when = f"in {span_words(left)}" if left > 0 else "now"
    return _clip(
        f"certmatch: the certificate for {name_of(facts)} expires {when} "
        f"(reminder {days_words(window_days)} before expiry): renew it now"
    )


def build_reminder_blocks(
    facts: CertificateFacts, window_days: float, *, now: float, late_since: float | None = None
) -> list[Block]:
    """The reminder posted in the certificate's thread when it enters a window.

    `late_since` is when the window was entered, given when the reminder goes out well after
    that (certmatch was not running): the reminder says so.
    """
    left = facts.not_after - now
    head = (
        f":alarm_clock: *This certificate expires in {span_words(left)}* "
        f"(reminder {days_words(window_days)} before expiry)."
        if left > 0
        else ":alarm_clock: *This certificate has expired.*"
    )
    lines = [head, *_identity_lines(facts)]
    if facts.csr_where:
        lines.append(f"It matches {facts.csr_where}.")
    else:
        lines.append("certmatch has not seen its CSR.")
    blocks = [_section("\n".join(lines)), _section(WHAT_TO_DO)]
    if late_since is not None:
        blocks.append(
            _context(
                f":information_source: This reminder is late: it was due on "
                f"{slack_date(late_since)}, {days_words(window_days)} before expiry, while "
                "certmatch was not running."
            )
        )
    blocks.append(_context(FOOTER))
    return blocks


def renewed_text(facts: CertificateFacts) -> str:
    return _clip(
        f"certmatch: the certificate for {name_of(facts)} was renewed; its remaining "
        "reminders are cancelled"
    )


def build_renewed_blocks(facts: CertificateFacts) -> list[Block]:
    """Posted once in an old certificate's thread that had a reminder, when its renewal is seen."""
    renewed = facts.renewed_not_after
    until = f" valid until {slack_date(renewed)}" if renewed is not None else ""
    where = f" {facts.renewed_where}" if facts.renewed_where else ""
    text = (
        f":white_check_mark: *Renewed.* A certificate for the same names{until} was "
        f"posted{where}. certmatch cancelled the remaining reminders for this one (serial "
        f"{_code(facts.serial or '(unknown)')}, expires {slack_date(facts.not_after)}). "
        "Install the new certificate before then if that is not done yet."
    )
    return [_section(text)]


def window_sentence(
    facts: CertificateFacts, inside_days: float, later_windows: Sequence[float], *, now: float
) -> str:
    """For the first reply to a certificate posted already inside a reminder window."""
    left = facts.not_after - now
    text = (
        f":hourglass_flowing_sand: *Expires in {span_words(left)}* ({slack_date(facts.not_after)}): "
        f"it is already within {days_words(inside_days)} of expiry, so this reply is its "
        "reminder. " + WHAT_TO_DO
    )
    if later_windows:
        words = ", ".join(days_words(d) for d in later_windows)
        text += f" certmatch reminds this thread again {words} before it expires."
    return _clip(text)


def build_expiring_blocks(
    certificates: Sequence[CertificateFacts], days: float, *, now: float, more: bool = False
) -> list[Block]:
    """The ephemeral answer to `/certmatch expiring [DAYS]`, soonest first."""
    span = days_words(days)
    if not certificates:
        return [
            _section(
                f"No certificate seen in this conversation expires within {span}. certmatch "
                "knows the certificates posted here (and kept until a day after they expire)."
            )
        ]
    lines = [f"*Certificates seen in this conversation that expire within {span}*, soonest first:"]
    for facts in certificates:
        left = facts.not_after - now
        when = f"in {span_words(left)}" if left > 0 else "*expired*"
        line = (
            f"• {_code(name_of(facts))} · serial {_code(facts.serial or '?')} · expires "
            f"{slack_date(facts.not_after)} ({when})"
        )
        if facts.renewed_not_after is not None:
            line += f" · renewed, new one valid until {slack_date(facts.renewed_not_after)}"
        if facts.link:
            line += f" · <{facts.link}|thread>"
        lines.append(line)
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if sum(len(c) + 1 for c in chunk) + len(line) > _SECTION_LIMIT - 10:
            blocks.append(_section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    blocks.append(_section("\n".join(chunk)))
    if more:
        blocks.append(_context("More are expiring: ask for fewer days to see the soonest."))
    return blocks[:50]


def expiring_text(count: int, days: float) -> str:
    return f"certmatch: {count} certificate(s) seen here expire within {days_words(days)}"


def announcement_text(enabled: bool, user: str | None) -> str:
    """Posted in the channel when someone turns reminders off or on."""
    who = f"<@{user}>" if user else "Someone"
    if enabled:
        return (
            f":bell: {who} turned certificate expiry reminders *on* for this channel: certmatch "
            "posts in a certificate's thread when it is about to expire. "
            "`/certmatch reminders off` stops them."
        )
    return (
        f":no_bell: {who} turned certificate expiry reminders *off* for this channel: "
        "certmatch posts no more reminders here (reminders due meanwhile are dropped). "
        "`/certmatch reminders on` turns them back on; `/certmatch expiring` still lists what "
        "expires soon."
    )
