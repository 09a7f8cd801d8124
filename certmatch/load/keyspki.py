"""A private key file's public half as openssl derives it, where cryptography's would differ.

`openssl pkey -in KEY -pubout` keeps what the key file says: an RSA-PSS key's PSS
AlgorithmIdentifier, an EC key's parameters as written (named curve or explicit) and its
public point as written (compressed or not). cryptography re-encodes every key canonically,
so for these the SPKI (and with it the pin) is rebuilt here from the file's own fields. An EC
scalar written shorter than its curve's size (a P-521 scalar in 65 bytes), which cryptography
refuses, is read here too.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from certmatch.keys import RSA_PSS_OID_DER
from certmatch.load.der import (
    BIT_STRING,
    INTEGER,
    OCTET_STRING,
    OID,
    SEQUENCE,
    DerError,
    Element,
    children,
    encoding,
    oid_string,
    outer_children,
    tlv,
    value,
)

_EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")  # id-ecPublicKey 1.2.840.10045.2.1
_CONTEXT_0, _CONTEXT_1 = 0xA0, 0xA1


def private_key_spki(der: bytes) -> bytes | None:
    """The SPKI openssl writes for this (unencrypted) private key, when it is not canonical."""
    try:
        return _pss_spki(der) or _ec_spki(der)
    except (DerError, IndexError):
        return None


def ec_public_key(der: bytes) -> ec.EllipticCurvePublicKey | None:
    """The public key of an EC private key whose scalar cryptography refuses (too short)."""
    try:
        parts = _ec_parts(der)
        if parts is None:
            return None
        inner, fields, algorithm_params = parts
        params = algorithm_params or _tagged(inner, fields, _CONTEXT_0)
        if params is None or params[0] != OID:
            return None
        curve = ec.get_curve_for_oid(x509.ObjectIdentifier(oid_string(params[2:])))()
        scalar = int.from_bytes(value(inner, fields[1]), "big")
        return ec.derive_private_key(scalar, curve).public_key()
    except (DerError, IndexError, ValueError, LookupError):
        return None


def _pss_spki(der: bytes) -> bytes | None:
    """The rsassaPss SPKI for a PKCS#8 RSA-PSS key: its AlgorithmIdentifier + RSAPublicKey."""
    fields = outer_children(der)
    if len(fields) < 3 or fields[1].tag != SEQUENCE:
        return None
    algorithm = tlv(SEQUENCE, value(der, fields[1]))
    if RSA_PSS_OID_DER not in algorithm[:16]:
        return None
    inner = value(der, fields[2])
    rsa_key = outer_children(inner)  # RSAPrivateKey: version, n, e, ...
    n, e = value(inner, rsa_key[1]), value(inner, rsa_key[2])
    public = tlv(SEQUENCE, tlv(INTEGER, n) + tlv(INTEGER, e))
    return tlv(SEQUENCE, algorithm + tlv(BIT_STRING, b"\x00" + public))


def _ec_spki(der: bytes) -> bytes | None:
    """id-ecPublicKey with the file's parameters + the file's public point, when both are there."""
    parts = _ec_parts(der)
    if parts is None:
        return None
    inner, fields, algorithm_params = parts
    params = algorithm_params or _tagged(inner, fields, _CONTEXT_0)
    point = _tagged(inner, fields, _CONTEXT_1)
    if params is None or point is None or point[0] != BIT_STRING:
        return None
    return tlv(SEQUENCE, tlv(SEQUENCE, _EC_PUBLIC_KEY + params) + point)


def _ec_parts(der: bytes) -> tuple[bytes, list[Element], bytes | None] | None:
    """(ECPrivateKey DER, its fields, the PKCS#8 AlgorithmIdentifier's parameters TLV or None).

    SEC1 (`EC PRIVATE KEY`) is ECPrivateKey itself; PKCS#8 wraps it in an OCTET STRING after an
    AlgorithmIdentifier { id-ecPublicKey, parameters }.
    """
    fields = outer_children(der)
    if len(fields) >= 3 and fields[1].tag == SEQUENCE and fields[2].tag == OCTET_STRING:
        algorithm = children(der, fields[1])
        if encoding(der, algorithm[0]) != _EC_PUBLIC_KEY:
            return None
        params = encoding(der, algorithm[1]) if len(algorithm) > 1 else None
        inner = value(der, fields[2])
        return inner, outer_children(inner), params
    if len(fields) >= 2 and fields[0].tag == INTEGER and fields[1].tag == OCTET_STRING:
        return der, fields, None
    return None


def _tagged(der: bytes, fields: list[Element], tag: int) -> bytes | None:
    """The TLV inside the explicit [0]/[1] field of ECPrivateKey, if present."""
    for found in fields:
        if found.tag == tag:
            return encoding(der, children(der, found)[0])
    return None
