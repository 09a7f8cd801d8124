"""Undo what chat clients, e-mail and word processors do to pasted PEM text, saying what was undone.

Each repair is safe for PEM because it only touches characters that cannot occur in base64 or
in an armour line (entities, exotic spaces, typographic dashes, quote markers, backticks) or
only whitespace. Every repair that changed something is reported as a short sentence, shown to
the user next to the artefacts read from the text.
"""

from __future__ import annotations

import codecs
import re

from certmatch import lazyre
from certmatch.record import Record

# Characters that are text but not printable, other than tab/newline/carriage return: a file
# with many of these is binary (DER, PKCS#12, random bytes), not text.
_CONTROL = lazyre.Pattern(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NBSP = lazyre.Pattern("[\u00a0\u2007\u202f\u2002\u2003\u2009\u3000]")
_ZERO_WIDTH = lazyre.Pattern("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus sign, small
# and full-width hyphen-minus: word processors and Slack turn "-----" into some of these.
_DASHES = lazyre.Pattern("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]")
_ENTITY = lazyre.Pattern(r"&(?:[a-zA-Z]+|#[0-9]+|#[xX][0-9a-fA-F]+);")
# Any spaces after each marker: a quoted message that was itself indented ("> ␣␣␣␣>> MII...").
# A character class, not a repeated group `(?:>[ \t]*)+`: the same strings, but re keeps
# state per repetition of a group, and a 4 MiB line of "> > > ..." cost 230 MiB that way.
_QUOTE_MARKER = lazyre.Pattern(r"^[ \t]*>[> \t]*", re.MULTILINE)
# A fence with an optional language tag; the tag must end its line, so "```-----BEGIN" keeps
# its dashes.
_FENCE = lazyre.Pattern(r"```(?:[A-Za-z][\w+-]*(?=[ \t]*\n))?")


class RepairedText(Record):
    """Text ready for armour scanning, and the sentences saying what was changed to get it."""

    __slots__ = ("repairs", "text")
    text: str
    repairs: tuple[str, ...]

    def __init__(self, text: str, repairs: tuple[str, ...]) -> None:
        self._set(text, repairs)


def decode_text(data: bytes) -> RepairedText | None:
    """The input as text, or None when it is binary (DER, PKCS#12, random bytes)."""
    repairs: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # PowerShell's `>` and Notepad's "Unicode" write UTF-16 with a byte order mark.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        repairs.append("read the text as UTF-16 (as Windows PowerShell and Notepad save it)")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                return None
            # Only worth reporting if the text turns out to hold material; harmless otherwise.
            repairs.append("read the text as Windows-1252, not UTF-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    if _CONTROL.search(text[:4096]) is not None:
        # Armour anywhere: an `openssl x509 -text` preamble (with a terminal's control bytes)
        # can run past 4 KiB before its PEM block.
        if "BEGIN" not in text[:4096] and "-----BEGIN " not in text:
            return None
        # Text with a stray NUL or DOS end-of-file (^Z) is still text when it has armour.
        text = _CONTROL.sub("", text)
        repairs.append("removed control characters (such as NUL or ^Z)")
    return RepairedText(text, tuple(repairs))


def repair(text: str) -> RepairedText:
    """Normalise chat/e-mail damage; the result keeps line structure where the input had it.

    Whitespace inside a block (indentation, trailing spaces, wrap width) is the armour
    scanner's business (certmatch.load.pem), so it is reported per block, not here.
    """
    repairs: list[str] = []

    def apply(pattern: lazyre.Pattern, replacement: str, sentence: str) -> None:
        nonlocal text
        new, count = pattern.subn(replacement, text)
        if count and new != text:
            repairs.append(sentence)
            text = new

    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        repairs.append("converted Windows (CRLF) line endings")
    if "&" in text and _ENTITY.search(text) is not None:
        import html  # on first use: html.entities is a 2,000-entry table (issue 18)

        unescaped = html.unescape(text)
        if unescaped != text:
            repairs.append(
                "decoded HTML entities such as &lt; &gt; &amp; (Slack and web forms add them)"
            )
            text = unescaped
    # Each pattern needs a character a clean PEM file lacks; testing for it first skips a
    # whole-text regex pass (five of them cost about 40 us for one certificate).
    if not text.isascii():
        apply(_ZERO_WIDTH, "", "removed invisible zero-width characters")
        apply(_NBSP, " ", "replaced non-breaking spaces with ordinary spaces")
        apply(_DASHES, "-", "replaced typographic (en/em) dashes in the armour lines with hyphens")
    if "```" in text:
        apply(_FENCE, "\n", "removed ``` code fences")
    if ">" in text:
        apply(_QUOTE_MARKER, "", "removed e-mail quote markers (>) at the start of lines")
    return RepairedText(text, tuple(repairs))
