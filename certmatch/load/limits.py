"""Resource bounds on what the loader accepts, and the cheap checks that enforce them before parsing.

Every bound is decided on counts a regex or a flat DER walk (derbounds) can produce (bytes,
armour lines, TLV headers), never after handing a large or hostile structure to cryptography,
so a rejected input costs milliseconds. The defaults are documented in docs/inputs.md.
"""

from __future__ import annotations

from certmatch.errors import InputTooLargeError
from certmatch.record import Record

MIB = 1024 * 1024


class Limits(Record):
    """Upper bounds for one input. A real chain, CSR or key is far below every default."""

    __slots__ = (
        "max_certificates",
        "max_der_depth",
        "max_der_elements",
        "max_hash_lines",
        "max_input_bytes",
        "max_kdf_iterations",
        "max_kdf_memory",
        "max_pem_blocks",
    )
    max_input_bytes: int  # whole file or pasted text, checked before anything else
    max_pem_blocks: int  # armour blocks in one text
    max_certificates: int  # certificates in one PKCS#7 or PKCS#12 container
    max_hash_lines: int  # `MD5(stdin)= ...` lines in one text
    max_der_depth: int  # ASN.1 nesting; certificates need about 10
    max_der_elements: int  # TLVs walked in one DER structure
    max_kdf_iterations: int  # PKCS#12 / encrypted key; openssl writes 2048
    max_kdf_memory: int  # scrypt-encrypted keys; openssl's default needs 16 MiB

    def __init__(
        self,
        max_input_bytes: int = 4 * MIB,
        max_pem_blocks: int = 100,
        max_certificates: int = 100,
        max_hash_lines: int = 20,
        max_der_depth: int = 32,
        max_der_elements: int = 100_000,
        max_kdf_iterations: int = 1_000_000,
        max_kdf_memory: int = 64 * MIB,
    ) -> None:
        self._set(
            max_input_bytes,
            max_pem_blocks,
            max_certificates,
            max_hash_lines,
            max_der_depth,
            max_der_elements,
            max_kdf_iterations,
            max_kdf_memory,
        )


DEFAULT_LIMITS = Limits()


def check_input_size(name: str, size: int, limits: Limits) -> None:
    if size > limits.max_input_bytes:
        limit = human_size(limits.max_input_bytes)
        # The CLI reads one byte past the limit, not the whole file: "4.0 MiB is over the
        # 4.0 MiB limit" would read as a contradiction.
        amount = human_size(size) if human_size(size) != limit else "the input"
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
            f"{name}: the file's password hashing (scrypt) needs {human_size(heaviest)} of memory, "
            f"over the limit of {human_size(limits.max_kdf_memory)}; export it again with default "
            "settings"
        )


def human_size(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size} bytes"
