"""The one definition of "same key": KeyInfo from a public key, with openssl-exact hashes.

`modulus_md5` reproduces `openssl x509|req|rsa -noout -modulus | openssl md5`: openssl prints
`Modulus=` + the modulus as uppercase hex without leading zeros (BN_print) + a newline, and md5
hashes that whole line. `spki_sha256` is openssl's pin: the SHA-256 of the SPKI DER that
`openssl x509|req -pubkey | openssl pkey -pubin -outform DER` (or `openssl pkey -pubout`)
writes, which is openssl's re-encoding of the key (see `openssl_spki`).
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

from certmatch.model import KeyInfo

_KNOWN = (
    rsa.RSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    x25519.X25519PublicKey,
    x448.X448PublicKey,
    dsa.DSAPublicKey,
)
# Key types whose SPKI openssl writes the same whatever the file held (no parameters that
# could be spelt differently): the pin is cryptography's canonical encoding.
_CANONICAL = (
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    x25519.X25519PublicKey,
    x448.X448PublicKey,
)

RSA_PSS_OID_DER = bytes.fromhex("06092a864886f70d01010a")  # 1.2.840.113549.1.1.10


def openssl_modulus_line(modulus: int) -> str:
    """The exact line `openssl ... -noout -modulus` prints, newline included."""
    return f"Modulus={modulus:X}\n"


def modulus_md5(modulus: int) -> str:
    return hashlib.md5(
        openssl_modulus_line(modulus).encode("ascii"), usedforsecurity=False
    ).hexdigest()


def openssl_spki(public_key: object, stored: bytes | None, canonical: bytes) -> bytes:
    """The SPKI DER openssl's pin hashes, given the artefact's own SPKI (`stored`) if any.

    openssl re-encodes the key it parsed. For rsaEncryption that is the canonical form (an
    SPKI stored without the NULL parameter, or with a non-minimal length, gets them fixed),
    and so for Ed25519/Ed448/X25519/X448. An EC key keeps its parameters as written (named
    or explicit) and its point as written (compressed or not), a DSA key its parameters, so
    the stored SPKI is already openssl's. RSA-PSS keeps its own (DESIGN.md): the stored SPKI,
    whose PSS parameters re-encoding the parsed key would lose.
    """
    if stored is None:
        return canonical
    if isinstance(public_key, rsa.RSAPublicKey):
        return stored if RSA_PSS_OID_DER in stored[:32] else canonical
    if isinstance(public_key, _CANONICAL):
        return canonical
    return stored


def key_info(public_key: object, spki_der: bytes | None = None) -> KeyInfo:
    """KeyInfo for a public key; `spki_der` is the artefact's own SPKI when it has one.

    Raises TypeError for a key type certmatch does not know (the loader turns that into an
    UnsupportedInputError naming the type).
    """
    canonical = _canonical_spki(public_key)
    spki = openssl_spki(public_key, spki_der, canonical)
    spki_sha256 = hashlib.sha256(spki).hexdigest()
    if isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        algorithm = "RSA-PSS" if RSA_PSS_OID_DER in spki[:32] else "RSA"
        return KeyInfo(
            algorithm=algorithm,
            size=public_key.key_size,
            curve=None,
            modulus_md5=modulus_md5(numbers.n),
            spki_sha256=spki_sha256,
            # RSA identity is (n, e) so a PSS certificate matches an rsaEncryption CSR.
            match_id=f"rsa:{numbers.n:x}:{numbers.e:x}",
        )
    canonical_id = "spki:" + hashlib.sha256(canonical).hexdigest()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return KeyInfo(
            "EC", public_key.key_size, public_key.curve.name, None, spki_sha256, canonical_id
        )
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return KeyInfo("Ed25519", 256, None, None, spki_sha256, canonical_id)
    if isinstance(public_key, ed448.Ed448PublicKey):
        return KeyInfo("Ed448", 456, None, None, spki_sha256, canonical_id)
    if isinstance(public_key, dsa.DSAPublicKey):
        return KeyInfo("DSA", public_key.key_size, None, None, spki_sha256, canonical_id)
    if isinstance(public_key, x25519.X25519PublicKey):
        return KeyInfo("X25519", 256, None, None, spki_sha256, canonical_id)
    if isinstance(public_key, x448.X448PublicKey):
        return KeyInfo("X448", 448, None, None, spki_sha256, canonical_id)
    raise TypeError(f"the key is of a type certmatch does not read ({key_type_name(public_key)})")


def key_type_name(public_key: object) -> str:
    """A key type as people name it: MLDSA65PublicKey -> ML-DSA-65."""
    name = type(public_key).__name__.removesuffix("PublicKey").removesuffix("PrivateKey")
    for family in ("MLDSA", "MLKEM", "SLHDSA"):
        if name.startswith(family):
            return f"{family[:2]}-{family[2:]}-{name[len(family) :]}"
    return name


def hash_line_key(md5_hex: str) -> KeyInfo:
    """KeyInfo for a pasted `MD5(stdin)= ...` line: all we know is the modulus md5."""
    return KeyInfo("RSA", None, None, md5_hex.lower(), None, None)


def _canonical_spki(public_key: object) -> bytes:
    if not isinstance(public_key, _KNOWN):
        raise TypeError(
            f"the key is of a type certmatch does not read ({key_type_name(public_key)})"
        )
    if isinstance(public_key, rsa.RSAPublicKey):
        return _rsa_spki(public_key)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        spki = _named_curve_spki(public_key)
        if spki is not None:
            return spki
    # Imported here: the package loads its SSH submodule and ciphers (about 12 ms), which a
    # check of an RSA or P-256/P-384/P-521 CSR and certificate never needs (issue 18).
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# The encodings below are byte for byte what cryptography writes (tests/test_keys.py compares).
_RSA_ALGORITHM = bytes.fromhex("300d06092a864886f70d0101010500")  # rsaEncryption, NULL
# id-ecPublicKey (RFC 5480) and the named curves most certificates use, as DER OIDs.
_EC_PUBLIC_KEY_OID = bytes.fromhex("06072a8648ce3d0201")
_CURVE_OIDS = {
    "secp256r1": bytes.fromhex("06082a8648ce3d030107"),
    "secp384r1": bytes.fromhex("06052b81040022"),
    "secp521r1": bytes.fromhex("06052b81040023"),
}


def _rsa_spki(public_key: rsa.RSAPublicKey) -> bytes:
    """RFC 8017's RSAPublicKey in an rsaEncryption SPKI (with its NULL parameter)."""
    numbers = public_key.public_numbers()
    key = _der(0x30, _der_integer(numbers.n) + _der_integer(numbers.e))
    return _der(0x30, _RSA_ALGORITHM + _der(0x03, b"\x00" + key))


def _named_curve_spki(public_key: ec.EllipticCurvePublicKey) -> bytes | None:
    """RFC 5480's SPKI with the uncompressed point; None for curves not listed above."""
    oid = _CURVE_OIDS.get(public_key.curve.name)
    if oid is None:
        return None
    numbers = public_key.public_numbers()
    size = (public_key.curve.key_size + 7) // 8
    point = b"\x04" + numbers.x.to_bytes(size, "big") + numbers.y.to_bytes(size, "big")
    algorithm = _der(0x30, _EC_PUBLIC_KEY_OID + oid)
    return _der(0x30, algorithm + _der(0x03, b"\x00" + point))


def _der_integer(number: int) -> bytes:
    """A non-negative INTEGER: minimal big-endian, a zero byte first when the top bit is set."""
    return _der(0x02, number.to_bytes(number.bit_length() // 8 + 1, "big"))


def _der(tag: int, content: bytes) -> bytes:
    """One DER element (definite length, short or long form)."""
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(octets))) + octets + content


def same_key(a: KeyInfo, b: KeyInfo) -> bool:
    """True when two artefacts carry the same public key (hash lines compare modulus md5)."""
    if a.match_id is not None and b.match_id is not None:
        return a.match_id == b.match_id
    return a.modulus_md5 is not None and a.modulus_md5 == b.modulus_md5
