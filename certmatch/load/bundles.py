"""PKCS#7 certificate bundles and PKCS#12 files (DER or BER) to artefacts.

A bundle's certificates are taken from the SignedData's certificate set by the header reader
(so file order is kept and BER indefinite lengths are followed), each read by
certmatch.load.certificates; PKCS#12 is opened by cryptography, with or without a password.
"""

from __future__ import annotations

import functools

from certmatch.errors import EncryptedKeyError, UnsupportedInputError, UnusableInputError
from certmatch.load.artefacts import from_private_key
from certmatch.load.certificates import certificate, from_parsed, numbered
from certmatch.load.dershape import pkcs7_certificate_elements
from certmatch.load.limits import Limits, check_count
from certmatch.load.parsing import CRYPTO_ERRORS, PASSWORD_HINT, parse_quietly, reason
from certmatch.model import Artefact


def pkcs7_bundle(der: bytes, source: str, limits: Limits) -> list[Artefact]:
    """The bundle's certificates in file order.

    Why not pkcs7.load_der_pkcs7_certificates first: `openssl crl2pkcs7` and AD CS write the
    certificate SET in file order rather than DER's sorted order, which cryptography accepts
    only with a warning, and the file order is itself worth reporting. A bundle the header
    reader cannot walk still goes through cryptography.
    """
    elements = pkcs7_certificate_elements(der)
    if elements == []:
        raise UnsupportedInputError(f"{source}: the PKCS#7 bundle holds no certificates")
    if elements is not None:
        check_count(
            source, "certificates in the PKCS#7 bundle", len(elements), limits.max_certificates
        )
        total = len(elements)
        return [
            certificate(element, source if total == 1 else f"{source} [{i}/{total}]", "pkcs7")
            for i, element in enumerate(elements, 1)
        ]
    from cryptography.hazmat.primitives.serialization import pkcs7  # on first use (issue 18)

    try:
        # Its warning (DER expected, BER read) says nothing about the certificates.
        certificates, _ = parse_quietly(lambda: pkcs7.load_der_pkcs7_certificates(der))
    except CRYPTO_ERRORS as exc:
        raise UnusableInputError(
            f"{source}: the PKCS#7 bundle is damaged and cannot be read ({reason(exc)}); "
            "download it from the CA again"
        ) from exc
    check_count(
        source, "certificates in the PKCS#7 bundle", len(certificates), limits.max_certificates
    )
    return numbered(certificates, source, "pkcs7")


def pkcs12_file(der: bytes, source: str, password: bytes | None, limits: Limits) -> list[Artefact]:
    from cryptography.hazmat.primitives.serialization import pkcs12  # on first use (issue 18)

    attempts = [password] if password is None else [password, None]
    last: Exception | None = None
    for attempt in attempts:
        try:
            (key, cert, extra), _ = parse_quietly(
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
    certificates = ([cert] if cert is not None else []) + list(extra)
    check_count(
        source, "certificates in the PKCS#12 file", len(certificates), limits.max_certificates
    )
    out: list[Artefact] = []
    if key is not None:
        out.append(from_private_key(key, f"{source} [private key]", "pkcs12", encrypted=encrypted))
        del key  # only the public half is kept
    if len(certificates) == 1 and out:
        return [*out, from_parsed(certificates[0], f"{source} [certificate]", "pkcs12")]
    out += numbered(certificates, source, "pkcs12")
    if not out:
        raise UnsupportedInputError(f"{source}: the PKCS#12 file holds no key and no certificate")
    return out
