"""What a profile's rules see: the artefacts after pairing, chain building and diffing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from certmatch.model import Artefact, DiffEntry, Finding, Pair


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything the rules of a profile may look at. Indexes point into `artifacts`."""

    artifacts: tuple[Artefact, ...]
    pairs: tuple[Pair, ...]
    leaf: int | None  # the server certificate, when one was identified
    chain: tuple[int, ...]  # leaf first, then its issuers in signature order
    requested: int | None  # the CSR (or key/hash) the leaf was compared with
    diff: tuple[DiffEntry, ...]  # requested (CSR) vs issued (leaf)
    bundles: tuple[tuple[int, ...], ...]  # artefacts that arrived together in one multi-cert file
    now: datetime  # timezone-aware; injected so tests can move the clock
    purpose: str | None  # service purpose named by the user, if any


# A profile is a function from the context to its findings.
Rule = Callable[[CheckContext], list[Finding]]
