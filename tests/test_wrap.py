"""certmatch.wrap gives textwrap.wrap's lines (no breaks at hyphens or inside words), without importing textwrap."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certmatch.wrap import wrap

# Words, hyphens, every kind of whitespace textwrap knows, and some it does not (no-break space).
_PIECES = st.sampled_from(
    ["word", "a", "long-hyphenated-word", "x" * 30, " ", "  ", "\t", "\n", "\r\n", "\x0b", "\xa0",
     "-", "--", "DNS:cucm.example.com,", "é", "->"]
)  # fmt: skip


def _textwrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(_PIECES, max_size=40).map("".join),
    st.integers(min_value=1, max_value=60),
    st.sampled_from(["", " ", "   ", "-> ", " " * 12]),
    st.sampled_from(["", " ", "      ", " " * 11, " " * 70]),
)
def test_wrap_gives_textwraps_lines(text: str, width: int, first: str, rest: str) -> None:
    assert wrap(text, width, first, rest) == _textwrap(text, width, first, rest)


# Words between single spaces take a path of their own (certmatch.wrap._packed): most of them
# go through it here, words longer than the line and lone no-break spaces included.
_WORDS = st.sampled_from(
    ["word", "a", "long-hyphenated-word", "x" * 30, "y" * 75, "DNS:cucm.example.com,", "é",
     "->", "\xa0", "b\xa0c", "-"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_WORDS, min_size=1, max_size=30).map(" ".join),
    st.integers(min_value=1, max_value=80),
    st.sampled_from(["", " ", "   ", "-> ", " " * 12]),
    st.sampled_from(["", " ", "      ", " " * 11, " " * 70]),
)
def test_words_between_single_spaces_wrap_as_textwrap_does(
    text: str, width: int, first: str, rest: str
) -> None:
    assert wrap(text, width, first, rest) == _textwrap(text, width, first, rest)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "WARNING Requested extended key usage not issued: clientAuth.",
        "-> Without clientAuth the certificate cannot act as a TLS client, so server-to-server "
        "mutual TLS breaks. Public CAs are phasing clientAuth out of server certificates.",
        "  - the subject alternative names DNS:a.example.com, DNS:b.example.com were dropped",
        "a " + "x" * 150 + " b",
    ],
)
def test_wrap_gives_textwraps_lines_for_the_engines_texts(text: str) -> None:
    for width in (40, 72, 100):
        assert wrap(text, width, "   ", "      ") == _textwrap(text, width, "   ", "      ")


def test_wrap_refuses_a_width_below_one() -> None:
    with pytest.raises(ValueError):
        wrap("text", 0)
