"""Binary (DER) inputs: tell what a DER structure is, and unpack certificates, CSRs, keys, PKCS#7 and PKCS#12.

The shape of the outer SEQUENCE says what a structure is before any loader runs, so a damaged
certificate is reported as a damaged certificate (not as "not a key") and an encrypted key or
PKCS#12 is recognised before a password is asked of it. cryptography's exceptions stop here:
they are re-raised as UnusableInputError / EncryptedKeyError with a message a person can act on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InternalError, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from certmatch.errors import EncryptedKeyError, UnusableInputError
from certmatch.keys import key_info
from certmatch.load.artefacts import from_certificate, from_csr, from_private_key, from_public_key
from certmatch.load.derbounds import check_der_bounds
from certmatch.load.dershape import (
    DerKind,
    classify,
    count_pkcs7_certificates,
    kdf_costs,
    pkcs7_certificate_elements,
    pkcs8_pss_spki,
)
from certmatch.load.limits import Limits, check_count, check_kdf_cost
from certmatch.model import Artefact

_T = TypeVar("_T")

# What cryptography raises for data it cannot use (several x509 errors are bare Exceptions).
CRYPTO_ERRORS = (
    ValueError,
    TypeError,
    OverflowError,
    UnsupportedAlgorithm,
    InternalError,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)

PASSWORD_HINT = (
    "on the command line give the password with --password-file (or the password environment "
    "variable); never paste a private key or its password into chat"
)


def load_der(
    der: bytes,
    source: str,
    container: str,
    password: bytes | None,
    limits: Limits,
    what: str = "certificate, CSR, key or bundle",
) -> list[Artefact]:
    """Artefacts in one DER structure; `what` names what the caller expected, for messages."""
    kind = _precheck(der, source, limits)
    if kind is None:
        raise UnusableInputError(
            f"{source}: this is not a readable {what}: the structure is damaged or of another "
            "kind; copy the original file again (not a retyped or OCR'd copy)"
        )
    if kind is DerKind.CERTIFICATE:
        return [_certificate(der, source, container)]
    if kind is DerKind.CSR:
        return [_csr(der, source, container)]
    if kind is DerKind.PKCS7:
        return _pkcs7(der, source, limits)
    if kind in (DerKind.PKCS12, DerKind.ENCRYPTED_PRIVATE_KEY):
        check_kdf_cost(source, *kdf_costs(der), limits)
    if kind is DerKind.PKCS12:
        return _pkcs12(der, source, password, limits)
    if kind in (DerKind.SPKI, DerKind.RSA_PUBLIC):
        return [_public_key(der, source, container, kind)]
    if kind in (DerKind.PRIVATE_KEY, DerKind.ENCRYPTED_PRIVATE_KEY):
        encrypted = kind is DerKind.ENCRYPTED_PRIVATE_KEY
        return [private_key(der, source, container, password if encrypted else None, encrypted)]
    if kind is DerKind.PKCS7_OTHER:
        raise UnusableInputError(
            f"{source}: a PKCS#7/CMS message that is not a certificate bundle (signed data); "
            "ask the CA for the certificate as .cer/.crt or a .p7b bundle"
        )
    raise UnusableInputError(
        f"{source}: a signed structure that is neither a readable certificate nor a CSR "
        "(a certificate revocation list, or a damaged file)"
    )


def precheck(der: bytes, source: str, limits: Limits) -> None:
    """The bounds, before any parser runs: certificates in a bundle, then nesting and size."""
    _precheck(der, source, limits)


def _precheck(der: bytes, source: str, limits: Limits) -> DerKind | None:
    """precheck(), returning classify(der) so load_der need not classify again."""
    kind = classify(der)
    if kind is DerKind.PKCS7:
        counted = count_pkcs7_certificates(der)
        if counted is not None:
            check_count(
                source, "certificates in the PKCS#7 bundle", counted, limits.max_certificates
            )
    check_der_bounds(source, der, limits)
    return kind


def private_key(
    der: bytes, source: str, container: str, password: bytes | None, encrypted: bool
) -> Artefact:
    """The public half of a DER private key (PKCS#8, encrypted PKCS#8, PKCS#1, SEC1, DSA)."""
    if encrypted and password is None:
        raise EncryptedKeyError(
            f"{source}: the private key is encrypted and no password was given; {PASSWORD_HINT}"
        )
    try:
        # Only the public half is used, never a signature, so cryptography's RSA key check
        # (primality tests of p and q: ~27 ms a key, 110 ms for RSA 3072) buys nothing here;
        # `openssl rsa -noout -modulus` does not check the key either.
        key = serialization.load_der_private_key(
            der, password if encrypted else None, unsafe_skip_rsa_key_validation=True
        )
    except CRYPTO_ERRORS as exc:
        if encrypted:
            raise EncryptedKeyError(
                f"{source}: the password does not decrypt this private key (or the key is "
                f"damaged); check the password; {PASSWORD_HINT}"
            ) from exc
        raise UnusableInputError(
            f"{source}: the private key cannot be read: it is damaged or of an unsupported "
            f"type ({_reason(exc)})"
        ) from exc
    artefact = from_private_key(key, source, container, encrypted=encrypted)
    del key  # only the public half is kept
    return with_pss_spki(artefact, pkcs8_pss_spki(der) if not encrypted else None)


def legacy_encrypted_key(pem: bytes, source: str, password: bytes | None) -> Artefact:
    """An OpenSSL `Proc-Type: 4,ENCRYPTED` PEM key (the form `openssl rsa -aes256` writes)."""
    if password is None:
        raise EncryptedKeyError(
            f"{source}: the private key is encrypted (Proc-Type: 4,ENCRYPTED) and no password "
            f"was given; {PASSWORD_HINT}"
        )
    try:
        key = serialization.load_pem_private_key(
            pem,
            password,
            unsafe_skip_rsa_key_validation=True,  # public half only, see above
        )
    except CRYPTO_ERRORS as exc:
        raise EncryptedKeyError(
            f"{source}: the password does not decrypt this private key (or the key is "
            f"damaged); check the password; {PASSWORD_HINT}"
        ) from exc
    artefact = from_private_key(key, source, "pem", encrypted=True)
    del key
    return artefact


def with_pss_spki(artefact: Artefact, spki: bytes | None) -> Artefact:
    """Re-key an RSA-PSS private key's artefact with the SPKI `openssl pkey -pubout` prints."""
    if spki is None:
        return artefact
    public_key = serialization.load_pem_public_key(artefact.public_pem.encode("ascii"))
    return dataclasses.replace(artefact, key=key_info(public_key, spki))


@contextlib.contextmanager
def _reading(source: str, damaged: str) -> Iterator[None]:
    """Name `source` in every UnusableInputError; cryptography's errors become `damaged`.

    `damaged` says what to do next and holds `{reason}` for cryptography's own words.
    """
    try:
        yield
    except UnusableInputError as exc:
        if str(exc).startswith(source):
            raise
        raise UnusableInputError(f"{source}: {exc}") from exc
    except CRYPTO_ERRORS as exc:
        raise UnusableInputError(f"{source}: " + damaged.format(reason=_reason(exc))) from exc


def _certificate(der: bytes, source: str, container: str) -> Artefact:
    with _reading(
        source,
        "the certificate is damaged and cannot be read ({reason}); download it from the CA again",
    ):
        artefact, notes = _parse_quietly(
            lambda: from_certificate(x509.load_der_x509_certificate(der), source, container)
        )
        return _noted(artefact, notes)


def _csr(der: bytes, source: str, container: str) -> Artefact:
    with _reading(
        source,
        "the CSR is damaged and cannot be read ({reason}); download it from the server again "
        "rather than retyping or OCR'ing it",
    ):
        csr, notes = _parse_quietly(lambda: x509.load_der_x509_csr(der))
        artefact = from_csr(csr, source, container)
        if artefact.signature_valid is False:
            legacy = legacy_csr_signature(csr)
            return dataclasses.replace(
                artefact, signature_valid=legacy, repairs=artefact.repairs + notes
            )
        return _noted(artefact, notes)


def _public_key(der: bytes, source: str, container: str, kind: DerKind) -> Artefact:
    try:
        public_key = serialization.load_der_public_key(der)
    except CRYPTO_ERRORS as exc:
        raise UnusableInputError(
            f"{source}: the public key cannot be read: it is damaged or of an unsupported type "
            f"({_reason(exc)})"
        ) from exc
    return from_public_key(public_key, source, container, der if kind is DerKind.SPKI else None)


def _pkcs7(der: bytes, source: str, limits: Limits) -> list[Artefact]:
    """The bundle's certificates in file order.

    Why not pkcs7.load_der_pkcs7_certificates first: `openssl crl2pkcs7` and AD CS write the
    certificate SET in file order rather than DER's sorted order, which cryptography accepts
    only with a warning, and the file order is itself worth reporting. BER bundles
    (indefinite lengths, not walkable here) still go through cryptography.
    """
    elements = pkcs7_certificate_elements(der)
    if elements == []:
        raise UnusableInputError(f"{source}: the PKCS#7 bundle holds no certificates")
    if elements is not None:
        check_count(
            source, "certificates in the PKCS#7 bundle", len(elements), limits.max_certificates
        )
        total = len(elements)
        return [
            _certificate(element, source if total == 1 else f"{source} [{i}/{total}]", "pkcs7")
            for i, element in enumerate(elements, 1)
        ]
    try:
        # Its warning (DER expected, BER read) says nothing about the certificates.
        certificates, _ = _parse_quietly(lambda: pkcs7.load_der_pkcs7_certificates(der))
    except CRYPTO_ERRORS as exc:
        raise UnusableInputError(
            f"{source}: the PKCS#7 bundle is damaged and cannot be read ({_reason(exc)}); "
            "download it from the CA again"
        ) from exc
    check_count(
        source, "certificates in the PKCS#7 bundle", len(certificates), limits.max_certificates
    )
    return _numbered(certificates, source, "pkcs7")


# PKCS#1 v1.5 DigestInfo prefixes (RFC 8017 section 9.2, note 1) by signature algorithm OID.
_LEGACY_DIGESTS = {
    "1.2.840.113549.1.1.5": (hashlib.sha1, bytes.fromhex("3021300906052b0e03021a05000414")),
    "1.2.840.113549.1.1.4": (hashlib.md5, bytes.fromhex("3020300c06082a864886f70d020505000410")),
}


def legacy_csr_signature(csr: x509.CertificateSigningRequest) -> bool | None:
    """Check a SHA-1/MD5 RSA CSR self-signature by hand; None when that is not possible.

    Why: cryptography answers False for signatures whose hash the OpenSSL security policy
    refuses (SHA-1, MD5), which would call every older CUCM CSR invalid. The RSA check is
    small: sig^e mod n must be the EMSA-PKCS1-v1_5 encoding of the hash of the request info.
    """
    legacy = _LEGACY_DIGESTS.get(csr.signature_algorithm_oid.dotted_string)
    public_key = csr.public_key()
    if legacy is None or not isinstance(public_key, rsa.RSAPublicKey):
        return False if legacy is None else None
    digest, prefix = legacy
    numbers = public_key.public_numbers()
    size = (public_key.key_size + 7) // 8
    signature = int.from_bytes(csr.signature, "big")
    if len(csr.signature) != size or signature >= numbers.n:
        return False
    encoded = pow(signature, numbers.e, numbers.n).to_bytes(size, "big")
    info = prefix + digest(csr.tbs_certrequest_bytes, usedforsecurity=False).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info
    return encoded == expected


def _pkcs12(der: bytes, source: str, password: bytes | None, limits: Limits) -> list[Artefact]:
    attempts = [password] if password is None else [password, None]
    last: Exception | None = None
    for attempt in attempts:
        try:
            (key, certificate, extra), _ = _parse_quietly(
                functools.partial(pkcs12.load_key_and_certificates, der, attempt)
            )
            encrypted = bool(attempt)
            break
        except CRYPTO_ERRORS as exc:
            last = exc
    else:
        if password is None:
            raise EncryptedKeyError(
                f"{source}: the PKCS#12 file is protected by a password and none was given; "
                f"{PASSWORD_HINT}"
            ) from last
        raise EncryptedKeyError(
            f"{source}: the password does not open this PKCS#12 file (or the file is "
            f"damaged); check the password; {PASSWORD_HINT}"
        ) from last
    certificates = ([certificate] if certificate is not None else []) + list(extra)
    check_count(
        source, "certificates in the PKCS#12 file", len(certificates), limits.max_certificates
    )
    out: list[Artefact] = []
    if key is not None:
        out.append(from_private_key(key, f"{source} [private key]", "pkcs12", encrypted=encrypted))
        del key  # only the public half is kept
    if len(certificates) == 1 and out:
        return [*out, _from_cert(certificates[0], f"{source} [certificate]", "pkcs12")]
    out += _numbered(certificates, source, "pkcs12")
    if not out:
        raise UnusableInputError(f"{source}: the PKCS#12 file holds no key and no certificate")
    return out


def _numbered(certificates: list[x509.Certificate], source: str, container: str) -> list[Artefact]:
    total = len(certificates)
    return [
        _from_cert(cert, source if total == 1 else f"{source} [{i}/{total}]", container)
        for i, cert in enumerate(certificates, 1)
    ]


def _from_cert(cert: x509.Certificate, source: str, container: str) -> Artefact:
    try:
        artefact, notes = _parse_quietly(lambda: from_certificate(cert, source, container))
        return _noted(artefact, notes)
    except UnusableInputError as exc:
        if str(exc).startswith(source):
            raise
        raise UnusableInputError(f"{source}: {exc}") from exc
    except CRYPTO_ERRORS as exc:
        raise UnusableInputError(
            f"{source}: a certificate in the bundle cannot be read ({_reason(exc)})"
        ) from exc


def _noted(artefact: Artefact, notes: tuple[str, ...]) -> Artefact:
    """The artefact with the parser's notes added; itself when there are none (nearly always).

    dataclasses.replace costs about 10 us, paid for every certificate otherwise.
    """
    if not notes:
        return artefact
    return dataclasses.replace(artefact, repairs=artefact.repairs + notes)


_WARNINGS_LOCK = threading.Lock()


def _parse_quietly(parse: Callable[[], _T]) -> tuple[_T, tuple[str, ...]]:
    """Run a cryptography parser, turning the warnings it emits into notes for the user.

    Why: cryptography warns about certificates it still reads (a serial number that is not
    positive, as some old Windows CAs issued). That is a fact about the certificate worth
    showing, not a process warning (an error under `-W error`). catch_warnings swaps
    process-wide state, hence the lock; parsing one structure takes microseconds.
    """
    with _WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = parse()
    notes = dict.fromkeys(f"note: {_first_sentence(str(w.message))}" for w in caught)
    return result, tuple(notes)


def _first_sentence(text: str) -> str:
    end = text.find(". ")
    return text if end < 0 else text[:end]


def _reason(exc: BaseException) -> str:
    """cryptography's own words, shortened; they never contain key material."""
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
