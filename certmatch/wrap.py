"""Word wrapping for the engine's texts (findings, the CA note): textwrap.wrap's lines, without textwrap.

Why not textwrap itself: importing it compiles its hyphen-aware word-splitting pattern (a large
verbose regex), about 1 ms of a check's start-up, though certmatch never breaks at hyphens or
inside words (issue 18). This is textwrap.wrap with `break_long_words=False` and
`break_on_hyphens=False` (its other options at their defaults), line for line:
tests/test_wrap.py compares the two.
"""

from __future__ import annotations

import re

# textwrap's whitespace: ASCII only (a no-break space is part of a word), each one a space.
_WHITESPACE = "\t\n\x0b\x0c\r "
_TO_SPACE = dict.fromkeys(map(ord, _WHITESPACE), ord(" "))


def wrap(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """Lines of at most `width` characters (a word longer than that gets a line of its own)."""
    if width <= 0:
        raise ValueError(f"invalid width {width!r} (must be > 0)")
    flat = text.expandtabs().translate(_TO_SPACE)
    if len(initial_indent) + len(flat) <= width:
        # Fits on the first line, the common case (a finding's message, a field of the diff):
        # textwrap's one line is the text less its last chunk when that is blank by
        # str.strip() (a run of spaces, or a no-break space on its own). A bot job wraps
        # about 25 texts; the split below cost 1.6 ms of a 16 ms job (issue 17).
        last = flat[len(flat.rstrip(" ")) :] or flat.rpartition(" ")[2]
        if not last.strip():
            flat = flat[: len(flat) - len(last)]
        return [initial_indent + flat] if flat else []
    words = flat.split(" ")
    if all(map(str.strip, words)):
        # Words between single spaces, the common case of a longer text (a CA note's line,
        # a finding's explanation): no whitespace chunk can start or end a line, so lines are
        # words packed greedily; the split below cost about 3 % of the bot's CPU (issue 17).
        # A word blank by str.strip() (none between two spaces, or a no-break space on its
        # own, which textwrap drops at a line's end as it drops spaces) takes that split.
        return _packed(words, width, initial_indent, subsequent_indent)
    chunks = [c for c in re.split("( +)", flat) if c]
    chunks.reverse()  # a stack: the next chunk is at the end
    lines: list[str] = []
    while chunks:
        indent = subsequent_indent if lines else initial_indent
        room = width - len(indent)
        if lines and chunks[-1].strip() == "":
            del chunks[-1]  # no line but the first starts with whitespace
        line: list[str] = []
        length = 0
        while chunks and length + len(chunks[-1]) <= room:
            length += len(chunks[-1])
            line.append(chunks.pop())
        if chunks and not line and len(chunks[-1]) > room:
            line.append(chunks.pop())  # too long for any line: on its own, unbroken
        if line and line[-1].strip() == "":
            del line[-1]
        if line:
            lines.append(indent + "".join(line))
    return lines


def _packed(words: list[str], width: int, initial_indent: str, subsequent_indent: str) -> list[str]:
    """textwrap's lines of `words` joined by single spaces (none of them empty)."""
    lines: list[str] = []
    indent = initial_indent
    room = width - len(indent)
    line: list[str] = []
    length = 0
    for word in words:
        if line:
            if length + 1 + len(word) <= room:
                line.append(word)
                length += 1 + len(word)
                continue
            lines.append(indent + " ".join(line))
            indent, room, line = subsequent_indent, width - len(subsequent_indent), []
        if len(word) > room:
            lines.append(indent + word)  # too long for any line: on its own, unbroken
            indent, room = subsequent_indent, width - len(subsequent_indent)
            continue
        line, length = [word], len(word)
    if line:
        lines.append(indent + " ".join(line))
    return lines
