"""Resource bounds on what the loader accepts, and the cheap checks that enforce them before parsing.

Every bound is decided on counts a regex or a flat DER walk can produce (bytes, armour lines,
TLV headers), never after handing a large or hostile structure to cryptography, so a rejected
input costs milliseconds. The defaults are documented in docs/inputs.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from certmatch.errors import InputTooLargeError, UnusableInputError

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Upper bounds for one input. A real chain, CSR or key is far below every default."""

    max_input_bytes: int = 4 * MIB  # whole file or pasted text, checked before anything else
    max_pem_blocks: int = 100  # armour blocks in one text
    max_certificates: int = 100  # certificates in one PKCS#7 or PKCS#12 container
    max_hash_lines: int = 20  # `MD5(stdin)= ...` lines in one text
    max_der_depth: int = 32  # ASN.1 nesting; certificates need about 10
    max_der_elements: int = 100_000  # TLVs walked in one DER structure
    max_kdf_iterations: int = 1_000_000  # PKCS#12 / encrypted key; openssl writes 2048
    max_kdf_memory: int = 64 * MIB  # scrypt-encrypted keys; openssl's default needs 16 MiB


DEFAULT_LIMITS = Limits()


def check_input_size(name: str, size: int, limits: Limits) -> None:
    if size > limits.max_input_bytes:
        limit = _human(limits.max_input_bytes)
        # The CLI reads one byte past the limit, not the whole file: "4.0 MiB is over the
        # 4.0 MiB limit" would read as a contradiction.
        amount = _human(size) if _human(size) != limit else "the input"
        raise InputTooLargeError(
            f"{name}: {amount} is over the {limit} limit for one input; a certificate, CSR or "
            "key is a few kilobytes, so hand over only the files for the one server you are "
            "checking"
        )


def check_count(name: str, what: str, count: int, limit: int) -> None:
    if count > limit:
        raise InputTooLargeError(
            f"{name}: {count} {what} is over the limit of {limit} for one input; "
            "hand over only the server certificate, its CSR or key, and its chain"
        )


def check_kdf_cost(name: str, iterations: list[int], memory: list[int], limits: Limits) -> None:
    """Refuse a password-protected file whose key derivation would take too long or too much."""
    worst = max(iterations, default=0)
    if worst > limits.max_kdf_iterations:
        raise InputTooLargeError(
            f"{name}: the file asks for {worst} password-hashing iterations, over the limit of "
            f"{limits.max_kdf_iterations} (openssl and Windows write a few thousand); it is "
            "hand-made or from an unusual tool: export it again with default settings"
        )
    heaviest = max(memory, default=0)
    if heaviest > limits.max_kdf_memory:
        raise InputTooLargeError(
            f"{name}: the file's password hashing (scrypt) needs {_human(heaviest)} of memory, "
            f"over the limit of {_human(limits.max_kdf_memory)}; export it again with default "
            "settings"
        )


def check_der_shape(name: str, der: bytes, limits: Limits) -> None:
    """Walk every TLV header once (iteratively) and reject deep nesting or inconsistent lengths.

    Why before cryptography: a hand-made structure nested thousands deep or claiming gigabyte
    lengths should cost a flat walk, not a recursive parse. Primitive values are skipped, so
    this is linear in the number of constructed elements. BER indefinite lengths (some PKCS#7
    writers use them) are followed to their end-of-contents marker.
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
                raise _damaged(name, "an element runs past the end of the one containing it")
            ends.pop()
            continue
        if end is None and der[pos : pos + 2] == b"\x00\x00":  # end-of-contents
            ends.pop()
            pos += 2
            continue
        if len(ends) == 1 and pos >= size:
            break
        # The common header inline (low tag number, length under 64 KiB, within the data):
        # a call per element was most of this walk's cost. Anything else, including every
        # header that is an error, goes through _header.
        tag = der[pos] if pos + 4 <= size else 0x1F
        first = der[pos + 1] if tag & 0x1F != 0x1F else 0xFF
        if first < 0x80:
            constructed, value_start, length = bool(tag & 0x20), pos + 2, first
        elif first == 0x81:
            constructed, value_start, length = bool(tag & 0x20), pos + 3, der[pos + 2]
        elif first == 0x82:
            constructed, value_start = bool(tag & 0x20), pos + 4
            length = der[pos + 2] << 8 | der[pos + 3]
        else:
            constructed, value_start, length = _header(name, der, pos)
        if length is not None and value_start + length > size:
            constructed, value_start, length = _header(name, der, pos)  # raises
        elements += 1
        if elements > limits.max_der_elements:
            raise InputTooLargeError(
                f"{name}: the DER structure has more than {limits.max_der_elements} elements; "
                "that is not a certificate, CSR, key or ordinary bundle"
            )
        if constructed:
            if len(ends) > limits.max_der_depth:
                raise UnusableInputError(
                    f"{name}: the DER structure is nested more than {limits.max_der_depth} "
                    "levels deep; no certificate, CSR or key looks like that, so it is damaged "
                    "or hand-made"
                )
            ends.append(None if length is None else value_start + length)
            pos = value_start
        else:
            if length is None:
                raise _damaged(name, "a primitive element uses an indefinite length")
            pos = value_start + length
    if ends and ends[-1] is not None and pos > ends[-1]:
        raise _damaged(name, "the last element runs past the end of the data")


def _header(name: str, der: bytes, pos: int) -> tuple[bool, int, int | None]:
    """(constructed, value start, length or None for indefinite) of the TLV at pos."""
    if pos + 2 > len(der):
        raise _damaged(name, "the data ends in the middle of an element")
    tag = der[pos]
    constructed = bool(tag & 0x20)
    pos += 1
    if tag & 0x1F == 0x1F:  # high tag number form: skip the tag's continuation bytes
        while pos < len(der) and der[pos] & 0x80:
            pos += 1
        pos += 1
        if pos >= len(der):
            raise _damaged(name, "the data ends in the middle of an element")
    first = der[pos]
    pos += 1
    if first < 0x80:
        length: int | None = first
    elif first == 0x80:
        length = None
    else:
        count = first & 0x7F
        if count > 4 or pos + count > len(der):
            raise _damaged(name, "an element claims an impossible length")
        length = int.from_bytes(der[pos : pos + count], "big")
        pos += count
    if length is not None and pos + length > len(der):
        raise _damaged(
            name,
            f"an element claims {length} bytes but only {len(der) - pos} follow "
            "(the data is truncated or a length byte is damaged)",
        )
    return constructed, pos, length


def _damaged(name: str, why: str) -> UnusableInputError:
    return UnusableInputError(
        f"{name}: the binary (DER) structure is damaged: {why}; copy the original file again "
        "rather than text retyped or converted from it"
    )


def _human(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size} bytes"
