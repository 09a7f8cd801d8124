"""Where each artefact of a check came from: the thread's memory, or the post being checked (only that is remembered)."""

from __future__ import annotations

import collections
import enum
from collections.abc import Sequence

from certmatch import Artefact

# Appended to the display names of inputs re-read from the thread's memory, for the reader.
# What the code goes by is the origin (`Origin`), never this text: a file a person names
# "x (earlier in this thread).pem" is still this message's.
REMEMBERED_SUFFIX = " (earlier in this thread)"


class Origin(enum.Enum):
    """Where an artefact in a report came from."""

    MESSAGE = "message"  # the message being checked: remembered and indexed
    THREAD_MEMORY = "thread-memory"  # re-read from the thread's memory: not stored again


def artefact_origins(artefacts: Sequence[Artefact], remembered: Sequence[str]) -> list[Origin]:
    """The origin of each artefact of a check run on the thread's memory followed by the message.

    The engine keeps input order, and each remembered input is one stored public PEM that
    loads as that one artefact: the leading artefacts whose PEM is a remembered one (each
    remembered PEM used once) are the memory, the rest are this message's.
    """
    left = collections.Counter(remembered)
    out: list[Origin] = []
    in_memory = True
    for artefact in artefacts:
        pem = artefact.public_pem or ""
        if in_memory and left[pem] > 0:
            left[pem] -= 1
            out.append(Origin.THREAD_MEMORY)
        else:
            in_memory = False
            out.append(Origin.MESSAGE)
    return out


def own_indexes(
    artefacts: Sequence[Artefact], remembered: Sequence[str], served: Sequence[int]
) -> list[int]:
    """The indexes of the post's own artefacts in a `check HOST` report.

    The engine puts the served certificates first, then the inputs in order (the memory, then
    the post's own material): the served ones are the server's, and of the rest the leading
    remembered ones are the memory.
    """
    skipped = set(served)
    rest = [i for i in range(len(artefacts)) if i not in skipped]
    found = artefact_origins([artefacts[i] for i in rest], remembered)
    return [i for i, origin in zip(rest, found, strict=True) if origin is Origin.MESSAGE]
