"""PEM armour scanning: find BEGIN/END blocks in (repaired) text and decode each body to DER.

Tolerant on purpose: any number of dashes around the label, a body wrapped at any width or on
one line, indentation and trailing spaces, RFC 1421 headers (`Proc-Type`, `DEK-Info`), a
missing BEGIN or END line when the base64 itself is whole. Strict where it matters: a body with
characters base64 cannot hold, or one that is visibly cut short, is reported, not guessed at.
Messages never quote a body (it may be a private key).
"""

from __future__ import annotations

import base64
import binascii
import re

from certmatch import lazyre
from certmatch.record import Record

# Leading dashes: any run; trailing: at most five, so "-----END X----------BEGIN Y-----"
# (blocks glued on one line) still yields both armour lines.
# A line may also start with BEGIN/END when its leading dashes were lost. `(?<!-)` makes a
# match start only where a run of dashes starts: without it a long run of dashes is rescanned
# from every position (quadratic time on a hostile input).
# A label has at most a few words: the repeat is bounded, because re keeps state per repetition
# of a group and "BEGIN A A A ..." over 4 MiB cost 550 MiB unbounded.
ARMOUR = lazyre.Pattern(
    r"(?:(?<!-)-+[ \t]*|^[ \t]*)(BEGIN|END)[ \t]+([A-Z0-9]+(?:[ \t]+[A-Z0-9]+){0,8})[ \t]*-{1,5}",
    re.MULTILINE,
)
BEGIN = lazyre.Pattern(r"(?:(?<!-)-+[ \t]*|^[ \t]*)BEGIN[ \t]+[A-Z0-9]", re.MULTILINE)
END = lazyre.Pattern(r"(?:(?<!-)-+[ \t]*|^[ \t]*)END[ \t]+[A-Z0-9]", re.MULTILINE)
_PROC_TYPE = lazyre.Pattern(r"Proc-Type:[ \t]*4[ \t]*,[ \t]*ENCRYPTED", re.IGNORECASE)
_DEK_INFO = lazyre.Pattern(
    r"DEK-Info:[ \t]*([A-Za-z0-9-]+)[ \t]*,[ \t]*([0-9A-Fa-f]+)", re.IGNORECASE
)
_HEADER_LINE = lazyre.Pattern(r"^[ \t]*[A-Za-z][A-Za-z0-9-]*:.*$", re.MULTILINE)
_NOT_BASE64 = lazyre.Pattern(r"[^A-Za-z0-9+/=]")
_BASE64_LINE = lazyre.Pattern(r"^[A-Za-z0-9+/=]{8,}$")
_WHITESPACE = lazyre.Pattern(r"\s+")
# A body as PEM writers emit it: full 64-column lines, then one last line of 1 to 64.
_CLEAN_BODY = lazyre.Pattern(r"\n?(?:[A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n?")


class PemBlock(Record):
    """One armoured block: its label, its DER (None when it could not be decoded) and notes."""

    __slots__ = ("dek_info", "der", "error", "index", "label", "missing", "repairs")
    index: int  # 1-based position among the blocks of the text
    label: str  # "CERTIFICATE", "RSA PRIVATE KEY", ... (spaces normalised)
    der: bytes | None
    dek_info: str | None  # "AES-256-CBC,<iv>" for a legacy `Proc-Type: 4,ENCRYPTED` key
    repairs: tuple[str, ...]
    error: str | None  # why the body could not be decoded; None when `der` is set
    missing: str | None  # "BEGIN" or "END" when that armour line was absent

    def __init__(
        self,
        index: int,
        label: str,
        der: bytes | None,
        dek_info: str | None,
        repairs: tuple[str, ...],
        error: str | None,
        missing: str | None = None,
    ) -> None:
        self._set(index, label, der, dek_info, repairs, error, missing)


class ArmourScan(Record):
    __slots__ = ("blocks", "outside")
    blocks: tuple[PemBlock, ...]
    outside: str  # the text outside every block (prose, hash lines)

    def __init__(self, blocks: tuple[PemBlock, ...], outside: str) -> None:
        self._set(blocks, outside)


def count_begin_lines(text: str) -> int:
    return sum(len(BEGIN.findall(text, start, end)) for start, end in _lines_with(text, "BEGIN"))


def count_blocks(text: str) -> int:
    """How many blocks scan() would make, at least: an END line without BEGIN is a block too."""
    ends = sum(len(END.findall(text, start, end)) for start, end in _lines_with(text, "END"))
    return max(count_begin_lines(text), ends)


# Above this many BEGIN/END words the armour patterns run over the whole text at once (one
# regex pass; a Python loop per line would cost more on a hostile input of short lines).
_FEW_WORDS = 64


def _lines_with(text: str, *words: str) -> list[tuple[int, int]]:
    """(start, end) of every line holding one of `words`, or the whole text when many do.

    Why: the armour patterns start with an alternation, so re tries them at every position
    (about 0.1 ms per pattern for one certificate); a match never spans a line end and `^` and
    `(?<!-)` see the text before `pos`, so matching only the lines that hold the word
    (`pattern.finditer(text, start, end)`) finds exactly the same matches.
    """
    if sum(text.count(word) for word in words) > _FEW_WORDS:
        return [(0, len(text))]
    hits = sorted(i for word in words for i in _find_all(text, word))
    lines: list[tuple[int, int]] = []
    for hit in hits:
        if lines and hit <= lines[-1][1]:
            continue  # same line as the previous hit
        start = text.rfind("\n", 0, hit) + 1
        end = text.find("\n", hit)
        lines.append((start, len(text) if end < 0 else end))
    return lines


def _find_all(text: str, word: str) -> list[int]:
    found: list[int] = []
    at = text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def scan(text: str) -> ArmourScan:
    """Pair BEGIN/END lines in order and decode each block's body."""
    blocks: list[PemBlock] = []
    outside: list[str] = []
    open_label: str | None = None
    open_end = 0  # where the open block's body starts
    last = 0  # end of the last consumed region

    def add(label: str, body: str, notes: list[str], missing: str | None) -> None:
        blocks.append(_decode(len(blocks) + 1, label, body, notes, missing))

    matches = (
        match
        for start, end in _lines_with(text, "BEGIN", "END")
        for match in ARMOUR.finditer(text, start, end)
    )
    for match in matches:
        kind, label = match.group(1), _WHITESPACE.sub(" ", match.group(2))
        if kind == "BEGIN":
            if open_label is not None:
                add(open_label, text[open_end : match.start()], [], "END")
            else:
                outside.append(text[last : match.start()])
            open_label, open_end = label, match.end()
        elif open_label is not None:
            notes = []
            if label != open_label:
                notes.append(f"the END line said {label!r} where BEGIN said {open_label!r}")
            add(open_label, text[open_end : match.start()], notes, None)
            open_label = None
        else:
            # An END line with no BEGIN: the base64 lines right above it may still be whole.
            before = text[last : match.start()]
            body, prose = _trailing_base64_lines(before)
            outside.append(prose)
            add(label, body, [], "BEGIN")
        last = match.end()
    if open_label is not None:
        add(open_label, text[open_end:], [], "END")
    else:
        outside.append(text[last:])
    return ArmourScan(tuple(blocks), "\n".join(outside))


# One block as openssl and cryptography write it: five dashes, a label, 64-column base64 and
# the END line of the same label, each line ending in "\n" (the last one may not).
_CLEAN_BLOCK = lazyre.Pattern(
    r"-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+){0,8})-----"
    r"(\n(?:[A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n)-----END \1-----(\n?)"
)


def clean_scan(text: str, max_blocks: int) -> ArmourScan | None:
    """`scan(text)` for a text that is nothing but clean blocks back to back, or None.

    Why (issue 18): nearly every file a scan reads is one block (or a fullchain of them) as
    a tool wrote it, and the general path (text repairs, counting the armour lines, the
    armour patterns tried line by line) cost about 100 us of such a file. Here one pattern
    matches each whole block; a text it does not match exactly goes the general way. What
    it matches holds none of the characters `repair()` acts on (only ASCII letters, digits,
    "+/=-", spaces in the label and line feeds), the armour patterns find exactly its BEGIN
    and END lines (a base64 line has no dash and no space, so no armour match starts in
    it), and each body is decoded by the same `_decode` as in `scan()`, so the ArmourScan is
    the one `scan()` returns. More than `max_blocks` blocks is left to the general path, which
    counts and refuses them.
    """
    blocks: list[PemBlock] = []
    outside = [""]
    pos, size = 0, len(text)
    while pos < size:
        match = _CLEAN_BLOCK.match(text, pos)
        if match is None or len(blocks) == max_blocks:
            return None
        pos = match.end()
        if not match.group(3) and pos < size:
            return None  # blocks glued on one line: scan() has its own rules for those
        blocks.append(_decode(len(blocks) + 1, match.group(1), match.group(2), [], None))
        outside.append(match.group(3))
    return ArmourScan(tuple(blocks), "\n".join(outside)) if blocks else None


def decode_base64(text: str) -> tuple[bytes | None, list[str], str | None]:
    """(DER, repairs, error) for a base64 body with any whitespace and wrapping."""
    notes: list[str] = []
    if _CLEAN_BODY.fullmatch(text) is not None:
        # Standard wrapping and nothing else: none of the notes below apply, and every
        # character is base64 (the padding checks still run).
        b64 = text.replace("\n", "")
        wrong: list[str] = []
    else:
        lines = [line for line in text.split("\n") if line.strip()]
        if any(line[:1] in (" ", "\t") for line in lines):
            notes.append("removed indentation")
        if any(line[-1:] in (" ", "\t") for line in lines):
            notes.append("removed trailing spaces")
        widths = [len(line.strip()) for line in lines]
        if len(widths) == 1 and widths[0] > 64:
            notes.append("read base64 written on one line (PEM wraps at 64)")
        elif len(widths) > 1 and (any(w != widths[0] for w in widths[1:-1]) or widths[0] != 64):
            notes.append(f"read base64 wrapped at {max(widths)} characters (PEM wraps at 64)")
        b64 = _WHITESPACE.sub("", text)
        if not b64:
            return None, notes, "the block is empty"
        # A regex: a Python loop over 4 MiB took 0.5 s.
        wrong = sorted(set(_NOT_BASE64.findall(b64)))
    if wrong:
        shown = " ".join(repr(c) for c in wrong[:6])
        return (
            None,
            notes,
            f"the base64 contains characters base64 cannot hold ({shown}); the text was "
            "damaged (retyped, OCR'd or reformatted)",
        )
    stripped = b64.rstrip("=")
    if "=" in stripped:
        return None, notes, "the base64 has padding (=) in the middle: it is damaged"
    if len(stripped) % 4 == 1:
        return (
            None,
            notes,
            f"the base64 is {len(stripped)} characters long, which no data encodes to: "
            "characters are missing (cut off or lost when copying)",
        )
    if len(b64) % 4 != 0:
        notes.append("added missing base64 padding (=)")
    try:
        der = base64.b64decode(stripped + "=" * (-len(stripped) % 4), validate=True)
    except binascii.Error as exc:  # pragma: no cover - the checks above catch these
        return None, notes, f"the base64 does not decode ({exc})"
    return der, notes, None


def _decode(index: int, label: str, body: str, notes: list[str], missing: str | None) -> PemBlock:
    dek_info = None
    # Every header pattern needs a colon: a body without one (nearly all) has no headers.
    if ":" in body:
        dek = _DEK_INFO.search(body)
        dek_info = f"{dek.group(1).upper()},{dek.group(2)}" if dek is not None else None
        if _PROC_TYPE.search(body) is not None and dek_info is None:
            return PemBlock(index, label, None, None, tuple(notes), _LEGACY_WITHOUT_DEK)
        # RFC 1421 headers (Proc-Type, DEK-Info, Comment...) are not part of the base64.
        body = _HEADER_LINE.sub("", _DEK_INFO.sub("", _PROC_TYPE.sub("", body)))
    der, body_notes, error = decode_base64(body)
    notes = notes + body_notes
    if missing is not None:
        if error is None:
            notes.append(f"the {missing} line of the block was missing; the base64 itself is whole")
        else:
            cut = "start" if missing == "BEGIN" else "end"
            error = (
                f"the block has no {missing} line and {error}; the {cut} of the block was "
                "probably cut off when copying: copy the whole block, BEGIN to END lines"
            )
    return PemBlock(index, label, der, dek_info, tuple(notes), error, missing)


_LEGACY_WITHOUT_DEK = (
    "the block says Proc-Type: 4,ENCRYPTED but has no DEK-Info line, so it cannot be decrypted"
)


def _trailing_base64_lines(text: str) -> tuple[str, str]:
    """Split text into (base64 lines at its end, the prose before them) for a lone END line."""
    lines = text.split("\n")
    cut = len(lines)
    while cut > 0 and (not lines[cut - 1].strip() or _BASE64_LINE.match(lines[cut - 1].strip())):
        cut -= 1
    return "\n".join(lines[cut:]), "\n".join(lines[:cut])
