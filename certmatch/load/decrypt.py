"""Decrypting private keys as openssl does where cryptography's loaders stop short.

Two forms: the legacy PEM encryption (`Proc-Type: 4,ENCRYPTED` + `DEK-Info`, what `openssl rsa
-aes256|-des3|-des` writes), whose key is openssl's EVP_BytesToKey (MD5, one round, the IV's
first 8 bytes as salt); and PKCS#8 PBES2 (RFC 8018) with PBKDF2 and a cipher cryptography's
PKCS#8 loader does not take (DES-CBC, which openssl reads with its legacy provider). The
ciphers are cryptography's own; only the key derivation and the padding check are here.

Why both by hand rather than through cryptography first: cryptography answers every cipher it
does not know with the same ValueError as a wrong password, and the person must be told which
of the two it is. A cipher neither can do is named as such (UnsupportedInputError).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from cryptography.hazmat.decrepit.ciphers.algorithms import Camellia, TripleDES
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm, Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from certmatch.errors import EncryptedKeyError, UnsupportedInputError
from certmatch.load.der import (
    INTEGER,
    OCTET_STRING,
    OID,
    SEQUENCE,
    DerError,
    Element,
    children,
    oid_string,
    outer_children,
    value,
)
from certmatch.load.parsing import PASSWORD_HINT

# A cipher: key length in bytes and how to build it from the key.
_Cipher = tuple[int, Callable[[bytes], BlockCipherAlgorithm]]


def _des(key: bytes) -> BlockCipherAlgorithm:
    # Single DES is 3DES with one key three times (K1 = K2 = K3), which TripleDES takes.
    return TripleDES(key * 3)


# DEK-Info names, as openssl writes them.
_LEGACY_CIPHERS: dict[str, _Cipher] = {
    "AES-128-CBC": (16, algorithms.AES),
    "AES-192-CBC": (24, algorithms.AES),
    "AES-256-CBC": (32, algorithms.AES),
    "DES-EDE3-CBC": (24, TripleDES),
    "DES-EDE-CBC": (16, lambda key: TripleDES(key + key[:8])),
    "DES-CBC": (8, _des),
    "CAMELLIA-128-CBC": (16, Camellia),
    "CAMELLIA-192-CBC": (24, Camellia),
    "CAMELLIA-256-CBC": (32, Camellia),
}

# PBES2 encryption schemes by OID (content octets' dotted form).
_PBES2_CIPHERS: dict[str, tuple[str, _Cipher]] = {
    "1.3.14.3.2.7": ("DES-CBC", (8, _des)),
    "1.2.840.113549.3.7": ("DES-EDE3-CBC", (24, TripleDES)),
    "2.16.840.1.101.3.4.1.2": ("AES-128-CBC", (16, algorithms.AES)),
    "2.16.840.1.101.3.4.1.22": ("AES-192-CBC", (24, algorithms.AES)),
    "2.16.840.1.101.3.4.1.42": ("AES-256-CBC", (32, algorithms.AES)),
}
_PRFS: dict[str, hashes.HashAlgorithm] = {
    "1.2.840.113549.2.7": hashes.SHA1(),
    "1.2.840.113549.2.8": hashes.SHA224(),
    "1.2.840.113549.2.9": hashes.SHA256(),
    "1.2.840.113549.2.10": hashes.SHA384(),
    "1.2.840.113549.2.11": hashes.SHA512(),
}
_PBES2 = "1.2.840.113549.1.5.13"
_PBKDF2 = "1.2.840.113549.1.5.12"
# What cryptography's PKCS#8 loader decrypts besides PBES2 (its failure there is the password).
_CRYPTOGRAPHY_SCHEMES = {
    "1.2.840.113549.1.12.1.3": "pbeWithSHAAnd3-KeyTripleDES-CBC",
    "1.2.840.113549.1.12.1.6": "pbeWithSHAAnd40BitRC2-CBC",
    "1.2.840.113549.1.5.3": "pbeWithMD5AndDES-CBC",
}
_SCHEME_NAMES = {
    "1.2.840.113549.1.12.1.1": "pbeWithSHAAnd128BitRC4",
    "1.2.840.113549.1.12.1.2": "pbeWithSHAAnd40BitRC4",
    "1.2.840.113549.1.12.1.4": "pbeWithSHAAnd2-KeyTripleDES-CBC",
    "1.2.840.113549.1.12.1.5": "pbeWithSHAAnd128BitRC2-CBC",
    "1.2.840.113549.1.5.10": "pbeWithSHA1AndDES-CBC",
    "1.2.840.113549.1.5.11": "pbeWithSHA1AndRC2-CBC",
    "1.2.840.113549.1.5.6": "pbeWithMD5AndRC2-CBC",
}
_CONVERT = (
    "convert the key to a cipher certmatch reads on the machine that has it: `openssl pkcs8 "
    "-topk8 -v2 aes-256-cbc -in KEY -out KEY.p8` (add `-provider legacy -provider default` "
    "if openssl needs it), or compare with `openssl rsa -noout -modulus -in KEY | openssl md5`"
)


def decrypt_legacy_pem(ciphertext: bytes, dek_info: str, password: bytes, source: str) -> bytes:
    """The DER inside a `Proc-Type: 4,ENCRYPTED` PEM body (`dek_info` is "CIPHER,IV-HEX")."""
    name, _, iv_hex = dek_info.partition(",")
    cipher = _LEGACY_CIPHERS.get(name.upper())
    if cipher is None:
        raise UnsupportedInputError(
            f"{source}: the private key is encrypted with {name}, which certmatch cannot "
            f"decrypt (it reads {', '.join(_LEGACY_CIPHERS)}); {_CONVERT}"
        )
    try:
        iv = bytes.fromhex(iv_hex.strip())
    except ValueError:
        iv = b""
    key_length, build = cipher
    if len(iv) < 8:
        raise EncryptedKeyError(
            f"{source}: the DEK-Info line's IV is damaged ({iv_hex!r}); copy the key file again"
        )
    key = _bytes_to_key(password, iv[:8], key_length)
    return _cbc_decrypt(build(key), iv, ciphertext, source)


def decrypt_pkcs8(der: bytes, password: bytes, source: str) -> bytes | None:
    """The PKCS#8 PrivateKeyInfo inside an EncryptedPrivateKeyInfo that cryptography refused.

    None when the scheme is one cryptography decrypts (so its refusal meant a wrong password or
    damage); UnsupportedInputError for a scheme neither can do; EncryptedKeyError when the
    password is wrong.
    """
    try:
        fields = outer_children(der)
        algorithm = children(der, fields[0])
        scheme = _oid(der, algorithm[0])
        if scheme != _PBES2:
            if scheme in _CRYPTOGRAPHY_SCHEMES:
                return None
            name = _SCHEME_NAMES.get(scheme, f"the scheme {scheme}")
            raise UnsupportedInputError(
                f"{source}: the private key is encrypted with {name}, which certmatch cannot "
                f"decrypt; {_CONVERT}"
            )
        kdf, encryption = children(der, algorithm[1])
        kdf_fields = children(der, kdf)
        cipher_fields = children(der, encryption)
        kdf_oid, cipher_oid = _oid(der, kdf_fields[0]), _oid(der, cipher_fields[0])
        if kdf_oid != _PBKDF2:
            return None  # scrypt: cryptography's
        known = _PBES2_CIPHERS.get(cipher_oid)
        if known is None:
            raise UnsupportedInputError(
                f"{source}: the private key is encrypted (PBES2) with the cipher {cipher_oid}, "
                f"which certmatch cannot decrypt; {_CONVERT}"
            )
        params = children(der, kdf_fields[1])
        salt, iterations = value(der, params[0]), _int(der, params[1])
        prf: hashes.HashAlgorithm = hashes.SHA1()
        for extra in params[2:]:
            if extra.tag == SEQUENCE:
                prf_oid = _oid(der, children(der, extra)[0])
                if prf_oid not in _PRFS:
                    raise UnsupportedInputError(
                        f"{source}: the private key's password hashing uses {prf_oid}, which "
                        f"certmatch cannot do; {_CONVERT}"
                    )
                prf = _PRFS[prf_oid]
        iv = value(der, cipher_fields[1])
        if fields[1].tag != OCTET_STRING or cipher_fields[1].tag != OCTET_STRING:
            raise DerError("unexpected PBES2 structure")
        ciphertext = value(der, fields[1])
    except (DerError, IndexError, ValueError) as exc:
        raise EncryptedKeyError(
            f"{source}: the encrypted private key's parameters cannot be read ({exc}); copy "
            "the key file again"
        ) from exc
    _, (key_length, build) = known
    key = PBKDF2HMAC(prf, key_length, salt, iterations).derive(password)
    return _cbc_decrypt(build(key), iv, ciphertext, source)


def wrong_password(source: str) -> EncryptedKeyError:
    return EncryptedKeyError(
        f"{source}: the password does not decrypt this private key (or the key is damaged); "
        f"check the password; {PASSWORD_HINT}"
    )


def _bytes_to_key(password: bytes, salt: bytes, length: int) -> bytes:
    """openssl's EVP_BytesToKey with MD5 and one iteration (what PEM encryption uses)."""
    out = b""
    block = b""
    while len(out) < length:
        block = hashlib.md5(block + password + salt, usedforsecurity=False).digest()
        out += block
    return out[:length]


def _cbc_decrypt(cipher: BlockCipherAlgorithm, iv: bytes, data: bytes, source: str) -> bytes:
    size = cipher.block_size // 8
    if len(iv) != size or not data or len(data) % size:
        raise wrong_password(source)
    decryptor = Cipher(cipher, modes.CBC(iv)).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    # A wrong password leaves random bytes: the padding (and then the DER) will not hold.
    if not 1 <= pad <= size or plain[-pad:] != bytes([pad]) * pad or plain[:1] != b"\x30":
        raise wrong_password(source)
    return plain[:-pad]


def _oid(der: bytes, found: Element) -> str:
    if found.tag != OID:
        raise DerError("an OID was expected")
    return oid_string(value(der, found))


def _int(der: bytes, found: Element) -> int:
    if found.tag != INTEGER:
        raise DerError("an INTEGER was expected")
    return int.from_bytes(value(der, found), "big", signed=True)
