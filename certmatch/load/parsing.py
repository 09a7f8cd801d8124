"""cryptography's parsers behind one boundary: the errors they raise and their warnings as notes.

Every loader module calls cryptography through these, so its exceptions are caught by one
tuple and its words reach the person shortened but unchanged (they never hold key material).
"""

from __future__ import annotations

import _thread
import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InternalError, UnsupportedAlgorithm

from certmatch import record
from certmatch.errors import UnusableInputError
from certmatch.model import Artefact

_T = TypeVar("_T")

# What cryptography raises for data it cannot use (several x509 errors are bare Exceptions).
CRYPTO_ERRORS = (
    ValueError,
    TypeError,
    OverflowError,
    UnsupportedAlgorithm,
    InternalError,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)

PASSWORD_HINT = (
    "on the command line give the password with --password-file (or the password environment "
    "variable); never paste a private key or its password into chat"
)

# _thread's lock is threading.Lock itself; importing threading costs about 1 ms (issue 18).
_WARNINGS_LOCK = _thread.allocate_lock()


def parse_quietly(parse: Callable[[], _T]) -> tuple[_T, tuple[str, ...]]:
    """Run a cryptography parser, turning the warnings it emits into notes for the user.

    Why: cryptography warns about certificates it still reads (a serial number that is not
    positive, as some old Windows CAs issued). That is a fact about the certificate worth
    showing, not a process warning (an error under `-W error`). catch_warnings swaps
    process-wide state, hence the lock; parsing one structure takes microseconds.
    """
    with _WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = parse()
    notes = dict.fromkeys(f"note: {_first_sentence(str(w.message))}" for w in caught)
    return result, tuple(notes)


def noted(artefact: Artefact, notes: tuple[str, ...]) -> Artefact:
    """The artefact with the parser's notes added; itself when there are none (nearly always).

    replace() costs about 10 us, paid for every certificate otherwise.
    """
    if not notes:
        return artefact
    return record.replace(artefact, repairs=artefact.repairs + notes)


@contextlib.contextmanager
def named(source: str) -> Iterator[None]:
    """Start every UnusableInputError's message with `source`, keeping its type."""
    try:
        yield
    except UnusableInputError as exc:
        if str(exc).startswith(source):
            raise
        raise type(exc)(f"{source}: {exc}") from exc


def reason(exc: BaseException) -> str:
    """cryptography's own words, shortened; they never contain key material."""
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _first_sentence(text: str) -> str:
    end = text.find(". ")
    return text if end < 0 else text[:end]
