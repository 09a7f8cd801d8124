"""The compact answer every surface leads with: the headline, the hash block, the diff in words.

One definition of each, read by the CLI's default text (`render_compact`) and by the Slack
reply (handlers.blocks), so the first line says the same thing everywhere (issue 12):
"Match: certnew.cer carries the key of tomcat.csr", "Same key, but it will not work: <the
first blocking finding>", "Mismatch: <the cause>". A finding the headline states is not
listed again below it.
"""

from __future__ import annotations

from collections.abc import Sequence

from certmatch.model import Artefact, ArtefactKind, DiffEntry, Finding, Report, Severity, Verdict
from certmatch.record import Record
from certmatch.wrap import wrap

MATCH = "Match"
BLOCKED = "Same key, but it will not work"
MISMATCH = "Mismatch"
INCOMPLETE = "Nothing to compare yet"
ERROR = "Could not read the input"
MAX_FINDINGS = 3  # in the compact answer; the rest are counted and left to the full listing

# The finding that explains each verdict, when the engine made one.
_CAUSE_CODES = {
    Verdict.MISMATCH: ("ca-as-leaf", "uc-ca-as-leaf", "key-mismatch", "uc-key-mismatch"),
    Verdict.INCOMPLETE: ("ca-as-leaf", "uc-ca-as-leaf", "nothing-to-compare"),
    Verdict.ERROR: ("hash-not-modulus", "key-encrypted", "unreadable-input"),
}
# A CA certificate given for the server's: the mismatch findings about it say it again.
_RESTATED_BY = {
    "ca-as-leaf": frozenset({"key-mismatch"}),
    "uc-ca-as-leaf": frozenset({"uc-key-mismatch", "key-mismatch"}),
}
# Said once, ahead of everything, by every surface that shows a private key was given.
_SAID_ELSEWHERE = frozenset({"private-key-present"})


class Headline(Record):
    """The first line: a label a UC engineer uses, one sentence, and the finding it states."""

    __slots__ = ("finding", "label", "sentence")
    label: str
    sentence: str  # no final full stop
    finding: int | None  # index into Report.findings; not repeated below the headline

    def __init__(self, label: str, sentence: str, finding: int | None = None) -> None:
        self._set(label, sentence, finding)

    @property
    def usable(self) -> bool:
        return self.label == MATCH

    def __str__(self) -> str:
        return f"{self.label}: {self.sentence}" if self.sentence else self.label


class HashRow(Record):
    """One line of the hash block: the artefact, its hash as openssl prints it, and a mark."""

    __slots__ = ("hash", "mark", "source")
    source: str
    hash: str  # "MD5(stdin)= <hex>" (RSA, a pasted md5) or "SPKI SHA-256 <hex>" (other keys)
    mark: str  # "same key", "DIFFERENT KEY" or "" (the line the others are compared with)

    def __init__(self, source: str, hash: str, mark: str) -> None:
        self._set(source, hash, mark)


def headline(report: Report) -> Headline:
    findings = report.findings
    if report.verdict is Verdict.MATCH:
        if report.blocking:
            first = report.blocking[0]
            return Headline(BLOCKED, _sentence(findings[first].message), first)
        return Headline(MATCH, _match_sentence(report))
    label = {Verdict.MISMATCH: MISMATCH, Verdict.INCOMPLETE: INCOMPLETE, Verdict.ERROR: ERROR}[
        report.verdict
    ]
    if report.verdict is Verdict.ERROR and len(report.problems) > 1:
        return Headline(label, _from_summary(report))  # "3 inputs could not be used: ..."
    codes = _CAUSE_CODES[report.verdict]
    for code in codes:
        for i, f in enumerate(findings):
            if f.code == code:
                return Headline(label, _sentence(f.message), i)
    errors = [i for i, f in enumerate(findings) if f.severity is Severity.ERROR]
    if report.verdict is Verdict.MISMATCH and errors:
        return Headline(label, _sentence(findings[errors[0]].message), errors[0])
    return Headline(label, _from_summary(report))


def listed_findings(report: Report, line: Headline) -> list[Finding]:
    """The findings to list under the headline: not the one it states, nor the key warning.

    Errors and warnings first (the engine sorts them so); the compact answer shows the first
    MAX_FINDINGS of those and counts the rest, information included.
    """
    restated: frozenset[str] = frozenset()
    about: set[int] = set()
    if line.finding is not None:
        stated = report.findings[line.finding]
        restated, about = _RESTATED_BY.get(stated.code, frozenset()), set(stated.artifacts)
    return [
        f
        for i, f in enumerate(report.findings)
        if i != line.finding
        and f.code not in _SAID_ELSEWHERE
        and not (f.code in restated and about & set(f.artifacts))
    ]


def compact_findings(report: Report, line: Headline) -> tuple[list[Finding], int]:
    """What the compact answer lists (at most three errors/warnings) and how many it leaves out."""
    listed = listed_findings(report, line)
    shown = [f for f in listed if f.severity is not Severity.INFO][:MAX_FINDINGS]
    return shown, len(listed) - len(shown)


def hash_rows(report: Report) -> list[HashRow]:
    """CSRs/keys/hashes first, then the certificates compared with them (CA issuers left out).

    The mark is on the certificate's line ("same key" as a CSR/key given, or "DIFFERENT
    KEY"), or, when several CSRs/keys face one certificate, on each of theirs.
    """
    arts = report.artifacts
    compared = {p.right for p in report.pairs}
    requesters = [i for i, a in enumerate(arts) if a.kind is not ArtefactKind.CERTIFICATE]
    certs = [
        i
        for i, a in enumerate(arts)
        if a.kind is ArtefactKind.CERTIFICATE and (i in compared or not a.is_ca)
    ]
    matched_left = {p.left for p in report.pairs if p.match}
    matched_right = {p.right for p in report.pairs if p.match}
    if len(certs) == 1 and len(requesters) > 1:
        # Several CSRs/keys for one certificate (an old and a regenerated CSR): the
        # certificate is the reference, each CSR says whether it carries its key.
        (cert,) = certs
        rows = [HashRow(arts[cert].source, _hash(arts[cert]), "")]
        for i in requesters:
            mark = "same key" if i in matched_left else "DIFFERENT KEY"
            rows.append(HashRow(arts[i].source, _hash(arts[i]), mark))
        return rows
    rows = [HashRow(arts[i].source, _hash(arts[i]), "") for i in requesters]
    for i in certs:
        mark = ""
        if requesters:
            mark = "same key" if i in matched_right else "DIFFERENT KEY"
        rows.append(HashRow(arts[i].source, _hash(arts[i]), mark))
    return rows


def hash_block(rows: Sequence[HashRow]) -> list[str]:
    """The rows lined up as columns, the way `openssl ... | openssl md5` output is compared."""
    width = max((len(r.source) for r in rows), default=0)
    return [f"{r.source:{width}}  {r.hash}" + (f"  {r.mark}" if r.mark else "") for r in rows]


def diff_words(entry: DiffEntry) -> str:
    """A diff entry as a person says it: "SAN removed: example.com", "clientAuth dropped"."""
    if entry.field in ("san.removed", "san.added"):
        values = entry.requested if entry.field == "san.removed" else entry.issued
        names = [_san_name(v) for v in values] if isinstance(values, list) else []
        what = "removed" if entry.field == "san.removed" else "added"
        return f"SAN{'s' * (len(names) > 1)} {what}: {', '.join(names)}"
    if entry.field in ("extended_key_usage", "key_usage"):
        requested = entry.requested if isinstance(entry.requested, list) else []
        issued = entry.issued if isinstance(entry.issued, list) else []
        dropped = [u for u in requested if u not in issued]
        added = [u for u in issued if u not in requested]
        parts = [f"{', '.join(dropped)} dropped"] if dropped else []
        parts += [f"{', '.join(added)} added"] if added else []
        return "; ".join(parts) or f"{_label(entry.field)} changed"
    if entry.field.startswith("subject."):
        rdn = entry.field.split(".", 1)[1]
        return f"{rdn} changed: {_value(entry.requested)} -> {_value(entry.issued)}"
    return f"{_label(entry.field)} changed: {_value(entry.requested)} -> {_value(entry.issued)}"


def render_compact(report: Report) -> str:
    """The CLI's default text: the headline, hashes, the diff in words, three findings."""
    line = headline(report)
    out = [str(line)]
    if line.finding is not None and report.findings[line.finding].hint:
        out += _wrap("-> " + report.findings[line.finding].hint, "   ", "      ")
    if any(a.kind is ArtefactKind.PRIVATE_KEY for a in report.artifacts):
        out.append(
            "a private key was given: only its public half was used; if it left its server, "
            "treat it as exposed"
        )
    if report.profile != "generic" or report.purpose:
        purpose = f", purpose {report.purpose}" if report.purpose else ""
        assumed = " (assumed; name it with --purpose)" if report.purpose_assumed else ""
        out.append(f"profile {report.profile}{purpose}{assumed}")
    rows = hash_rows(report)
    if rows:
        out += [""] + ["  " + r for r in hash_block(rows)]
    if report.diff:
        out += [
            "",
            *_wrap(
                "Requested vs issued: " + "; ".join(diff_words(d) for d in report.diff), "", "  "
            ),
        ]
    shown, rest = compact_findings(report, line)
    if shown or rest:
        out.append("")
    for f in shown:
        out += _wrap(f"{f.severity.value.upper():8}{f.message}", "", " " * 8)
        if f.hint:
            out += _wrap(f"-> {f.hint}", " " * 8, " " * 11)
    if rest > 0:
        out.append(f"... {rest} more finding{'s' * (rest > 1)}: run with --verbose")
    elif report.artifacts:
        out.append("(--verbose: every field, the chain and the openssl commands)")
    return "\n".join(out) + "\n"


def _match_sentence(report: Report) -> str:
    arts = report.artifacts
    matched = [p.right for p in report.pairs if p.match]
    if not matched:
        return _from_summary(report)
    shown = report.leaf if report.leaf in matched else matched[0]
    names = sorted({p.left for p in report.pairs if p.match and p.right == shown})
    keys = {arts[r].key.spki_sha256 for r in matched} - {arts[shown].key.spki_sha256}
    more = {0: "", 1: "; 1 more certificate matches its CSR/key"}.get(
        len(keys), f"; {len(keys)} more certificates match their CSRs/keys"
    )
    return (
        f"{arts[shown].source} carries the key of {', '.join(arts[i].source for i in names)}{more}"
    )


def _from_summary(report: Report) -> str:
    prefix = f"{report.verdict.value}: "
    summary = report.summary
    summary = summary[len(prefix) :] if summary.lower().startswith(prefix) else summary
    return summary.rstrip(".")


def _sentence(message: str) -> str:
    return message.strip().rstrip(".")


def _hash(a: Artefact) -> str:
    if a.key.modulus_md5:
        return f"MD5(stdin)= {a.key.modulus_md5}"
    return f"SPKI SHA-256 {a.key.spki_sha256 or '(none)'}"


def _san_name(san: str) -> str:
    # "DNS:example.com" -> "example.com"; other kinds keep their prefix ("IP:10.0.0.1").
    return san[4:] if san.startswith("DNS:") else san


def _label(field: str) -> str:
    return {
        "extended_key_usage": "extended key usage",
        "key_usage": "key usage",
        "basic_constraints": "basic constraints",
        "signature_algorithm": "signature algorithm",
    }.get(field, field)


def _value(value: object) -> str:
    if value is None or value == [] or value == "":
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _wrap(text: str, first: str, rest: str, width: int = 100) -> list[str]:
    return wrap(text, width, first, rest) or [first.rstrip()]
