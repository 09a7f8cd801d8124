"""The one DER/BER header reader: every TLV certmatch looks at is read by `read_header` here.

The shape walk (derbounds), the classifier (dershape), the containers and the SPKI lifter all
go through it, so "what is a valid header" (long-form lengths, BER indefinite lengths, high
tag numbers) is decided once. Elements are plain tuples for speed: the bounds walk reads every
header of a hostile 100 000-element structure.
"""

from __future__ import annotations

from typing import NamedTuple

SEQUENCE, SET, INTEGER, BIT_STRING, OCTET_STRING, NULL, OID = (
    0x30,
    0x31,
    0x02,
    0x03,
    0x04,
    0x05,
    0x06,
)
CONTEXT_0 = 0xA0
_END_OF_CONTENTS = b"\x00\x00"


class Element(NamedTuple):
    """One TLV. For a definite length the value ends where the TLV does; for a BER indefinite
    length the value ends at the end-of-contents marker and the TLV two bytes later."""

    tag: int  # the first tag byte
    offset: int  # where the header starts
    start: int  # where the value starts
    end: int  # where the value ends
    after: int  # where the TLV ends (the next element starts)


class DerError(Exception):
    """A header that cannot be read; the message says why, in words for a person."""


def read_header(der: bytes, pos: int) -> tuple[int, int, int | None]:
    """(first tag byte, value start, length or None for an indefinite length) of the TLV at pos.

    A high tag number's continuation bytes are skipped (the first byte still says class and
    constructed). Raises DerError when the header is cut short or its length runs past the data.
    """
    size = len(der)
    if pos + 2 > size:
        raise DerError("the data ends in the middle of an element")
    tag = der[pos]
    pos += 1
    if tag & 0x1F == 0x1F:  # high tag number form
        while pos < size and der[pos] & 0x80:
            pos += 1
        pos += 1
        if pos >= size:
            raise DerError("the data ends in the middle of an element")
    first = der[pos]
    pos += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        if not tag & 0x20:
            raise DerError("a primitive element uses an indefinite length")
        return tag, pos, None
    else:
        count = first & 0x7F
        if count > 4 or pos + count > size:
            raise DerError("an element claims an impossible length")
        length = int.from_bytes(der[pos : pos + count], "big")
        pos += count
    if pos + length > size:
        raise DerError(
            f"an element claims {length} bytes but only {size - pos} follow "
            "(the data is truncated or a length byte is damaged)"
        )
    return tag, pos, length


def short_header(der: bytes, pos: int) -> tuple[int, int, int] | None:
    """(tag, value start, value end) of the TLV at pos when its header is the common kind (low
    tag number, a length of at most 65535 in at most two bytes) and it fits in the data; None
    for anything else, which `read_header` then reads (and words the error of).

    Why: nearly every header is of this kind, and the walks over a structure (bounds, shape,
    fields) spent a third of their time in the general reader's call.
    """
    if pos + 1 >= len(der):
        return None
    tag = der[pos]
    first = der[pos + 1]
    if tag & 0x1F == 0x1F:
        return None
    if first < 0x80:
        start, length = pos + 2, first
    elif first == 0x81 and pos + 2 < len(der):
        start, length = pos + 3, der[pos + 2]
    elif first == 0x82 and pos + 3 < len(der):
        start, length = pos + 4, (der[pos + 2] << 8) | der[pos + 3]
    else:
        return None
    end = start + length
    return (tag, start, end) if end <= len(der) else None


def element(der: bytes, pos: int) -> Element:
    """The TLV at pos; a BER indefinite length is followed to its end-of-contents marker."""
    short = short_header(der, pos)
    if short is not None:
        tag, start, end = short
        return Element(tag, pos, start, end, end)
    tag, start, length = read_header(der, pos)
    if length is not None:
        return Element(tag, pos, start, start + length, start + length)
    end = _end_of_contents(der, start)
    return Element(tag, pos, start, end, end + 2)


def _end_of_contents(der: bytes, pos: int) -> int:
    """Offset of the end-of-contents marker closing the indefinite value starting at pos."""
    depth = 1
    size = len(der)
    while pos < size:
        if der[pos : pos + 2] == _END_OF_CONTENTS:
            depth -= 1
            if depth == 0:
                return pos
            pos += 2
            continue
        _, start, length = read_header(der, pos)
        if length is None:
            depth += 1
            pos = start
        else:
            pos = start + length
    raise DerError("an element with an indefinite length has no end-of-contents marker")


def children(der: bytes, parent: Element, keep: int | None = None) -> list[Element]:
    """The elements inside `parent` (the first `keep` of them; all are walked and checked)."""
    pos, end = parent.start, parent.end
    out: list[Element] = []
    while pos < end:
        child = element(der, pos)
        if child.after > end:
            raise DerError("an element runs past the end of the one containing it")
        if keep is None or len(out) < keep:
            out.append(child)
        pos = child.after
    return out


def outer_children(der: bytes, keep: int | None = None) -> list[Element]:
    """The elements inside the TLV at offset 0."""
    return children(der, element(der, 0), keep)


def value(der: bytes, found: Element) -> bytes:
    return der[found.start : found.end]


def encoding(der: bytes, found: Element) -> bytes:
    """The whole TLV, header included."""
    return der[found.offset : found.after]


def first_element(der: bytes) -> bytes:
    """The first TLV of `der` (a certificate followed by openssl's trust attributes, or by
    padding); `der` itself when no header can be read there."""
    try:
        return der[: element(der, 0).after]
    except DerError:
        return der


def oid_string(encoded: bytes) -> str:
    """The dotted form of an OID's content octets ("1.2.840.113549.1.1.1")."""
    parts: list[int] = []
    number = 0
    for byte in encoded:
        number = number << 7 | byte & 0x7F
        if not byte & 0x80:
            parts.append(number)
            number = 0
    if not parts or number:
        raise DerError("an OID is empty or cut short")
    first = min(parts[0] // 40, 2)
    return ".".join(map(str, [first, parts[0] - 40 * first, *parts[1:]]))


def tlv(tag: int, content: bytes) -> bytes:
    """A DER TLV: the one encoder for the structures certmatch rebuilds."""
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded + content


def certificate_spki(der: bytes) -> bytes:
    """SPKI TLV of an X.509 certificate: TBSCertificate's 7th field (6th without version)."""
    fields = signed_fields(der)
    if fields and fields[0].tag == CONTEXT_0:  # explicit [0] version
        fields = fields[1:]
    # serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    return encoding(der, fields[5])


def certificate_names(der: bytes) -> tuple[bytes, bytes]:
    """(issuer, subject) Name TLVs of an X.509 certificate, as the bytes they were parsed from."""
    fields = signed_fields(der)
    if fields and fields[0].tag == CONTEXT_0:
        fields = fields[1:]
    return encoding(der, fields[2]), encoding(der, fields[4])


def csr_subject(der: bytes) -> bytes:
    """The subject Name TLV of a PKCS#10 request."""
    return encoding(der, signed_fields(der)[1])


def csr_spki(der: bytes) -> bytes:
    """SPKI TLV of a PKCS#10 request: CertificationRequestInfo's 3rd field."""
    # version, subject, subjectPKInfo
    return encoding(der, signed_fields(der)[2])


def signed_fields(der: bytes) -> list[Element]:
    """The fields of the to-be-signed SEQUENCE of a certificate, CSR or CRL.

    The last answer is kept: the loader classifies a structure by these fields
    (dershape), then asks for its SPKI and then its names (a tuple swapped in whole, so
    threads sharing it see one answer or the other).
    """
    global _last_signed
    last = _last_signed
    if last is not None and last[0] is der:
        return list(last[1])
    outer = outer_children(der, keep=1)
    if not outer or outer[0].tag != SEQUENCE:
        raise DerError("not a signed DER structure")
    fields = children(der, outer[0])
    _last_signed = (der, tuple(fields))
    return fields


_last_signed: tuple[bytes, tuple[Element, ...]] | None = None
