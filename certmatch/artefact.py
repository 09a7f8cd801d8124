"""What a person hands over, as the engine sees it: the artefact kinds, a public key's identity, the Artefact.

Part of the shared data model (`certmatch.model` offers these names with the rest). Records,
not dataclasses: see certmatch/record.py for why (issue 18).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from certmatch.record import Record


class ArtefactKind(enum.Enum):
    CSR = "csr"
    CERTIFICATE = "certificate"
    PRIVATE_KEY = "private_key"
    PUBLIC_KEY = "public_key"
    HASH = "hash"


class KeyInfo(Record):
    """A public key's identity. Never holds private material.

    `match_id` is what "same key" compares: for RSA the modulus and exponent (so an RSA-PSS
    certificate matches an rsaEncryption CSR for the same key), for other types the SHA-256
    of the canonical SPKI. A pasted hash line has no SPKI and matches on `modulus_md5` only.
    """

    __slots__ = ("algorithm", "curve", "match_id", "modulus_md5", "size", "spki_sha256")
    algorithm: str  # "RSA", "RSA-PSS", "EC", "Ed25519", "Ed448", "DSA"
    size: int | None  # bits; None for a pasted md5 line
    curve: str | None  # "secp256r1", ... for EC
    modulus_md5: str | None  # RSA only, exactly as `openssl ... -modulus | openssl md5`
    spki_sha256: str | None  # SHA-256 of the artefact's own SubjectPublicKeyInfo DER
    match_id: str | None  # see class docstring; None for a hash line

    def __init__(
        self,
        algorithm: str,
        size: int | None,
        curve: str | None,
        modulus_md5: str | None,
        spki_sha256: str | None,
        match_id: str | None,
    ) -> None:
        self._set(algorithm, size, curve, modulus_md5, spki_sha256, match_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "size": self.size,
            "curve": self.curve,
            "modulus_md5": self.modulus_md5,
            "spki_sha256": self.spki_sha256,
        }


class Artefact(Record):
    """One thing a person handed us: a CSR, a certificate, a key (public half only) or a hash line.

    `source` names where it came from ("tomcat.csr", "bundle.p7b [2/3]", "pasted text [1]").
    Text-level fields are None/empty where they do not apply to the kind.
    `native` holds the parsed cryptography object for CSRs and certificates (needed to verify
    chain signatures); it is never a private key and is not part of equality or output.
    """

    __slots__ = (
        "basic_constraints_ca",
        "basic_constraints_path_length",
        "container",
        "der_violations",
        "encrypted",
        "extended_key_usage",
        "issuer",
        "key",
        "key_usage",
        "key_usage_critical",
        "kind",
        "native",
        "not_after",
        "not_before",
        "public_pem",
        "repairs",
        "sans",
        "serial",
        "signature_algorithm",
        "signature_valid",
        "source",
        "subject",
        "subject_rdns",
    )
    _uncompared = ("native",)
    _unshown = ("native",)

    source: str
    kind: ArtefactKind
    key: KeyInfo
    container: str  # "pem", "der", "pkcs7", "pkcs12", "base64", "text" (hash line)
    subject: str | None  # RFC 4514, as openssl -nameopt RFC2253 prints it
    subject_rdns: tuple[tuple[str, str], ...]  # (short name, value) in DN order
    issuer: str | None
    sans: tuple[str, ...]  # "DNS:a.example", "IP:10.0.0.1", "email:x@y", "URI:https://..."
    key_usage: tuple[str, ...]  # "digitalSignature", "keyEncipherment", ...
    key_usage_critical: bool
    extended_key_usage: tuple[str, ...]  # "serverAuth", "clientAuth", or a dotted OID
    basic_constraints_ca: bool | None  # None when the extension is absent
    basic_constraints_path_length: int | None
    signature_algorithm: str | None  # openssl's name: "sha256WithRSAEncryption"
    signature_valid: bool | None  # CSR self-signature; None where not checked
    serial: str | None  # certificate serial, uppercase hex as `openssl x509 -serial`
    not_before: datetime | None  # timezone-aware UTC
    not_after: datetime | None
    encrypted: bool  # private key that was encrypted (read with a password)
    repairs: tuple[str, ...]  # what was fixed in chat-mangled text, for the user
    # DER/RFC 5280 rules the file breaks, read anyway as openssl does (finding not-strict-der)
    der_violations: tuple[str, ...]
    public_pem: str  # public material only: CSR/cert PEM, PUBLIC KEY PEM, or the hash line
    native: object

    def __init__(
        self,
        source: str,
        kind: ArtefactKind,
        key: KeyInfo,
        container: str,
        subject: str | None = None,
        subject_rdns: tuple[tuple[str, str], ...] = (),
        issuer: str | None = None,
        sans: tuple[str, ...] = (),
        key_usage: tuple[str, ...] = (),
        key_usage_critical: bool = False,
        extended_key_usage: tuple[str, ...] = (),
        basic_constraints_ca: bool | None = None,
        basic_constraints_path_length: int | None = None,
        signature_algorithm: str | None = None,
        signature_valid: bool | None = None,
        serial: str | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        encrypted: bool = False,
        repairs: tuple[str, ...] = (),
        der_violations: tuple[str, ...] = (),
        public_pem: str = "",
        native: object = None,
    ) -> None:
        self._set(
            source,
            kind,
            key,
            container,
            subject,
            subject_rdns,
            issuer,
            sans,
            key_usage,
            key_usage_critical,
            extended_key_usage,
            basic_constraints_ca,
            basic_constraints_path_length,
            signature_algorithm,
            signature_valid,
            serial,
            not_before,
            not_after,
            encrypted,
            repairs,
            der_violations,
            public_pem,
            native,
        )

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


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
