"""Certificates and CSRs from DER: cryptography's strict parser, then the lenient reader.

The strict parser reads nearly every file and costs nothing extra; only when it refuses is
certmatch.load.lenient imported (and with it asn1crypto), to read what openssl would.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from certmatch import record
from certmatch.errors import UnsupportedInputError, UnusableInputError
from certmatch.load.artefacts import encoded, from_certificate, from_csr
from certmatch.load.parsing import CRYPTO_ERRORS, named, noted, parse_quietly
from certmatch.model import Artefact


def certificate(der: bytes, source: str, container: str) -> Artefact:
    try:
        with named(source):
            artefact, notes = parse_quietly(
                lambda: from_certificate(
                    x509.load_der_x509_certificate(der), source, container, der
                )
            )
            return noted(artefact, notes)
    except UnsupportedInputError:
        raise
    except (*CRYPTO_ERRORS, UnusableInputError) as exc:
        strict: BaseException = exc
    from certmatch.load.lenient import read_certificate

    return read_certificate(der, source, container, strict)


def csr(der: bytes, source: str, container: str) -> Artefact:
    try:
        with named(source):
            request, notes = parse_quietly(lambda: x509.load_der_x509_csr(der))
            artefact = from_csr(request, source, container, der)
            if artefact.signature_valid is False:
                legacy = legacy_csr_signature(request)
                return record.replace(
                    artefact, signature_valid=legacy, repairs=artefact.repairs + notes
                )
            return noted(artefact, notes)
    except UnsupportedInputError:
        raise
    except (*CRYPTO_ERRORS, UnusableInputError) as exc:
        strict: BaseException = exc
    from certmatch.load.lenient import read_csr

    return read_csr(der, source, container, strict)


def from_parsed(cert: x509.Certificate, source: str, container: str) -> Artefact:
    """An artefact for a certificate a container loader (PKCS#12) has already parsed."""
    try:
        with named(source):
            artefact, notes = parse_quietly(lambda: from_certificate(cert, source, container))
            return noted(artefact, notes)
    except UnsupportedInputError:
        raise
    except (*CRYPTO_ERRORS, UnusableInputError) as exc:
        strict: BaseException = exc
    from certmatch.load.lenient import read_certificate

    return read_certificate(encoded(cert), source, container, strict)


def numbered(certificates: list[x509.Certificate], source: str, container: str) -> list[Artefact]:
    total = len(certificates)
    return [
        from_parsed(cert, source if total == 1 else f"{source} [{i}/{total}]", container)
        for i, cert in enumerate(certificates, 1)
    ]


# PKCS#1 v1.5 DigestInfo prefixes (RFC 8017 section 9.2, note 1) by signature algorithm OID.
_LEGACY_DIGESTS = {
    "1.2.840.113549.1.1.5": (hashlib.sha1, bytes.fromhex("3021300906052b0e03021a05000414")),
    "1.2.840.113549.1.1.4": (hashlib.md5, bytes.fromhex("3020300c06082a864886f70d020505000410")),
}


def legacy_csr_signature(request: x509.CertificateSigningRequest) -> bool | None:
    """Check a SHA-1/MD5 RSA CSR self-signature by hand; None when that is not possible.

    Why: cryptography answers False for signatures whose hash the OpenSSL security policy
    refuses (SHA-1, MD5), which would call every older CUCM CSR invalid. The RSA check is
    small: sig^e mod n must be the EMSA-PKCS1-v1_5 encoding of the hash of the request info.
    """
    legacy = _LEGACY_DIGESTS.get(request.signature_algorithm_oid.dotted_string)
    public_key = request.public_key()
    if legacy is None or not isinstance(public_key, rsa.RSAPublicKey):
        return False if legacy is None else None
    digest, prefix = legacy
    numbers = public_key.public_numbers()
    size = (public_key.key_size + 7) // 8
    signature = int.from_bytes(request.signature, "big")
    if len(request.signature) != size or signature >= numbers.n:
        return False
    encoded = pow(signature, numbers.e, numbers.n).to_bytes(size, "big")
    info = prefix + digest(request.tbs_certrequest_bytes, usedforsecurity=False).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info
    return encoded == expected
