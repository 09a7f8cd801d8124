"""The data every layer shares: artefacts, findings, diff entries and the Report (the JSON contract).

Everything here is an immutable record (certmatch/record.py: compared by value, slotted,
`replace()` for a changed copy) or an enum; the artefact side lives in certmatch/artefact.py
and is offered here too. The engine produces these; renderers (plain text, JSON, Slack Block
Kit) only read them. `Report.to_dict()` is the JSON contract in DESIGN.md: keys and value
types there are relied on by users' scripts.
"""

from __future__ import annotations

import enum
from typing import Any

from certmatch.artefact import Artefact, ArtefactKind, KeyInfo
from certmatch.record import Record, replace

__all__ = [
    "Artefact",
    "ArtefactKind",
    "DiffEntry",
    "Endpoint",
    "Finding",
    "InputProblem",
    "JSONValue",
    "KeyInfo",
    "Pair",
    "Record",
    "Report",
    "Severity",
    "Verdict",
    "replace",
]


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Verdict(enum.Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    INCOMPLETE = "incomplete"
    ERROR = "error"


class Pair(Record):
    """A CSR/key/hash (left) compared with a certificate (right), by artefact index."""

    __slots__ = ("left", "match", "right")
    left: int
    right: int
    match: bool

    def __init__(self, left: int, right: int, match: bool) -> None:
        self._set(left, right, match)

    def to_dict(self) -> dict[str, Any]:
        return {"left": self.left, "right": self.right, "match": self.match}


JSONValue = str | int | bool | None | list[str]


class DiffEntry(Record):
    """One field where the certificate differs from what the CSR requested.

    `field` is stable: "subject.CN", "subject.OU", ..., "san.added", "san.removed", "key_usage",
    "extended_key_usage", "basic_constraints", "key", "signature_algorithm".
    """

    __slots__ = ("certificate", "csr", "field", "issued", "requested")
    field: str
    requested: JSONValue
    issued: JSONValue
    csr: int | None  # Report.artifacts index of the CSR (set by the orchestrator)
    certificate: int | None  # and of the certificate it is compared with

    def __init__(
        self,
        field: str,
        requested: JSONValue,
        issued: JSONValue,
        csr: int | None = None,
        certificate: int | None = None,
    ) -> None:
        self._set(field, requested, issued, csr, certificate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "requested": self.requested,
            "issued": self.issued,
            "csr": self.csr,
            "certificate": self.certificate,
        }


class Finding(Record):
    """A diagnosis with a stable `code` (part of the JSON contract), a severity and a hint."""

    __slots__ = ("artifacts", "code", "hint", "message", "reference", "severity")
    code: str
    severity: Severity
    message: str
    hint: str
    artifacts: tuple[int, ...]  # indexes into Report.artifacts this is about
    reference: str | None  # vendor document or RFC the rule rests on

    def __init__(
        self,
        code: str,
        severity: Severity,
        message: str,
        hint: str,
        artifacts: tuple[int, ...] = (),
        reference: str | None = None,
    ) -> None:
        self._set(code, severity, message, hint, artifacts, reference)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
            "artifacts": list(self.artifacts),
            "reference": self.reference,
        }


class InputProblem(Record):
    """An input that could not be used at all, with the reason.

    `code` is the finding code the problem maps to: "unreadable-input", "key-encrypted"
    (encrypted key or PKCS#12 without the right password) or "hash-not-modulus" (a pasted md5
    of one of openssl's error strings instead of a modulus).
    """

    __slots__ = ("code", "message", "source")
    source: str
    message: str
    code: str

    def __init__(self, source: str, message: str, code: str = "unreadable-input") -> None:
        self._set(source, message, code)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "message": self.message, "code": self.code}


class Endpoint(Record):
    """The TLS endpoint a `connect` check looked at (the JSON `endpoint` object).

    `served_order` lists the artefact indexes of the certificates the server sent, in the
    order it sent them; `address` is None when no connection was made.
    """

    __slots__ = (
        "address",
        "cipher",
        "handshake_error",
        "host",
        "port",
        "served_order",
        "servername",
        "starttls",
        "tls_version",
    )
    host: str
    port: int
    servername: str | None  # the SNI sent (None for an IP address without --servername)
    address: str | None  # the IP address connected to
    tls_version: str | None  # "TLSv1.3", ...
    cipher: str | None  # OpenSSL's name of the negotiated cipher suite
    served_order: tuple[int, ...]
    starttls: str | None  # "xmpp", "xmpp-server", "smtp"
    # The server ended the handshake after sending its certificates (it wants a client
    # certificate): OpenSSL's reason. None when the handshake completed (or never started).
    handshake_error: str | None

    def __init__(
        self,
        host: str,
        port: int,
        servername: str | None,
        address: str | None,
        tls_version: str | None,
        cipher: str | None,
        served_order: tuple[int, ...] = (),
        starttls: str | None = None,
        handshake_error: str | None = None,
    ) -> None:
        self._set(
            host,
            port,
            servername,
            address,
            tls_version,
            cipher,
            served_order,
            starttls,
            handshake_error,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "servername": self.servername,
            "address": self.address,
            "tls_version": self.tls_version,
            "cipher": self.cipher,
            "starttls": self.starttls,
            "handshake_error": self.handshake_error,
            "served_order": list(self.served_order),
        }


class Report(Record):
    """The whole answer for one check. `to_dict()` is the `--json` document."""

    __slots__ = (
        "artifacts",
        "ca_note",
        "chain",
        "commands",
        "diff",
        "endpoint",
        "findings",
        "leaf",
        "pairs",
        "problems",
        "profile",
        "purpose",
        "purpose_assumed",
        "summary",
        "verdict",
    )
    verdict: Verdict
    artifacts: tuple[Artefact, ...]
    pairs: tuple[Pair, ...]
    diff: tuple[DiffEntry, ...]
    findings: tuple[Finding, ...]
    leaf: int | None  # index of the server certificate, when one was identified
    chain: tuple[int, ...]  # leaf first, then issuers in signature order
    problems: tuple[InputProblem, ...]
    commands: tuple[str, ...]  # openssl commands a person can run to confirm
    profile: str
    purpose: str | None  # service purpose a profile assumed or was told (cisco-uc)
    purpose_assumed: bool  # True when inferred rather than given with --purpose
    ca_note: str | None  # ready-to-send re-issue request, when the CA must re-issue
    summary: str  # one line, verdict first, for a person
    endpoint: Endpoint | None  # set by `connect`: the server the chain was fetched from

    def __init__(
        self,
        verdict: Verdict,
        artifacts: tuple[Artefact, ...],
        pairs: tuple[Pair, ...] = (),
        diff: tuple[DiffEntry, ...] = (),
        findings: tuple[Finding, ...] = (),
        leaf: int | None = None,
        chain: tuple[int, ...] = (),
        problems: tuple[InputProblem, ...] = (),
        commands: tuple[str, ...] = (),
        profile: str = "generic",
        purpose: str | None = None,
        purpose_assumed: bool = False,
        ca_note: str | None = None,
        summary: str = "",
        endpoint: Endpoint | None = None,
    ) -> None:
        self._set(
            verdict,
            artifacts,
            pairs,
            diff,
            findings,
            leaf,
            chain,
            problems,
            commands,
            profile,
            purpose,
            purpose_assumed,
            ca_note,
            summary,
            endpoint,
        )

    @property
    def blocking(self) -> tuple[int, ...]:
        """Indexes of the error findings that make a match unusable, most important first.

        Empty unless the verdict is match: a mismatch or an unusable input is not "blocked",
        it is not the right certificate (findings are already sorted errors first).
        """
        if self.verdict is not Verdict.MATCH:
            return ()
        return tuple(i for i, f in enumerate(self.findings) if f.severity is Severity.ERROR)

    @property
    def usable(self) -> bool | None:
        """True: the keys match and no error finding stands in the way; None unless a match."""
        if self.verdict is not Verdict.MATCH:
            return None
        return not self.blocking

    @property
    def exit_code(self) -> int:
        """DESIGN.md: 0 match and usable, 1 mismatch, 2 error or incomplete, 3 blocked match."""
        if self.verdict is Verdict.MATCH:
            return 0 if self.usable else 3
        return 1 if self.verdict is Verdict.MISMATCH else 2

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "verdict": self.verdict.value,
            "usable": self.usable,
            "blocking": list(self.blocking),
            "summary": self.summary,
            "profile": self.profile,
            "purpose": self.purpose,
            "purpose_assumed": self.purpose_assumed,
            "ca_note": self.ca_note,
            "artifacts": [a.to_dict() for a in self.artifacts],
            "pairs": [p.to_dict() for p in self.pairs],
            "diff": [d.to_dict() for d in self.diff],
            "findings": [f.to_dict() for f in self.findings],
            "leaf": self.leaf,
            "chain": list(self.chain),
            "problems": [p.to_dict() for p in self.problems],
            "commands": list(self.commands),
        }
        if self.endpoint is not None:
            document["endpoint"] = self.endpoint.to_dict()
        return document
