"""Artefacts from parsed cryptography objects: the one place x509 fields become Artefact fields.

The loader (which turns bytes into cryptography objects) and the tests both build artefacts
here, so every CSR and certificate is described the same way whatever container it came in.
Private keys enter only through `from_private_key`, which keeps nothing but the public half.
"""

from __future__ import annotations

import base64
import ipaddress
from datetime import UTC
from typing import TypedDict

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509.oid import ExtendedKeyUsageOID

from certmatch.errors import UnsupportedInputError, UnusableInputError
from certmatch.keys import hash_line_key, key_info
from certmatch.load.der import (
    DerError,
    certificate_names,
    certificate_spki,
    children,
    csr_spki,
    csr_subject,
    element,
    oid_string,
    value,
)
from certmatch.load.names import described_name, names_of, remember
from certmatch.model import Artefact, ArtefactKind, KeyInfo

_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
    ExtendedKeyUsageOID.IPSEC_IKE: "ipsecIKE",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.5"): "ipsecEndSystem",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.6"): "ipsecTunnel",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.7"): "ipsecUser",
}

# (attribute on x509.KeyUsage, RFC 5280 name) in bit order.
_KU_BITS = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)


def from_certificate(
    cert: x509.Certificate, source: str, container: str, der: bytes | None = None
) -> Artefact:
    """`der`: the bytes `cert` was parsed from, when the caller has them (see encoded)."""
    der = encoded(cert) if der is None else der
    fields = _extension_fields(cert.extensions)
    issuer_der, subject_der = names_of(certificate_names, der) or (None, None)
    subject, subject_rdns = described_name(subject_der, lambda: cert.subject)
    return Artefact(
        source=source,
        kind=ArtefactKind.CERTIFICATE,
        key=_key_info(cert.public_key, certificate_spki, der),
        container=container,
        subject=subject,
        subject_rdns=subject_rdns,
        issuer=described_name(issuer_der, lambda: cert.issuer)[0],
        serial=serial_hex(cert.serial_number),
        not_before=cert.not_valid_before_utc.astimezone(UTC),
        not_after=cert.not_valid_after_utc.astimezone(UTC),
        signature_algorithm=signature_name(cert.signature_algorithm_oid),
        public_pem=pem_text("CERTIFICATE", der),
        native=cert,
        **fields,
    )


def from_csr(
    csr: x509.CertificateSigningRequest, source: str, container: str, der: bytes | None = None
) -> Artefact:
    """`der`: the bytes `csr` was parsed from, when the caller has them (see encoded)."""
    der = encoded(csr) if der is None else der
    try:
        extensions = csr.extensions
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        raise UnusableInputError(
            f"{source}: the CSR's requested extensions are malformed ({exc})"
        ) from exc
    subject, subject_rdns = described_name(names_of(csr_subject, der), lambda: csr.subject)
    return Artefact(
        source=source,
        kind=ArtefactKind.CSR,
        key=_key_info(csr.public_key, csr_spki, der),
        container=container,
        subject=subject,
        subject_rdns=subject_rdns,
        signature_algorithm=signature_name(csr.signature_algorithm_oid),
        signature_valid=csr.is_signature_valid,
        public_pem=pem_text("CERTIFICATE REQUEST", der),
        native=csr,
        **_extension_fields(extensions),
    )


def from_public_key(
    public_key: object, source: str, container: str, spki_der: bytes | None = None
) -> Artefact:
    return Artefact(
        source=source,
        kind=ArtefactKind.PUBLIC_KEY,
        key=_checked_key_info(public_key, spki_der, source),
        container=container,
        public_pem=_public_pem(public_key),
    )


def from_private_key(
    private_key: object, source: str, container: str, *, encrypted: bool
) -> Artefact:
    """Only the public half survives this call; the private key object is not kept."""
    public_key_method = getattr(private_key, "public_key", None)
    if public_key_method is None:
        raise UnusableInputError(f"{source}: unsupported private key type")
    public_key = public_key_method()
    return Artefact(
        source=source,
        kind=ArtefactKind.PRIVATE_KEY,
        key=_checked_key_info(public_key, None, source),
        container=container,
        encrypted=encrypted,
        public_pem=_public_pem(public_key),
    )


def from_hash_line(md5_hex: str, source: str, line: str) -> Artefact:
    """A pasted `MD5(stdin)= <hex>` (or `Modulus=...` reduced to its md5) comparison target."""
    return Artefact(
        source=source,
        kind=ArtefactKind.HASH,
        key=hash_line_key(md5_hex),
        container="text",
        public_pem=line,
    )


# Keys repeat across files (a CSR and its certificate share one): a KeyInfo built from the
# same SPKI DER is reused. Bounded, so a long-lived process (the bot) keeps a few thousand.
_KEYS: dict[bytes, KeyInfo] = {}


def general_name(name: x509.GeneralName) -> str:
    if isinstance(name, x509.DNSName):
        return f"DNS:{name.value}"
    if isinstance(name, x509.IPAddress):
        value = name.value
        if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
            return f"IP:{value}"
        return f"IP:{value}"
    if isinstance(name, x509.RFC822Name):
        return f"email:{name.value}"
    if isinstance(name, x509.UniformResourceIdentifier):
        return f"URI:{name.value}"
    if isinstance(name, x509.DirectoryName):
        return f"DirName:{name.value.rfc4514_string()}"
    if isinstance(name, x509.RegisteredID):
        return f"RID:{name.value.dotted_string}"
    if isinstance(name, x509.OtherName):
        return f"othername:{name.type_id.dotted_string}"
    return str(name)


class _ExtensionFields(TypedDict, total=False):
    sans: tuple[str, ...]
    key_usage: tuple[str, ...]
    key_usage_critical: bool
    extended_key_usage: tuple[str, ...]
    basic_constraints_ca: bool
    basic_constraints_path_length: int | None


def _extension_fields(extensions: x509.Extensions) -> _ExtensionFields:
    fields: _ExtensionFields = {}
    for ext in extensions:
        value = ext.value
        if isinstance(value, x509.SubjectAlternativeName):
            fields["sans"] = tuple(general_name(n) for n in value)
        elif isinstance(value, x509.KeyUsage):
            fields["key_usage"] = _key_usage_names(value)
            fields["key_usage_critical"] = ext.critical
        elif isinstance(value, x509.ExtendedKeyUsage):
            fields["extended_key_usage"] = tuple(eku_name(o) for o in value)
        elif isinstance(value, x509.BasicConstraints):
            fields["basic_constraints_ca"] = value.ca
            fields["basic_constraints_path_length"] = value.path_length
    return fields


def eku_name(oid: x509.ObjectIdentifier) -> str:
    return _EKU_NAMES.get(oid, oid.dotted_string)


def _key_usage_names(ku: x509.KeyUsage) -> tuple[str, ...]:
    names = [name for attr, name in _KU_BITS if getattr(ku, attr)]
    if ku.key_agreement:
        # encipher_only/decipher_only raise unless keyAgreement is set.
        if ku.encipher_only:
            names.append("encipherOnly")
        if ku.decipher_only:
            names.append("decipherOnly")
    return tuple(names)


def _key_info(get_public_key: object, spki_of: object, der: bytes) -> KeyInfo:
    assert callable(get_public_key) and callable(spki_of)
    spki = spki_of(der)
    known = _KEYS.get(spki)
    if known is not None:
        return known
    try:
        public_key = get_public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise UnsupportedInputError(
            f"the public key is of a type certmatch does not read ({algorithm_name(spki)}); "
            f"{KEY_TYPES}"
        ) from exc
    info = _checked_key_info(public_key, spki, None)
    if info.algorithm in _CACHED_ALGORITHMS:  # parsed without a warning to note
        remember(_KEYS, spki, info)
    return info


# KeyInfo is a function of the SPKI bytes; the types listed parse without warnings, so a
# cached answer drops no note.
_CACHED_ALGORITHMS = frozenset({"RSA", "RSA-PSS", "EC", "Ed25519", "Ed448"})


def _checked_key_info(public_key: object, spki_der: bytes | None, source: str | None) -> KeyInfo:
    try:
        return key_info(public_key, spki_der)
    except TypeError as exc:
        where = f"{source}: " if source else ""
        raise UnsupportedInputError(f"{where}{exc}; {KEY_TYPES}") from exc


KEY_TYPES = "certmatch reads RSA, EC, Ed25519, Ed448, X25519, X448 and DSA keys"

# Algorithms people meet that cryptography cannot hand over as a public key, by OID.
_ALGORITHM_NAMES = {
    "2.16.840.1.101.3.4.3.17": "ML-DSA-44",
    "2.16.840.1.101.3.4.3.18": "ML-DSA-65",
    "2.16.840.1.101.3.4.3.19": "ML-DSA-87",
    "2.16.840.1.101.3.4.4.1": "ML-KEM-512",
    "2.16.840.1.101.3.4.4.2": "ML-KEM-768",
    "2.16.840.1.101.3.4.4.3": "ML-KEM-1024",
    "1.2.643.7.1.1.1.1": "GOST R 34.10-2012 256-bit",
    "1.2.643.7.1.1.1.2": "GOST R 34.10-2012 512-bit",
    "1.2.840.10046.2.1": "Diffie-Hellman (X9.42)",
    "1.2.840.113549.1.3.1": "Diffie-Hellman (PKCS#3)",
}


def algorithm_name(spki: bytes) -> str:
    """The SPKI's algorithm as people name it (or its OID), for an unsupported-key message."""
    try:
        algorithm = children(spki, children(spki, element(spki, 0))[0])
        oid = x509.ObjectIdentifier(oid_string(value(spki, algorithm[0])))
    except (DerError, IndexError, ValueError):
        return "an algorithm it cannot name"
    if oid.dotted_string == "1.2.840.10045.2.1" and len(algorithm) > 1:  # id-ecPublicKey
        try:
            curve = oid_string(value(spki, algorithm[1]))
        except (DerError, IndexError, ValueError):
            # A curve OID cut short (its last byte's high bit set): found by the fuzzer, it
            # escaped as a DerError from the message about the key (fuzz/README.md).
            return "EC on a curve it cannot name"
        return f"EC on the curve {_CURVE_NAMES.get(curve, curve)}"
    name = _ALGORITHM_NAMES.get(oid.dotted_string) or getattr(oid, "_name", "Unknown OID")
    return f"{name}, OID {oid.dotted_string}" if name != "Unknown OID" else oid.dotted_string


_CURVE_NAMES = {"1.2.156.10197.1.301": "SM2", "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1"}


def pem_text(label: str, der: bytes) -> str:
    """PEM exactly as cryptography's `public_bytes(Encoding.PEM)` writes it: 64-column base64."""
    body = base64.b64encode(der).decode("ascii")
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n"


def encoded(parsed: x509.Certificate | x509.CertificateSigningRequest) -> bytes:
    """The DER of a certificate or CSR parsed elsewhere (a PKCS#7 or PKCS#12 bundle).

    Why callers pass the bytes they parsed instead: cryptography's DER parser is strict, so it
    re-encodes a structure it accepted byte for byte (checked on the 1,530 certificates and
    CSRs of the test vectors, the fuzz corpus and the bench corpus), and asking it needs the
    `serialization` package, whose import costs about 12 ms (issue 18).
    """
    from cryptography.hazmat.primitives import serialization

    return parsed.public_bytes(serialization.Encoding.DER)


def _public_pem(public_key: object) -> str:
    public_bytes = getattr(public_key, "public_bytes", None)
    if public_bytes is None:
        raise UnusableInputError("unsupported public key type")
    from cryptography.hazmat.primitives import serialization  # keys only (issue 18)

    pem: bytes = public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def serial_hex(serial: int) -> str:
    # `openssl x509 -serial` prints uppercase hex padded to whole bytes.
    text = f"{serial:X}"
    return text if len(text) % 2 == 0 else "0" + text


def signature_name(oid: x509.ObjectIdentifier) -> str:
    name = getattr(oid, "_name", None)
    if isinstance(name, str) and name != "Unknown OID":
        return name
    return oid.dotted_string
