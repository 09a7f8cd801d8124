"""What a DER structure is, read from its headers alone: kind, PKCS#7 contents, KDF cost, PSS SPKI.

Nothing here parses certificates or keys (cryptography does that, in certmatch.load.containers);
this module only walks TLV headers (read by certmatch.load.der, BER indefinite lengths
included), so it is cheap on hostile input and lets the loader name a damaged structure by
what it was meant to be and refuse costly ones early.
"""

from __future__ import annotations

import enum

from certmatch.load.der import (
    BIT_STRING,
    CONTEXT_0,
    INTEGER,
    OCTET_STRING,
    OID,
    SEQUENCE,
    DerError,
    Element,
    children,
    element,
    encoding,
    outer_children,
    signed_fields,
    value,
)

_SIGNED_DATA_OID = bytes.fromhex("2a864886f70d010702")  # 1.2.840.113549.1.7.2
_PKCS7_OID_PREFIX = bytes.fromhex("2a864886f70d0107")  # 1.2.840.113549.1.7.*
# classify() looks at most at 9 outer elements; a 10th tells "more than 9" apart.
_CLASSIFY_ELEMENTS = 10
# SignedData: version, digestAlgorithms, encapContentInfo, [0] certificates, [1] CRLs, signerInfos.
_SIGNED_DATA_FIELDS = 6


class DerKind(enum.Enum):
    CERTIFICATE = "certificate"
    CSR = "CSR"
    PKCS7 = "PKCS#7 bundle"
    PKCS7_OTHER = "PKCS#7/CMS message without certificates"
    PKCS12 = "PKCS#12 file"
    SPKI = "public key"
    RSA_PUBLIC = "RSA public key"
    PRIVATE_KEY = "private key"
    ENCRYPTED_PRIVATE_KEY = "encrypted private key"
    SIGNED_OTHER = "signed structure"  # a CRL, or a damaged certificate/CSR


def classify(der: bytes) -> DerKind | None:
    """What the outer structure looks like, or None when it is not one certmatch knows."""
    try:
        # Only the first few elements decide the kind; keeping every one of a hostile
        # structure's million tiny elements cost 200 MiB. All are still walked, so damage
        # anywhere in the outer structure still means None.
        outer = outer_children(der, keep=_CLASSIFY_ELEMENTS)
    except DerError:
        return None
    tags = [found.tag for found in outer]
    if not tags:
        return None
    if tags[0] == OID:
        oid = value(der, outer[0])
        if oid == _SIGNED_DATA_OID:
            return DerKind.PKCS7
        return DerKind.PKCS7_OTHER if oid.startswith(_PKCS7_OID_PREFIX) else None
    if tags[:3] == [SEQUENCE, SEQUENCE, BIT_STRING] and len(tags) == 3:
        return _signed_kind(der)
    if tags == [SEQUENCE, BIT_STRING]:
        return DerKind.SPKI
    if tags == [SEQUENCE, OCTET_STRING]:
        return DerKind.ENCRYPTED_PRIVATE_KEY
    if tags[0] == INTEGER:
        if len(tags) >= 2 and tags[1] == SEQUENCE and value(der, outer[0]) == b"\x03":
            return DerKind.PKCS12
        if tags == [INTEGER, INTEGER]:
            return DerKind.RSA_PUBLIC
        if len(tags) >= 3 and tags[1:3] == [SEQUENCE, OCTET_STRING]:
            return DerKind.PRIVATE_KEY  # PKCS#8
        if all(tag == INTEGER for tag in tags) and len(tags) in (6, 9):
            return DerKind.PRIVATE_KEY  # traditional DSA / RSA (PKCS#1)
        if len(tags) >= 2 and tags[1] == OCTET_STRING:
            return DerKind.PRIVATE_KEY  # SEC1 EC
    return None


def count_pkcs7_certificates(der: bytes) -> int | None:
    """Certificates in a DER PKCS#7 bundle, counted from headers; None if not countable.

    ContentInfo { contentType, [0] { SignedData { version, digestAlgorithms,
    encapContentInfo, [0] IMPLICIT certificates, ... } } }. BER indefinite lengths (Java, NSS
    and some Windows tools write them) are followed.
    """
    try:
        certificates = _pkcs7_certificate_set(der)
        # Counted, not collected: this runs before the certificate limit is applied.
        return 0 if certificates is None else _count_children(der, certificates)
    except (DerError, IndexError):
        return None


def pkcs7_certificate_elements(der: bytes) -> list[bytes] | None:
    """Each certificate's encoding in a PKCS#7 bundle (DER or BER); None when not walkable."""
    try:
        certificates = _pkcs7_certificate_set(der)
        if certificates is None:
            return []
        return [encoding(der, found) for found in children(der, certificates)]
    except (DerError, IndexError):
        return None


def _pkcs7_certificate_set(der: bytes) -> Element | None:
    """The SignedData's [0] certificates element, or None when it has none.

    Only the few leading elements that name it are kept (a hostile bundle may hold a million
    tiny ones); every element is still walked, so damage raises DerError as before.
    """
    outer = outer_children(der, keep=2)
    explicit = children(der, outer[1], keep=1)
    signed_data = children(der, explicit[0], keep=_SIGNED_DATA_FIELDS)
    for found in signed_data:
        if found.tag == CONTEXT_0:
            return found
    return None


def _count_children(der: bytes, parent: Element) -> int:
    count, pos, end = 0, parent.start, parent.end
    while pos < end:
        child_end = element(der, pos).after
        if child_end > end:
            raise DerError("an element runs past the end of the one containing it")
        count += 1
        pos = child_end
    return count


def _signed_kind(der: bytes) -> DerKind:
    try:
        # The fields of the outer SEQUENCE's first element, kept for the loader, which reads
        # the SPKI and names from them next (a second walk was a third of the DER reading).
        fields = signed_fields(der)
    except DerError:
        return DerKind.SIGNED_OTHER
    tags = [found.tag for found in fields]
    if tags and tags[0] == CONTEXT_0:
        return DerKind.CERTIFICATE
    # v1 certificate: serial, signature, issuer, validity, subject, SPKI (6 or more fields);
    # PKCS#10: version, subject, SPKI, [0] attributes.
    if len(tags) >= 6 and tags[:6] == [INTEGER] + [SEQUENCE] * 5:
        return DerKind.CERTIFICATE
    if tags[:3] == [INTEGER, SEQUENCE, SEQUENCE]:
        return DerKind.CSR
    return DerKind.SIGNED_OTHER


# Password-based key derivation a PKCS#12 file or encrypted PKCS#8 key asks for. Each OID is
# followed by its parameters: (salt, iterations, ...) for PBKDF2, PKCS#12 and PKCS#5 v1 PBE;
# (salt, N, r, p, ...) for scrypt.
_PBKDF2 = bytes.fromhex("06092a864886f70d01050c")  # 1.2.840.113549.1.5.12
_PKCS12_PBE = bytes.fromhex("060a2a864886f70d010c01")  # 1.2.840.113549.1.12.1.* (+1 byte)
_PKCS5_V1_PBE = bytes.fromhex("06092a864886f70d0105")  # 1.2.840.113549.1.5.{1,3,4,6,10,11}
_SCRYPT = bytes.fromhex("06092b06010401da47040b")  # 1.3.6.1.4.1.11591.4.11


def kdf_costs(der: bytes) -> tuple[list[int], list[int]]:
    """(iteration counts, scrypt memory in bytes) of every KDF whose parameters are readable.

    Why: a hand-made file can ask for two billion iterations (or gigabytes of scrypt memory)
    and the first decryption attempt, even the empty-password one, would run them all. The
    parameters sit in clear text (the PKCS#12 MAC, each bag's PBE parameters), so a byte
    search for the algorithm OIDs finds them without decrypting anything.
    """
    iterations: list[int] = []
    memory: list[int] = []
    for oid, skip in ((_PBKDF2, 0), (_PKCS12_PBE, 1), (_PKCS5_V1_PBE, 1)):
        for params in _params_after(der, oid, skip):
            if len(params) >= 2 and params[1].tag == INTEGER:
                iterations.append(_integer(der, params[1]))
    for params in _params_after(der, _SCRYPT, 0):
        if len(params) >= 3 and all(p.tag == INTEGER for p in params[1:3]):
            cost, block_size = _integer(der, params[1]), _integer(der, params[2])
            memory.append(128 * cost * block_size)
    mac_iterations = _pkcs12_mac_iterations(der)
    if mac_iterations is not None:
        iterations.append(mac_iterations)
    return iterations, memory


def _params_after(der: bytes, oid: bytes, skip: int) -> list[list[Element]]:
    """The children of the SEQUENCE right after each occurrence of `oid` (+ `skip` bytes)."""
    found = []
    start = der.find(oid)
    while start >= 0:
        pos = start + len(oid) + skip
        try:
            params = element(der, pos)
            if params.tag == SEQUENCE:
                found.append(children(der, params))
        except DerError:
            pass
        start = der.find(oid, start + 1)
    return found


def _pkcs12_mac_iterations(der: bytes) -> int | None:
    """PFX { version, authSafe, macData { mac, macSalt, iterations DEFAULT 1 } }."""
    try:
        fields = outer_children(der)
        if len(fields) < 3 or fields[0].tag != INTEGER or fields[2].tag != SEQUENCE:
            return None
        mac_data = children(der, fields[2])
    except DerError:
        return None
    if len(mac_data) >= 3 and mac_data[2].tag == INTEGER:
        return _integer(der, mac_data[2])
    return None


def _integer(der: bytes, element: Element) -> int:
    return int.from_bytes(value(der, element), "big", signed=True)
