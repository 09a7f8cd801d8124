"""The full plain-text listing (`--verbose`, the Slack Details modal): headline, every artefact, diff, findings, chain, openssl commands.

Reads a Report only; never sees key material (artefacts hold public halves and hashes).
"""

from __future__ import annotations

from datetime import datetime

from certmatch.model import Artefact, ArtefactKind, DiffEntry, JSONValue, Report
from certmatch.report.commands import file_of
from certmatch.report.compact import headline
from certmatch.wrap import wrap

_WIDTH = 100
_KIND = {
    ArtefactKind.CSR: "CSR",
    ArtefactKind.CERTIFICATE: "certificate",
    ArtefactKind.PRIVATE_KEY: "private key (public half only)",
    ArtefactKind.PUBLIC_KEY: "public key",
    ArtefactKind.HASH: "pasted modulus md5",
}


def render_text(report: Report, *, ca_note: bool = False) -> str:
    """The whole report as text; `ca_note` appends the note to the CA when there is one."""
    lines = [str(headline(report))]
    if report.profile != "generic" or report.purpose:
        purpose = ""
        if report.purpose:
            purpose = f", purpose {report.purpose}" + (
                " (assumed; name it with --purpose)" if report.purpose_assumed else ""
            )
        lines.append(f"profile {report.profile}{purpose}")
    if report.artifacts:
        lines += ["", "Artefacts"]
        for i, artefact in enumerate(report.artifacts):
            lines += _artefact(i, artefact, report)
    if report.pairs:
        lines += ["", "Pairs (by public key)"]
        for p in report.pairs:
            left, right = report.artifacts[p.left].source, report.artifacts[p.right].source
            verdict = "same key" if p.match else "DIFFERENT keys"
            lines.append(f"  [{p.left}] {left}  <->  [{p.right}] {right}: {verdict}")
    if report.diff:
        lines += ["", _diff_title(report)]
        width = max(len(d.field) for d in report.diff)
        lines += [_diff_line(d, width) for d in report.diff]
    if report.findings:
        lines += ["", "Findings"]
        for f in report.findings:
            lines += _wrap(f"{f.severity.value.upper():8}{f.code}: {f.message}", "  ", "          ")
            lines += _wrap(f"-> {f.hint}", "          ", "             ")
    if report.chain:
        lines += ["", "Chain (server certificate first, by signature)"]
        for depth, c in enumerate(report.chain):
            a = report.artifacts[c]
            indent = "  " + "  " * depth
            lines += _wrap(f"[{c}] {a.subject}  ({a.source})", indent, indent + "    ")
    if report.commands:
        lines += ["", "Confirm with openssl (the same key prints the same hash)"]
        if any(file_of(a) is None and a.kind is not ArtefactKind.HASH for a in report.artifacts):
            # Pasted or chat-damaged text has no file openssl can read as it is.
            lines.append(
                "  (pasted or repaired text: save the clean PEM block under the name used below)"
            )
        lines += [f"  $ {c}" for c in report.commands]
    text = "\n".join(lines) + "\n"
    return text + render_ca_note(report) if ca_note else text


def render_ca_note(report: Report) -> str:
    """The note to the CA (`--ca-note`), or a line saying none is needed."""
    lines = ["", "Note to the CA"]
    if report.ca_note:
        lines += ["  " + line if line else "" for line in report.ca_note.splitlines()]
    else:
        lines.append("  (none needed: nothing the CA issued has to be done again)")
    return "\n".join(lines) + "\n"


def _artefact(i: int, a: Artefact, report: Report) -> list[str]:
    role = ""
    if report.leaf == i:
        role = ", server certificate"
    elif a.kind is ArtefactKind.CERTIFICATE and i in report.chain:
        role = ", issuer in chain"
    elif a.kind is ArtefactKind.CERTIFICATE and a.is_ca:
        role = ", CA"
    key = a.key
    size = f" {key.size}" if key.size else ""
    curve = f" {key.curve}" if key.curve else ""
    out = [f"  [{i}] {a.source}: {_KIND[a.kind]}{role}, {key.algorithm}{size}{curve}"]
    rows: list[tuple[str, str]] = []
    if a.subject is not None:
        rows.append(("subject", a.subject or "(empty)"))
    if a.kind is ArtefactKind.CERTIFICATE and role == ", issuer in chain":
        # Issuers are context: name, validity, signature and key are what a person checks.
        if a.not_before and a.not_after:
            rows.append(("valid", f"{_day(a.not_before)} to {_day(a.not_after)}"))
        rows.append(("signature", a.signature_algorithm or ""))
        rows += _key_rows(a)
        for label, value in rows:
            out += _wrap(f"{label:14}{value}", "      ", " " * 20)
        return out
    if a.kind is ArtefactKind.CERTIFICATE:
        rows.append(("issuer", a.issuer or ""))
        rows.append(("serial", a.serial or ""))
        if a.not_before and a.not_after:
            rows.append(("valid", f"{_day(a.not_before)} to {_day(a.not_after)}"))
    if a.sans:
        rows.append(("SANs", ", ".join(a.sans)))
    if a.key_usage:
        rows.append(("key usage", ", ".join(a.key_usage)))
    if a.extended_key_usage:
        rows.append(("ext key usage", ", ".join(a.extended_key_usage)))
    if a.basic_constraints_ca:
        path = a.basic_constraints_path_length
        rows.append(
            ("basic constr.", "CA:TRUE" + (f", pathlen:{path}" if path is not None else ""))
        )
    if a.signature_algorithm:
        valid = " (self-signature INVALID)" if a.signature_valid is False else ""
        rows.append(("signature", a.signature_algorithm + valid))
    rows += _key_rows(a)
    if a.repairs:
        rows.append(("repaired", "; ".join(a.repairs)))
    for label, value in rows:
        out += _wrap(f"{label:14}{value}", "      ", " " * 20)
    return out


def _key_rows(a: Artefact) -> list[tuple[str, str]]:
    rows = []
    if a.key.modulus_md5:
        rows.append(("modulus md5", a.key.modulus_md5))
    if a.key.spki_sha256:
        rows.append(("SPKI SHA-256", a.key.spki_sha256))
    return rows


def _diff_title(report: Report) -> str:
    requested = next(
        (
            report.artifacts[p.left].source
            for p in report.pairs
            if p.right == report.leaf and report.artifacts[p.left].kind is ArtefactKind.CSR
        ),
        "the CSR",
    )
    issued = report.artifacts[report.leaf].source if report.leaf is not None else "certificate"
    return f"Requested ({requested}) vs issued ({issued}), what differs"


def _diff_line(d: DiffEntry, width: int) -> str:
    if d.field == "san.removed":
        return f"  {d.field:{width}}  {_value(d.requested)}"
    if d.field == "san.added":
        return f"  {d.field:{width}}  {_value(d.issued)}"
    return f"  {d.field:{width}}  requested {_value(d.requested)}  ->  issued {_value(d.issued)}"


def _value(value: JSONValue) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(value) if value else "(none)"
    return str(value)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _wrap(text: str, first: str, rest: str) -> list[str]:
    return wrap(text, _WIDTH, first, rest) or [first.rstrip()]
