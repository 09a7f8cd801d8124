"""`check HOST[:PORT]` requests (`/certmatch check ...`, `@certmatch check ...`): recognising them and
rendering what the service found."""

from __future__ import annotations

import re
from dataclasses import replace

from certmatch import Report
from handlers.blocks import Reply, build_notice_blocks, build_reply, escape
from handlers.ports import CheckOutcome

_WORD = "check"


def command_request(text: str) -> str | None:
    """The part after `check` on the first line of a `/certmatch check HOST` command text, else None.

    Only the first line: what follows (a pasted CSR or certificate) is the post's material,
    checked against what the server serves (docs/bot.md, "check HOST").
    """
    first = text.strip().split("\n", 1)[0]
    word, _, rest = first.partition(" ")
    return rest.strip() if word.lower() == _WORD else None


def mention_request(text: str, bot_user_id: str | None) -> str | None:
    """The part after `check` (first line) of a message that starts by mentioning the bot, else None."""
    if not bot_user_id:
        return None
    found = re.match(rf"\s*<@{re.escape(bot_user_id)}(?:\|[^>]*)?>\s*(.*)$", text, re.DOTALL)
    return None if found is None else command_request(found.group(1))


def build_endpoint_reply(outcome: CheckOutcome | str, *, posted: bool) -> Reply:
    """The reply to a check request: the report with one line on the endpoint, or the refusal."""
    if isinstance(outcome, str):
        return Reply(f"certmatch: {outcome}", build_notice_blocks(outcome))
    if outcome.report is None:
        return build_reply(outcome, posted=posted)
    note = endpoint_note(outcome.report)
    return build_reply(replace(outcome, notes=[*outcome.notes, note]), posted=posted)


def endpoint_note(report: Report) -> str:
    """One line: where the chain came from and how it was served."""
    endpoint = report.endpoint
    if endpoint is None:
        return ""
    host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
    where = escape(f"{host}:{endpoint.port}")
    if endpoint.address is None:
        return f":electric_plug: No TLS handshake with `{where}` (see below)."
    how = ", ".join(
        x
        for x in (
            endpoint.address,
            endpoint.tls_version or "handshake ended by the server",
            endpoint.starttls and f"STARTTLS {endpoint.starttls}",
        )
        if x
    )
    count = len(endpoint.served_order)
    return (
        f":electric_plug: Served by `{where}` ({escape(how)}): {count} "
        f"certificate{'s' * (count != 1)}, in the server's order as listed."
    )
