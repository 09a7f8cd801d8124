"""Pasted openssl hash lines as comparison targets, and the md5s of openssl's error strings.

Someone with root on the server (where the private key lives) compares without pasting the
key: `openssl rsa -noout -modulus -in tomcat_priv.pem | openssl md5`. We accept what that prints
in any openssl version (`MD5(stdin)= <hex>` in 3.x, `(stdin)= <hex>` in 1.x, a bare hex line in
0.9.8), a raw `Modulus=<HEX>` line, and the colon-separated modulus of an `openssl x509|req
-text` dump or a web CSR decoder (the vendor note compares those). For a non-RSA key openssl hashes an error string (or
nothing) instead of a modulus; those md5s are recognised and explained, never matched.
"""

from __future__ import annotations

import hashlib
import re

from certmatch import lazyre
from certmatch.keys import modulus_md5
from certmatch.record import Record

# Chat markup around a hash (`code`, *bold*, _italic_, quote markers) is tolerated.
_MARKUP = r"[`*_> \t]*"
# Patterns start with a literal "(" so the regex engine can skip ahead to candidates, and
# allow no parentheses inside the name, so a run of "(((" fails at once at each "(": both keep
# hostile text linear. The "MD5" before the "(" adds nothing, so it is not matched.
_MD5_LINE = lazyre.Pattern(r"\(([^()\n]{1,200})\)[ \t]*=[ \t]*([0-9a-fA-F]{32})(?![0-9a-zA-Z])")
# A bare md5 line (OpenSSL 0.9.8), or as `| md5sum` ("<hex>  -") and `openssl md5 -r`
# ("<hex> *stdin") print it; many guides pipe the modulus to md5sum.
_MD5SUM_SUFFIX = r"[ \t]+\*?(?:-|stdin)"
_BARE_MD5 = lazyre.Pattern(
    rf"^{_MARKUP}([0-9a-fA-F]{{32}})(?:{_MD5SUM_SUFFIX})?{_MARKUP}$", re.MULTILINE
)
_MD5SUM_LINE = lazyre.Pattern(
    rf"^{_MARKUP}[0-9a-fA-F]{{32}}{_MD5SUM_SUFFIX}{_MARKUP}$", re.MULTILINE
)
_SHA256_LINE = lazyre.Pattern(r"\([^()\n]{1,200}\)[ \t]*=[ \t]*[0-9a-fA-F]{64}(?![0-9a-zA-Z])")
_MODULUS_LINE = lazyre.Pattern(rf"^{_MARKUP}Modulus[ \t]*=([^\n]*)$", re.MULTILINE)
# `openssl x509|req -text` and web CSR decoders print the modulus as colon-separated hex.
# The inner repeat is possessive: what follows it can match empty, so it never needs to give
# back, and a greedy group keeps regex state per repetition (a 4 MiB line of "00:" cost 190 MiB).
_MODULUS_DUMP = lazyre.Pattern(
    r"Modulus:[ \t]*\n((?:[ \t]*(?:[0-9a-fA-F]{2}:)++[0-9a-fA-F]{0,2}[ \t]*\n?){1,200})"
)
_DUMP_SEPARATORS = str.maketrans("", "", ": \t\n")
_HEX = lazyre.Pattern(r"^[0-9a-fA-F]{1,8192}$")
_FILE_IN_COMMAND = lazyre.Pattern(r"-in[ \t]+(\S+)")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("ascii"), usedforsecurity=False).hexdigest()


_RUN_INSTEAD = (
    "The key is not RSA (EC, Ed25519, Ed448 or DSA keys have no modulus). Compare public keys "
    "instead: hand certmatch the CSR and the certificate, or on the server run "
    "`certmatch KEYFILE CERTFILE` or `openssl pkey -in KEYFILE -pubout -outform DER | "
    "openssl dgst -sha256` next to `openssl x509 -in CERTFILE -noout -pubkey | "
    "openssl pkey -pubin -outform DER | openssl dgst -sha256`."
)

# md5 of what openssl prints instead of a modulus -> what produced it.
NOT_A_MODULUS: dict[str, str] = {
    _md5("Modulus=No modulus for this public key type\n"): (
        "this is the md5 of openssl's error line 'Modulus=No modulus for this public key "
        "type' (what `openssl x509 -noout -modulus` prints for a non-RSA key), not of a modulus"
    ),
    _md5("Modulus=Wrong Algorithm type\n"): (
        "this is the md5 of openssl's error line 'Modulus=Wrong Algorithm type' (what "
        "`openssl req -noout -modulus` prints for a non-RSA key), not of a modulus"
    ),
    _md5(""): (
        "this is the md5 of empty input (what `openssl rsa -noout -modulus ... | openssl md5` "
        "gives when openssl printed nothing, e.g. for a non-RSA key or an unreadable file), "
        "not of a modulus"
    ),
}

_ERROR_MODULUS_TEXT = {
    "no modulus for this public key type": "`openssl x509 -noout -modulus` printed an error",
    "wrong algorithm type": "`openssl req -noout -modulus` printed an error",
}


class HashLine(Record):
    """A usable modulus md5 pasted as text."""

    __slots__ = ("file_hint", "from_text_dump", "line", "md5")
    md5: str  # lowercase hex
    line: str  # the line as pasted (public: a hash)
    file_hint: str | None  # the file named by `-in` in the command line just above, if any
    from_text_dump: bool  # read from a `-text` / decoder dump ("Modulus:" + hex pairs)

    def __init__(
        self, md5: str, line: str, file_hint: str | None, from_text_dump: bool = False
    ) -> None:
        self._set(md5, line, file_hint, from_text_dump)


class HashScan(Record):
    __slots__ = ("lines", "not_a_modulus", "other")
    lines: tuple[HashLine, ...]
    not_a_modulus: tuple[str, ...]  # messages for error-string md5s / `Modulus=<error>` lines
    other: tuple[str, ...]  # messages for lines that look like hashes but cannot be used

    def __init__(
        self, lines: tuple[HashLine, ...], not_a_modulus: tuple[str, ...], other: tuple[str, ...]
    ) -> None:
        self._set(lines, not_a_modulus, other)


def scan(text: str) -> HashScan:
    """Every hash line in `text` (prose and PEM blocks already removed by the caller)."""
    if not text.strip():
        # Nothing outside the PEM blocks (a clean file): every pattern needs a hex digit or a
        # word, so none can match, and none is compiled (issue 18).
        return HashScan((), (), ())
    found: list[tuple[int, HashLine]] = []
    not_a_modulus: list[str] = []
    other: list[str] = []

    def add(pos: int, md5: str, line: str, named: str | None) -> None:
        md5 = md5.lower()
        if md5 in NOT_A_MODULUS:
            not_a_modulus.append(f"{line.strip()!r}: {NOT_A_MODULUS[md5]}. {_RUN_INSTEAD}")
        else:
            hint = named if named not in (None, "stdin") else _file_hint(text, pos)
            found.append((pos, HashLine(md5, line.strip(), hint)))

    for match in _MD5_LINE.finditer(text):
        add(match.start(), match.group(2), _line_at(text, match.start()), match.group(1).strip())
    for match in _BARE_MD5.finditer(text):
        add(match.start(), match.group(1), match.group(0), None)
    for match in _MODULUS_LINE.finditer(text):
        value = match.group(1).strip("`*_> \t")
        if _HEX.match(value):
            # openssl prints BN_print's form: uppercase, no leading zeros; re-derive it.
            found.append(
                (
                    match.start(),
                    HashLine(modulus_md5(int(value, 16)), match.group(0).strip(), None),
                )
            )
        elif value.lower() in _ERROR_MODULUS_TEXT:
            not_a_modulus.append(
                f"{match.group(0).strip()!r}: {_ERROR_MODULUS_TEXT[value.lower()]}, "
                f"there is no modulus to compare. {_RUN_INSTEAD}"
            )
    for match in _MODULUS_DUMP.finditer(text):
        # The dump holds only hex, colons and whitespace; re.sub would build a piece per colon.
        digits = match.group(1).translate(_DUMP_SEPARATORS)
        if digits and int(digits, 16):
            line = f"Modulus={int(digits, 16):X}"
            found.append((match.start(), HashLine(modulus_md5(int(digits, 16)), line, None, True)))
    for match in _SHA256_LINE.finditer(text):
        other.append(
            f"{_line_at(text, match.start())!r} is a SHA-256 line; certmatch compares pasted "
            "hashes by the RSA modulus md5: run `openssl x509|req|rsa -noout -modulus -in FILE "
            "| openssl md5`, or hand certmatch the CSR or certificate itself"
        )
    found.sort(key=lambda item: item[0])
    return HashScan(tuple(h for _, h in found), tuple(not_a_modulus), tuple(other))


def has_hash(text: str) -> bool:
    """Cheap: does the text hold an md5 line, a Modulus= line or a modulus dump?"""
    return any(
        pattern.search(text) is not None
        for pattern in (_MD5_LINE, _MD5SUM_LINE, _MODULUS_LINE, _MODULUS_DUMP)
    )


def count(text: str) -> int:
    if not text.strip():
        return 0  # as in scan()
    return (
        len(_MD5_LINE.findall(text))
        + len(_BARE_MD5.findall(text))
        + len(_MODULUS_LINE.findall(text))
        + len(_MODULUS_DUMP.findall(text))
    )


def _line_at(text: str, pos: int) -> str:
    """The whole line holding `pos`, stripped (at most 300 characters of it)."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start : len(text) if end < 0 else end].strip()
    return line if len(line) <= 300 else line[:297] + "..."


def _file_hint(text: str, pos: int) -> str | None:
    """The `-in FILE` of an openssl command on the line just above (shell transcripts)."""
    before = text[:pos].rstrip("\n")
    previous = before[before.rfind("\n") + 1 :]
    if "openssl" not in previous:
        return None
    match = _FILE_IN_COMMAND.search(previous)
    return match.group(1) if match else None
