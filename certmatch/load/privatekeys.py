"""Private and public keys from DER or PEM: their public half, with openssl's pin.

A private key is read only to take its public half; the private key object is dropped at
once. Encrypted keys are decrypted here (certmatch.load.decrypt where cryptography cannot),
so a wrong password and a cipher certmatch cannot do get different messages.
"""

from __future__ import annotations

from certmatch import record
from certmatch.errors import EncryptedKeyError, UnsupportedInputError, UnusableInputError
from certmatch.keys import key_info
from certmatch.load.artefacts import (
    KEY_TYPES,
    algorithm_name,
    from_private_key,
    from_public_key,
)
from certmatch.load.keyspki import ec_public_key, private_key_spki
from certmatch.load.parsing import CRYPTO_ERRORS, PASSWORD_HINT, reason
from certmatch.model import Artefact, ArtefactKind


def private_key(
    der: bytes, source: str, container: str, password: bytes | None, encrypted: bool
) -> Artefact:
    """The public half of a DER private key (PKCS#8, encrypted PKCS#8, PKCS#1, SEC1, DSA)."""
    if encrypted:
        if password is None:
            raise EncryptedKeyError(
                f"{source}: the private key is encrypted and no password was given; {PASSWORD_HINT}"
            )
        from certmatch.load.decrypt import decrypt_pkcs8  # only for encrypted keys

        plain = decrypt_pkcs8(der, password, source)
        if plain is None:  # a scheme cryptography decrypts itself
            return _from_der(der, source, container, password)
        return _from_der(plain, source, container, None, encrypted=True)
    return _from_der(der, source, container, None)


def legacy_encrypted_key(
    body: bytes, dek_info: str, source: str, password: bytes | None
) -> Artefact:
    """An OpenSSL `Proc-Type: 4,ENCRYPTED` PEM key (the form `openssl rsa -aes256` writes).

    `body` is the block's decoded base64 (the ciphertext), `dek_info` its "CIPHER,IV" line.
    """
    if password is None:
        raise EncryptedKeyError(
            f"{source}: the private key is encrypted (Proc-Type: 4,ENCRYPTED) and no password "
            f"was given; {PASSWORD_HINT}"
        )
    from certmatch.load.decrypt import decrypt_legacy_pem, wrong_password

    plain = decrypt_legacy_pem(body, dek_info, password, source)
    try:
        return _from_der(plain, source, "pem", None, encrypted=True)
    except UnsupportedInputError:
        raise
    except UnusableInputError as exc:
        # Valid padding and a SEQUENCE by chance (about 1 in 65 000): still the password.
        raise wrong_password(source) from exc


def public_key(der: bytes, source: str, container: str, spki: bool) -> Artefact:
    """A DER SubjectPublicKeyInfo (`spki`) or PKCS#1 RSAPublicKey."""
    from cryptography.hazmat.primitives import serialization  # on first use (issue 18)

    try:
        key = serialization.load_der_public_key(der)  # SPKI or PKCS#1
    except CRYPTO_ERRORS as exc:
        raise _unreadable_key(source, "public", exc, der if spki else None) from exc
    return from_public_key(key, source, container, der if spki else None)


def _from_der(
    der: bytes,
    source: str,
    container: str,
    password: bytes | None,
    encrypted: bool | None = None,
) -> Artefact:
    from cryptography.hazmat.primitives import serialization  # on first use (issue 18)

    was_encrypted = password is not None if encrypted is None else encrypted
    try:
        # Only the public half is used, never a signature, so cryptography's RSA key check
        # (primality tests of p and q: ~27 ms a key, 110 ms for RSA 3072) buys nothing here;
        # `openssl rsa -noout -modulus` does not check the key either.
        key = serialization.load_der_private_key(der, password, unsafe_skip_rsa_key_validation=True)
    except CRYPTO_ERRORS as exc:
        if password is not None:
            from certmatch.load.decrypt import wrong_password

            raise wrong_password(source) from exc
        public = ec_public_key(der)  # a short EC scalar (P-521 in 65 bytes)
        if public is None:
            raise _unreadable_key(source, "private", exc, None) from exc
        artefact = from_public_key(public, source, container, private_key_spki(der))
        return record.replace(artefact, kind=ArtefactKind.PRIVATE_KEY, encrypted=was_encrypted)
    artefact = from_private_key(key, source, container, encrypted=was_encrypted)
    del key  # only the public half is kept
    return with_spki(artefact, private_key_spki(der) if password is None else None)


def with_spki(artefact: Artefact, spki: bytes | None) -> Artefact:
    """Re-key a private key's artefact with the SPKI `openssl pkey -pubout` prints."""
    from cryptography.hazmat.primitives import serialization  # on first use (issue 18)

    if spki is None:
        return artefact
    public = serialization.load_pem_public_key(artefact.public_pem.encode("ascii"))
    return record.replace(artefact, key=key_info(public, spki))


def _unreadable_key(
    source: str, which: str, exc: BaseException, spki: bytes | None
) -> UnusableInputError:
    text = str(exc)
    if isinstance(exc, UnsupportedInputError) or "nsupported" in text or "nknown" in text:
        what = algorithm_name(spki) if spki is not None else reason(exc)
        return UnsupportedInputError(
            f"{source}: the {which} key is of a type certmatch does not read ({what}); {KEY_TYPES}"
        )
    return UnusableInputError(
        f"{source}: the {which} key cannot be read: it is damaged or of an unsupported "
        f"type ({reason(exc)})"
    )
