"""The bounds walk over a DER/BER structure: nesting depth, element count, lengths that fit.

Run before any parser: a hand-made structure nested thousands deep or claiming gigabyte
lengths should cost a flat walk over its headers, not a recursive parse. The bounds come from
`Limits` (docs/inputs.md); the headers are read by certmatch.load.der, like every other TLV.
"""

from __future__ import annotations

from certmatch.errors import InputTooLargeError, UnusableInputError
from certmatch.load.der import DerError, read_header, short_header
from certmatch.load.limits import Limits


def check_der_bounds(name: str, der: bytes, limits: Limits) -> None:
    """Walk every TLV header once (iteratively) and reject deep nesting or inconsistent lengths.

    Primitive values are skipped, so this is linear in the number of elements. BER indefinite
    lengths (some PKCS#7 and PKCS#12 writers use them) are followed to their end-of-contents
    marker.
    """
    ends: list[int | None] = [len(der)]  # end offset of each open constructed value
    pos = 0
    elements = 0
    size = len(der)
    length: int | None
    while pos < size or len(ends) > 1:
        end = ends[-1]
        if end is not None and pos >= end:
            if pos > end:
                raise damaged(name, "an element runs past the end of the one containing it")
            ends.pop()
            continue
        if end is None and der[pos : pos + 2] == b"\x00\x00":  # end-of-contents
            ends.pop()
            pos += 2
            continue
        if len(ends) == 1 and pos >= size:
            break
        # The short headers nearly every TLV has, decoded inline (a third of the walk's time
        # was the call); anything else, or a length past the end, goes to read_header, whose
        # answer (and message) is the same for these.
        tag = der[pos] if pos + 1 < size else 0x1F
        first = der[pos + 1] if pos + 1 < size else 0xFF
        if tag & 0x1F != 0x1F and first < 0x80 and pos + 2 + first <= size:
            value_start, length = pos + 2, first
        elif (short := short_header(der, pos)) is not None:
            tag, value_start, end_of_value = short
            length = end_of_value - value_start
        else:
            try:
                tag, value_start, length = read_header(der, pos)
            except DerError as exc:
                raise damaged(name, str(exc)) from None
        elements += 1
        if elements > limits.max_der_elements:
            raise InputTooLargeError(
                f"{name}: the DER structure has more than {limits.max_der_elements} elements; "
                "that is not a certificate, CSR, key or ordinary bundle"
            )
        if tag & 0x20:
            if len(ends) > limits.max_der_depth:
                raise UnusableInputError(
                    f"{name}: the DER structure is nested more than {limits.max_der_depth} "
                    "levels deep; no certificate, CSR or key looks like that, so it is damaged "
                    "or hand-made"
                )
            ends.append(None if length is None else value_start + length)
            pos = value_start
        else:
            assert length is not None  # read_header refuses primitive indefinite lengths
            pos = value_start + length
    if ends and ends[-1] is not None and pos > ends[-1]:
        raise damaged(name, "the last element runs past the end of the data")


def damaged(name: str, why: str) -> UnusableInputError:
    return UnusableInputError(
        f"{name}: the binary (DER) structure is damaged: {why}; copy the original file again "
        "rather than text retyped or converted from it"
    )
