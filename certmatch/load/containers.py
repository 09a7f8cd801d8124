"""Binary (DER/BER) inputs: what a structure is, decided once, and the reader for that kind.

The shape of the outer SEQUENCE says what a structure is before any parser runs, so a damaged
certificate is reported as a damaged certificate (not as "not a key") and an encrypted key or
PKCS#12 is recognised before a password is asked of it. `inspect_der` applies the bounds and
classifies; `load_der` hands the structure to the reader of its kind (certificates,
privatekeys, bundles), each of which words cryptography's errors for a person.
"""

from __future__ import annotations

from certmatch.errors import UnsupportedInputError, UnusableInputError
from certmatch.load.certificates import certificate, csr
from certmatch.load.derbounds import check_der_bounds
from certmatch.load.dershape import DerKind, classify, count_pkcs7_certificates, kdf_costs
from certmatch.load.limits import Limits, check_count, check_kdf_cost
from certmatch.model import Artefact


def inspect_der(der: bytes, source: str, limits: Limits) -> DerKind | None:
    """The bounds, before any parser runs (certificates in a bundle, then nesting and size),
    and what the structure is: None when it is not one certmatch knows."""
    kind = classify(der)
    if kind is DerKind.PKCS7:
        counted = count_pkcs7_certificates(der)
        if counted is not None:
            check_count(
                source, "certificates in the PKCS#7 bundle", counted, limits.max_certificates
            )
    check_der_bounds(source, der, limits)
    return kind


def load_der(
    der: bytes,
    source: str,
    container: str,
    password: bytes | None,
    limits: Limits,
    kind: DerKind | None,
    what: str = "certificate, CSR, key or bundle",
) -> list[Artefact]:
    """Artefacts in one DER structure of `kind` (from `inspect_der`, which must have run on it);
    `what` names what the caller expected, for messages."""
    if kind is None:
        raise UnusableInputError(
            f"{source}: this is not a readable {what}: the structure is damaged or of another "
            "kind; copy the original file again (not a retyped or OCR'd copy)"
        )
    if kind is DerKind.CERTIFICATE:
        return [certificate(der, source, container)]
    if kind is DerKind.CSR:
        return [csr(der, source, container)]
    # Bundles and keys are read by modules imported when one turns up: a certificate and a
    # CSR, the usual pair, need neither.
    if kind is DerKind.PKCS7:
        from certmatch.load.bundles import pkcs7_bundle

        return pkcs7_bundle(der, source, limits)
    if kind in (DerKind.PKCS12, DerKind.ENCRYPTED_PRIVATE_KEY):
        check_kdf_cost(source, *kdf_costs(der), limits)
    if kind is DerKind.PKCS12:
        from certmatch.load.bundles import pkcs12_file

        return pkcs12_file(der, source, password, limits)
    if kind in (DerKind.SPKI, DerKind.RSA_PUBLIC):
        from certmatch.load.privatekeys import public_key

        return [public_key(der, source, container, spki=kind is DerKind.SPKI)]
    if kind in (DerKind.PRIVATE_KEY, DerKind.ENCRYPTED_PRIVATE_KEY):
        from certmatch.load.privatekeys import private_key

        encrypted = kind is DerKind.ENCRYPTED_PRIVATE_KEY
        return [private_key(der, source, container, password if encrypted else None, encrypted)]
    if kind is DerKind.PKCS7_OTHER:
        raise UnsupportedInputError(
            f"{source}: a PKCS#7/CMS message that is not a certificate bundle (signed data); "
            "ask the CA for the certificate as .cer/.crt or a .p7b bundle"
        )
    raise UnusableInputError(
        f"{source}: a signed structure that is neither a readable certificate nor a CSR "
        "(a certificate revocation list, or a damaged file)"
    )
