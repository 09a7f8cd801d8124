"""The loader's entry point: one input (file or pasted text) in, the artefacts it holds out.

`load()` decides text or binary, repairs chat damage (textrepair), splits PEM blocks (pem),
reads DER structures and containers (containers) and pasted hash lines (hashlines), and names
every artefact after where it came from ("tomcat.csr", "bundle.p7b [2/3]", "pasted text
[block 2]"). Size bounds (limits) are applied before any parsing. Private keys leave this
module only as their public half.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from certmatch import lazyre
from certmatch.errors import (
    EncryptedKeyError,
    InputTooLargeError,
    NotAModulusError,
    UnsupportedInputError,
    UnusableInputError,
)
from certmatch.load import hashlines, pem
from certmatch.load.artefacts import from_hash_line
from certmatch.load.containers import inspect_der, load_der
from certmatch.load.der import first_element
from certmatch.load.dershape import DerKind
from certmatch.load.limits import (
    DEFAULT_LIMITS,
    Limits,
    check_count,
    check_input_size,
)
from certmatch.load.textrepair import decode_text, repair
from certmatch.model import Artefact, ArtefactKind, InputProblem
from certmatch.record import Record, replace

__all__ = [
    "DEFAULT_LIMITS",
    "Input",
    "Limits",
    "LoadResult",
    "contains_material",
    "load",
]


class Input(Record):
    """One thing handed to certmatch: a file's bytes or pasted text (UTF-8), and its name."""

    __slots__ = ("data", "name", "password")
    _unshown = ("password",)
    name: str  # file name, or "pasted text"
    data: bytes
    password: bytes | None  # for encrypted keys / PKCS#12

    def __init__(self, name: str, data: bytes, password: bytes | None = None) -> None:
        self._set(name, data, password)


class LoadResult(Record):
    """What one input held. `problems` are parts that could not be used (others could)."""

    __slots__ = ("artefacts", "problems")
    artefacts: tuple[Artefact, ...]
    problems: tuple[InputProblem, ...]

    def __init__(
        self, artefacts: tuple[Artefact, ...], problems: tuple[InputProblem, ...] = ()
    ) -> None:
        self._set(artefacts, problems)


# PEM label -> what its block should hold (a block holding something else is read as that).
_LABELS: dict[str, DerKind] = {
    "CERTIFICATE": DerKind.CERTIFICATE,
    "X509 CERTIFICATE": DerKind.CERTIFICATE,
    "TRUSTED CERTIFICATE": DerKind.CERTIFICATE,
    "CERTIFICATE REQUEST": DerKind.CSR,
    "NEW CERTIFICATE REQUEST": DerKind.CSR,
    "PKCS7": DerKind.PKCS7,
    "PKCS #7 SIGNED DATA": DerKind.PKCS7,
    "CMS": DerKind.PKCS7,
    "PRIVATE KEY": DerKind.PRIVATE_KEY,
    "RSA PRIVATE KEY": DerKind.PRIVATE_KEY,
    "EC PRIVATE KEY": DerKind.PRIVATE_KEY,
    "DSA PRIVATE KEY": DerKind.PRIVATE_KEY,
    "ENCRYPTED PRIVATE KEY": DerKind.ENCRYPTED_PRIVATE_KEY,
    "PUBLIC KEY": DerKind.SPKI,
    "RSA PUBLIC KEY": DerKind.RSA_PUBLIC,
}
# Blocks that travel with keys and certificates but hold nothing to compare.
_SILENT_LABELS = frozenset({"EC PARAMETERS", "DSA PARAMETERS", "DH PARAMETERS", "PARAMETERS"})
_OTHER_LABELS = {
    "X509 CRL": "a certificate revocation list (CRL), which certmatch does not compare",
    "OPENSSH PRIVATE KEY": "an SSH private key, not an X.509 key; certmatch reads PEM/DER keys",
    "SSH2 PUBLIC KEY": "an SSH public key, not an X.509 key",
    "PGP PUBLIC KEY BLOCK": "a PGP key, not an X.509 key",
    "PGP MESSAGE": "a PGP message, not a certificate",
}

# A deferred load of one part of a text, so all parts share one error path.
_Loader = Callable[[], list[Artefact]]

# One line of a bare base64 body; runs of such lines are collected line by line (a regex
# repeating a group per line kept state for every line: 90 MiB for 4 MiB of short lines).
_BASE64_LINE = lazyre.Pattern(r"[A-Za-z0-9+/=]{16,}[ \t]*")
_MIN_BARE_BASE64 = 100  # characters; the smallest certificate or CSR is several hundred
# Lookbehinds anchor each match at the start of a run, keeping the scans linear.
_LONG_BASE64 = lazyre.Pattern(
    r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{200,}|(?:^[A-Za-z0-9+/=]{40,}[ \t]*\n){3}", re.MULTILINE
)
_ARMOUR = lazyre.Pattern(r"(?<!-)-+[ \t]*(?:BEGIN|END)[ \t]+[A-Z0-9]")
_BARE_MD5 = lazyre.Pattern(r"^[ \t]*[0-9a-fA-F]{32}[ \t]*$", re.MULTILINE)
_MD5_CONTEXT = lazyre.Pattern(r"md5|modulus|openssl", re.IGNORECASE)
_NOTHING_FOUND = (
    "no certificate, CSR, key or hash line found; certmatch reads PEM text "
    "(-----BEGIN ...-----), DER, PKCS#7 (.p7b), PKCS#12 (.pfx), a bare base64 body, or the "
    "line `openssl ... -modulus | openssl md5` prints"
)


def load(inp: Input, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """Every artefact in one input; raise UnusableInputError when nothing in it is usable."""
    if (
        inp.data[:11] == b"-----BEGIN "
        and inp.data.isascii()
        and len(inp.data) <= limits.max_input_bytes
    ):
        # The common file, PEM as a tool wrote it: no text repairs apply, so its blocks are
        # found by one pattern (pem.clean_scan); anything else goes the general way. The
        # result is the general path's (tests/test_load_fast_path.py).
        ascii_text = inp.data.decode("ascii")
        clean = pem.clean_scan(ascii_text, limits.max_pem_blocks)
        if clean is not None:
            return _load_armoured(clean, ascii_text, (), inp.name or "input", inp.password, limits)
    return load_general(inp, limits)


def load_general(inp: Input, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """`load()` without its fast path: every text repaired and armour-scanned in full."""
    name = inp.name or "input"
    check_input_size(name, len(inp.data), limits)
    if not inp.data.strip():
        raise UnusableInputError(f"{name}: the input is empty; {_NOTHING_FOUND}")
    text = decode_text(inp.data)
    if text is None:
        return LoadResult(tuple(_load_binary(inp.data, name, inp.password, limits)))
    return _load_text(text.text, text.repairs, name, inp.password, limits)


def contains_material(text: str) -> bool:
    """Cheap test whether chat text holds anything worth loading (the bot stays quiet if not)."""
    text = text[: DEFAULT_LIMITS.max_input_bytes]
    fixed = repair(text).text
    if _ARMOUR.search(fixed) is not None or _LONG_BASE64.search(fixed) is not None:
        return True
    if hashlines.has_hash(fixed):
        return True
    # A lone 32-digit hex line is a hash only when the message talks about one.
    return _BARE_MD5.search(fixed) is not None and _MD5_CONTEXT.search(fixed) is not None


def _load_binary(data: bytes, name: str, password: bytes | None, limits: Limits) -> list[Artefact]:
    data = _without_trailing_padding(data)
    # Looks like DER: a precise reason (truncated, nested too deep) beats "unknown data".
    kind = inspect_der(data, name, limits) if data[:1] == b"\x30" else None
    if kind is None:
        raise UnusableInputError(
            f"{name}: {len(data)} bytes of binary data that is neither a DER certificate, CSR "
            "or key, nor a PKCS#7 or PKCS#12 file; it may be damaged, or of another kind; "
            "open it with `openssl x509|req|pkcs7|pkcs12 -in FILE -inform DER` to see what it is"
        )
    return load_der(data, name, "der", password, limits, kind)


def _load_text(
    raw: str, decode_repairs: tuple[str, ...], name: str, password: bytes | None, limits: Limits
) -> LoadResult:
    fixed = repair(raw)
    text = fixed.text
    text_repairs = decode_repairs + fixed.repairs
    # END lines count too: each one without a BEGIN becomes a block of its own (4 MiB of
    # END lines made 150 000 blocks: 7 s and 420 MiB, past the BEGIN-only count).
    check_count(name, "PEM blocks", pem.count_blocks(text), limits.max_pem_blocks)
    return _load_armoured(pem.scan(text), text, text_repairs, name, password, limits)


def _load_armoured(
    scan: pem.ArmourScan,
    text: str,
    text_repairs: tuple[str, ...],
    name: str,
    password: bytes | None,
    limits: Limits,
) -> LoadResult:
    """The artefacts of a text whose armour is scanned: its blocks, hash lines, bare base64."""
    check_count(name, "hash lines", hashlines.count(scan.outside), limits.max_hash_lines)
    hashes = hashlines.scan(scan.outside)
    if scan.blocks and any(h.from_text_dump for h in hashes.lines):
        # A `-text` dump next to its own PEM block would "match" itself; the block is enough.
        hashes = replace(hashes, lines=tuple(h for h in hashes.lines if not h.from_text_dump))
    runs = [] if scan.blocks else _bare_base64_runs(_without_hash_lines(text, hashes))
    # Bare base64 bodies are PEM blocks without armour: the same bound (38 000 of them in 4 MiB
    # cost 5 s and 230 MiB).
    check_count(name, "base64 bodies", len(runs), limits.max_pem_blocks)
    counted = [b for b in scan.blocks if b.label not in _SILENT_LABELS]
    items = len(counted) + len(hashes.lines) + len(runs)

    artefacts: list[Artefact] = []
    problems: list[InputProblem] = []
    errors: list[UnusableInputError] = []

    def attempt(source: str, notes: tuple[str, ...], load_one: _Loader) -> None:
        try:
            loaded = load_one()
        except UnusableInputError as exc:
            errors.append(exc)
            problems.append(InputProblem(source, str(exc), _code(exc)))
            return
        # replace() costs about 10 us an artefact; clean input has no notes to add.
        artefacts.extend(replace(a, repairs=a.repairs + notes) if notes else a for a in loaded)
        # The per-bundle bound times the block bound is 10 000 certificates (6 s, 230 MiB in
        # 3.6 MiB of PKCS7 blocks): stop as soon as the input as a whole is over the bound.
        certificates = sum(a.kind is ArtefactKind.CERTIFICATE for a in artefacts)
        check_count(name, "certificates", certificates, limits.max_certificates)

    if scan.blocks and _has_prose(scan.outside, hashes):
        text_repairs += ("ignored the text around the PEM blocks",)
    for block in scan.blocks:
        source = name if items == 1 and block in counted else f"{name} [block {block.index}]"
        notes = text_repairs + block.repairs
        attempt(source, notes, _block_loader(block, source, password, limits))
    for index, line in enumerate(hashes.lines, 1):
        source = name if items == 1 else f"{name} [hash {index}]"
        if line.file_hint:
            source = f"{source} ({line.file_hint})"
        notes = (
            ("read the modulus from a text dump (Modulus: 00:8e:...)",)
            if line.from_text_dump
            else ()
        )
        attempt(source, notes, _hash_loader(line, source))
    for index, run in enumerate(runs, 1):
        source = name if items == 1 else f"{name} [base64 {index}]"
        attempt(source, text_repairs, _base64_loader(run, source, password, limits))
    for message in hashes.not_a_modulus:
        errors.append(NotAModulusError(f"{name}: {message}"))
        problems.append(InputProblem(name, errors[-1].args[0], "hash-not-modulus"))
    for message in hashes.other:
        errors.append(UnusableInputError(f"{name}: {message}"))
        problems.append(InputProblem(name, errors[-1].args[0]))

    if artefacts:
        return LoadResult(tuple(artefacts), tuple(problems))
    if not errors:
        raise UnusableInputError(f"{name}: {_NOTHING_FOUND}")
    if len(errors) == 1:
        raise errors[0]
    # Several unusable parts: raise the kind the person must act on first.
    for kind in (EncryptedKeyError, NotAModulusError, InputTooLargeError):
        if all(isinstance(e, kind) for e in errors):
            raise kind(_joined(problems)) from errors[0]
    raise UnusableInputError(_joined(problems)) from errors[0]


def _block_loader(
    block: pem.PemBlock, source: str, password: bytes | None, limits: Limits
) -> _Loader:
    def run() -> list[Artefact]:
        label = block.label
        if label in _SILENT_LABELS:
            return []
        if label in _OTHER_LABELS:
            raise UnusableInputError(f"{source}: this block is {_OTHER_LABELS[label]}")
        expected = _LABELS.get(label)
        if expected is None:
            raise UnusableInputError(
                f"{source}: a PEM block labelled {label!r} is not something certmatch compares "
                "(it reads certificates, CSRs, private and public keys, PKCS#7 bundles)"
            )
        if block.der is None:
            raise UnusableInputError(
                f"{source}: the {label} block cannot be decoded: {block.error}"
            )
        der = block.der
        if block.dek_info is not None:
            from certmatch.load.privatekeys import legacy_encrypted_key

            return [legacy_encrypted_key(der, block.dek_info, source, password)]
        if label == "TRUSTED CERTIFICATE":
            # openssl appends its trust settings after the certificate (`x509 -trustout`).
            der = first_element(der)
        try:
            kind = inspect_der(der, source, limits)
            loaded = load_der(der, source, "pem", password, limits, kind, expected.value)
        except (EncryptedKeyError, InputTooLargeError, UnsupportedInputError):
            raise
        except UnusableInputError as exc:
            raise UnusableInputError(_damaged_block(source, label, block, exc)) from exc
        if kind in (None, expected, DerKind.SIGNED_OTHER):
            return loaded
        assert kind is not None
        notes = (f"the block is labelled {label} but holds a {kind.value}; read it as such",)
        return [replace(a, repairs=a.repairs + notes) for a in loaded]

    return run


def _hash_loader(line: hashlines.HashLine, source: str) -> _Loader:
    return lambda: [from_hash_line(line.md5, source, line.line)]


def _base64_loader(run: str, source: str, password: bytes | None, limits: Limits) -> _Loader:
    def loaded() -> list[Artefact]:
        der, notes, error = pem.decode_base64(run)
        if der is None:
            raise UnusableInputError(f"{source}: the base64 text cannot be decoded: {error}")
        artefacts = load_der(
            der, source, "base64", password, limits, inspect_der(der, source, limits)
        )
        sentence = "read a bare base64 body without BEGIN/END lines"
        return [replace(a, repairs=(*a.repairs, sentence, *notes)) for a in artefacts]

    return loaded


def _bare_base64_runs(text: str) -> list[str]:
    runs: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        if _BASE64_LINE.fullmatch(line):
            current.append(line)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    bodies = ["\n".join(run) + "\n" for run in runs]
    return [b for b in bodies if len(re.sub(r"\s", "", b)) >= _MIN_BARE_BASE64]


def _damaged_block(source: str, label: str, block: pem.PemBlock, exc: UnusableInputError) -> str:
    detail = str(exc).removeprefix(f"{source}: ")
    if block.missing is not None:
        cut = "start" if block.missing == "BEGIN" else "end"
        return (
            f"{source}: the {label} block has no {block.missing} line and what is there does "
            f"not make a whole {_LABELS[label].value if label in _LABELS else label}: its {cut} "
            "was cut off when copying. "
            "Copy the whole block, from the BEGIN line to the END line, or send the file itself"
        )
    return (
        f"{source}: the {label} block's base64 decodes, but the data inside is damaged: "
        f"characters were changed or lost, as happens when text is retyped, OCR'd from a "
        f"screenshot or cut short; send the file itself. Detail: {detail}"
    )


def _without_hash_lines(text: str, hashes: hashlines.HashScan) -> str:
    for line in hashes.lines:
        text = text.replace(line.line, "")
    return text


def _has_prose(outside: str, hashes: hashlines.HashScan) -> bool:
    rest = outside
    for line in hashes.lines:
        rest = rest.replace(line.line, "")
    return bool(rest.strip())


def _without_trailing_padding(data: bytes) -> bytes:
    """A DER structure without the line ends, spaces, NULs or ^Z a tool or transfer added after it.

    openssl reads the DER and ignores what follows; without this a certificate saved with a
    trailing newline was called damaged.
    """
    first = first_element(data)
    padded = data[:1] == b"\x30" and len(first) < len(data)
    if padded and not data[len(first) :].strip(b" \t\r\n\x00\x1a"):
        return first
    return data


def _code(exc: UnusableInputError) -> str:
    if isinstance(exc, EncryptedKeyError):
        return "key-encrypted"
    if isinstance(exc, NotAModulusError):
        return "hash-not-modulus"
    return "unreadable-input"


def _joined(problems: list[InputProblem]) -> str:
    return "; ".join(p.message for p in problems)
