"""The data every layer shares: artefacts, findings, diff entries and the Report (the JSON contract).

Everything here is a frozen dataclass or an enum. The engine produces these; renderers
(plain text, JSON, Slack Block Kit) only read them. `Report.to_dict()` is the JSON contract
in DESIGN.md: keys and value types there are relied on by users' scripts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ArtefactKind(enum.Enum):
    CSR = "csr"
    CERTIFICATE = "certificate"
    PRIVATE_KEY = "private_key"
    PUBLIC_KEY = "public_key"
    HASH = "hash"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Verdict(enum.Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    INCOMPLETE = "incomplete"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A public key's identity. Never holds private material.

    `match_id` is what "same key" compares: for RSA the modulus and exponent (so an RSA-PSS
    certificate matches an rsaEncryption CSR for the same key), for other types the SHA-256
    of the canonical SPKI. A pasted hash line has no SPKI and matches on `modulus_md5` only.
    """

    algorithm: str  # "RSA", "RSA-PSS", "EC", "Ed25519", "Ed448", "DSA"
    size: int | None  # bits; None for a pasted md5 line
    curve: str | None  # "secp256r1", ... for EC
    modulus_md5: str | None  # RSA only, exactly as `openssl ... -modulus | openssl md5`
    spki_sha256: str | None  # SHA-256 of the artefact's own SubjectPublicKeyInfo DER
    match_id: str | None  # see class docstring; None for a hash line

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "size": self.size,
            "curve": self.curve,
            "modulus_md5": self.modulus_md5,
            "spki_sha256": self.spki_sha256,
        }


@dataclass(frozen=True, slots=True)
class Artefact:
    """One thing a person handed us: a CSR, a certificate, a key (public half only) or a hash line.

    `source` names where it came from ("tomcat.csr", "bundle.p7b [2/3]", "pasted text [1]").
    Text-level fields are None/empty where they do not apply to the kind.
    `native` holds the parsed cryptography object for CSRs and certificates (needed to verify
    chain signatures); it is never a private key and is not part of equality or output.
    """

    source: str
    kind: ArtefactKind
    key: KeyInfo
    container: str  # "pem", "der", "pkcs7", "pkcs12", "base64", "text" (hash line)
    subject: str | None = None  # RFC 4514, as openssl -nameopt RFC2253 prints it
    subject_rdns: tuple[tuple[str, str], ...] = ()  # (short name, value) in DN order
    issuer: str | None = None
    sans: tuple[str, ...] = ()  # "DNS:a.example", "IP:10.0.0.1", "email:x@y", "URI:https://..."
    key_usage: tuple[str, ...] = ()  # "digitalSignature", "keyEncipherment", ...
    key_usage_critical: bool = False
    extended_key_usage: tuple[str, ...] = ()  # "serverAuth", "clientAuth", or a dotted OID
    basic_constraints_ca: bool | None = None  # None when the extension is absent
    basic_constraints_path_length: int | None = None
    signature_algorithm: str | None = None  # openssl's name: "sha256WithRSAEncryption"
    signature_valid: bool | None = None  # CSR self-signature; None where not checked
    serial: str | None = None  # certificate serial, uppercase hex as `openssl x509 -serial`
    not_before: datetime | None = None  # timezone-aware UTC
    not_after: datetime | None = None
    encrypted: bool = False  # private key that was encrypted (read with a password)
    repairs: tuple[str, ...] = ()  # what was fixed in chat-mangled text, for the user
    # DER/RFC 5280 rules the file breaks, read anyway as openssl does (finding not-strict-der)
    der_violations: tuple[str, ...] = ()
    public_pem: str = ""  # public material only: CSR/cert PEM, PUBLIC KEY PEM, or the hash line
    native: object = field(default=None, compare=False, repr=False)

    @property
    def is_ca(self) -> bool:
        return bool(self.basic_constraints_ca)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind.value,
            "container": self.container,
            "key": self.key.to_dict(),
            "subject": self.subject,
            "subject_rdns": [list(rdn) for rdn in self.subject_rdns],
            "issuer": self.issuer,
            "sans": list(self.sans),
            "key_usage": list(self.key_usage),
            "extended_key_usage": list(self.extended_key_usage),
            "basic_constraints": (
                None
                if self.basic_constraints_ca is None
                else {
                    "ca": self.basic_constraints_ca,
                    "path_length": self.basic_constraints_path_length,
                }
            ),
            "signature_algorithm": self.signature_algorithm,
            "signature_valid": self.signature_valid,
            "serial": self.serial,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "encrypted": self.encrypted,
            "repairs": list(self.repairs),
        }


@dataclass(frozen=True, slots=True)
class Pair:
    """A CSR/key/hash (left) compared with a certificate (right), by artefact index."""

    left: int
    right: int
    match: bool

    def to_dict(self) -> dict[str, Any]:
        return {"left": self.left, "right": self.right, "match": self.match}


JSONValue = str | int | bool | None | list[str]


@dataclass(frozen=True, slots=True)
class DiffEntry:
    """One field where the certificate differs from what the CSR requested.

    `field` is stable: "subject.CN", "subject.OU", ..., "san.added", "san.removed", "key_usage",
    "extended_key_usage", "basic_constraints", "key", "signature_algorithm".
    """

    field: str
    requested: JSONValue
    issued: JSONValue
    csr: int | None = None  # Report.artifacts index of the CSR (set by the orchestrator)
    certificate: int | None = None  # and of the certificate it is compared with

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "requested": self.requested,
            "issued": self.issued,
            "csr": self.csr,
            "certificate": self.certificate,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """A diagnosis with a stable `code` (part of the JSON contract), a severity and a hint."""

    code: str
    severity: Severity
    message: str
    hint: str
    artifacts: tuple[int, ...] = ()  # indexes into Report.artifacts this is about
    reference: str | None = None  # vendor document or RFC the rule rests on

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
            "artifacts": list(self.artifacts),
            "reference": self.reference,
        }


@dataclass(frozen=True, slots=True)
class InputProblem:
    """An input that could not be used at all, with the reason.

    `code` is the finding code the problem maps to: "unreadable-input", "key-encrypted"
    (encrypted key or PKCS#12 without the right password) or "hash-not-modulus" (a pasted md5
    of one of openssl's error strings instead of a modulus).
    """

    source: str
    message: str
    code: str = "unreadable-input"

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "message": self.message, "code": self.code}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """The TLS endpoint a `connect` check looked at (the JSON `endpoint` object).

    `served_order` lists the artefact indexes of the certificates the server sent, in the
    order it sent them; `address` is None when no connection was made.
    """

    host: str
    port: int
    servername: str | None  # the SNI sent (None for an IP address without --servername)
    address: str | None  # the IP address connected to
    tls_version: str | None  # "TLSv1.3", ...
    cipher: str | None  # OpenSSL's name of the negotiated cipher suite
    served_order: tuple[int, ...] = ()
    starttls: str | None = None  # "xmpp", "xmpp-server", "smtp"
    # The server ended the handshake after sending its certificates (it wants a client
    # certificate): OpenSSL's reason. None when the handshake completed (or never started).
    handshake_error: str | None = None

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


@dataclass(frozen=True, slots=True)
class Report:
    """The whole answer for one check. `to_dict()` is the `--json` document."""

    verdict: Verdict
    artifacts: tuple[Artefact, ...]
    pairs: tuple[Pair, ...] = ()
    diff: tuple[DiffEntry, ...] = ()
    findings: tuple[Finding, ...] = ()
    leaf: int | None = None  # index of the server certificate, when one was identified
    chain: tuple[int, ...] = ()  # leaf first, then issuers in signature order
    problems: tuple[InputProblem, ...] = ()
    commands: tuple[str, ...] = ()  # openssl commands a person can run to confirm
    profile: str = "generic"
    purpose: str | None = None  # service purpose a profile assumed or was told (cisco-uc)
    purpose_assumed: bool = False  # True when inferred rather than given with --purpose
    ca_note: str | None = None  # ready-to-send re-issue request, when the CA must re-issue
    summary: str = ""  # one line, verdict first, for a person
    endpoint: Endpoint | None = None  # set by `connect`: the server the chain was fetched from

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


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
