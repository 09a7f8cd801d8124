"""What a scan worker sends back for one file: slim records, and renaming one for a copy.

A record carries an artefact's metadata and fingerprints only (scan/index.py pairs them): the
parsed cryptography objects and PEM text are dropped in the worker that read the file, so
nothing heavy and no key material crosses the pipe. A copy of a file already sent comes back
as a `Repeat` and is renamed from the first copy's record (scan/walk.py).
"""

from __future__ import annotations

import json
from operator import attrgetter
from typing import NamedTuple

from certmatch.model import Artefact, InputProblem
from certmatch.record import field_names


class Links(NamedTuple):
    """Chain hints of one certificate: its own and its issuer's key identifiers (hex).

    A tuple, as ScannedFile is: a slotted dataclass pickles through `__getstate__` and
    `dataclasses.fields()`, which was a third of the parent's unpickling of the records.
    """

    subject_key_id: str | None = None
    authority_key_id: str | None = None


class ScannedFile(NamedTuple):
    """What a worker sends back for one file: slim artefacts (no `native`, no PEM) and problems.

    A tuple: one crosses the pipe per distinct file (see Links).
    """

    path: str
    artefacts: tuple[Artefact, ...] = ()
    links: tuple[Links, ...] = ()  # one per artefact
    problems: tuple[InputProblem, ...] = ()
    digest: bytes | None = None  # SHA-256 of the file, set when a repeat may be `renamed`
    encoded: tuple[str, ...] = ()  # each artefact's JSON, when the reader was asked for it


class Repeat(NamedTuple):
    """A worker's answer for a file whose bytes it already sent under another name (a tuple:
    it crosses a pipe once per repeated file)."""

    path: str
    digest: bytes


def renamed(record: ScannedFile, path: str) -> ScannedFile | None:
    """The record of the same bytes found at `path`, or None when renaming would not be exact.

    The loader names what it finds after the file ("x.p7b [2/3]", "x.pem: the CERTIFICATE
    block ...") and nothing else in a record depends on the name, so swapping the leading
    name is what loading the copy would give; a record that mentions its name anywhere else
    (a message joining several problems) is not renamed but loaded again.
    """
    if not renamable(record):
        return None
    old = record.path
    artefacts = [_with_source(a, path + a.source[len(old) :]) for a in record.artefacts]
    problems = [
        InputProblem(path + p.source[len(old) :], path + p.message[len(old) :], p.code)
        for p in record.problems
    ]
    encoded = tuple(
        _json_with_source(text, a.source, b.source)
        for text, a, b in zip(record.encoded, record.artefacts, artefacts, strict=False)
    )
    return ScannedFile(
        path, tuple(artefacts), record.links, tuple(problems), record.digest, encoded
    )


def renamable(record: ScannedFile) -> bool:
    """Whether `renamed()` can give this record under another name: its path is only where
    the loader names what it found (asked once per distinct file, without building a copy)."""
    old = record.path
    for a in record.artefacts:
        if not a.source.startswith(old) or any(old in r for r in a.repairs):
            return False
    return all(
        p.source.startswith(old) and p.message.startswith(old) and p.message.count(old) == 1
        for p in record.problems
    )


# Every field after `source`, read in one call: a copy under a new name goes straight to the
# constructor (replace() builds a dict of every field first), paid per repeated file.
_AFTER_SOURCE = attrgetter(*field_names(Artefact)[1:])
assert field_names(Artefact)[0] == "source"


def _with_source(artefact: Artefact, source: str) -> Artefact:
    return Artefact(source, *_AFTER_SOURCE(artefact))


def _json_with_source(text: str, old: str, new: str) -> str:
    """An artefact's JSON (`to_dict()` puts `source` first) under another source name."""
    head = '{"source": ' + json.dumps(old)
    assert text.startswith(head)
    return '{"source": ' + json.dumps(new) + text[len(head) :]


def slim(artefact: Artefact) -> Artefact:
    """The artefact without what would make a record heavy or unsafe to ship between processes."""
    values = list(_ALL_FIELDS(artefact))
    values[_PUBLIC_PEM] = ""
    values[_NATIVE] = None
    return Artefact(*values)


_FIELD_NAMES = list(field_names(Artefact))
_ALL_FIELDS = attrgetter(*_FIELD_NAMES)
_PUBLIC_PEM, _NATIVE = _FIELD_NAMES.index("public_pem"), _FIELD_NAMES.index("native")
