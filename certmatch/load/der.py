"""Just enough DER reading to lift the SubjectPublicKeyInfo out of a certificate or CSR as encoded.

Why not re-encode the parsed key: for RSA-PSS (and any key whose SPKI carries parameters) the
re-encoded SPKI differs from the one in the artefact, and the pin must be the artefact's own
bytes (what `openssl x509 -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256`
hashes). cryptography has already validated the structure by the time this runs.
"""

from __future__ import annotations

from certmatch.errors import UnusableInputError

_SEQUENCE = 0x30
_CONTEXT_0 = 0xA0


def read_tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """Return (tag, start of value, end of value) of the TLV at `offset`."""
    if offset + 2 > len(data):
        raise UnusableInputError("truncated DER structure")
    tag = data[offset]
    length = data[offset + 1]
    pos = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise UnusableInputError("unsupported DER length encoding")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise UnusableInputError("truncated DER structure")
    return tag, pos, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """(tag, tlv start, tlv end) for each element inside a constructed value."""
    out = []
    pos = start
    while pos < end:
        tag, _, value_end = read_tlv(data, pos)
        out.append((tag, pos, value_end))
        pos = value_end
    return out


def _first_inner(der: bytes) -> list[tuple[int, int, int]]:
    tag, start, _end = read_tlv(der, 0)
    if tag != _SEQUENCE:
        raise UnusableInputError("not a DER SEQUENCE")
    inner_tag, inner_start, inner_end = read_tlv(der, start)
    if inner_tag != _SEQUENCE:
        raise UnusableInputError("not a signed DER structure")
    return _children(der, inner_start, inner_end)


def certificate_spki(der: bytes) -> bytes:
    """SPKI DER of an X.509 certificate: TBSCertificate's 7th field (6th without version)."""
    fields = _first_inner(der)
    if fields and fields[0][0] == _CONTEXT_0:  # explicit [0] version
        fields = fields[1:]
    # serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    _, start, end = fields[5]
    return der[start:end]


def csr_spki(der: bytes) -> bytes:
    """SPKI DER of a PKCS#10 request: CertificationRequestInfo's 3rd field."""
    fields = _first_inner(der)
    # version, subject, subjectPKInfo
    _, start, end = fields[2]
    return der[start:end]
