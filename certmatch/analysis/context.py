"""What a profile's rules see: the artefacts with the match result, the diff and the clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from certmatch.analysis.match import MatchResult
from certmatch.model import Artefact, DiffEntry, Finding, Pair
from certmatch.record import Record


class CheckContext(Record):
    """Everything the rules of a profile may look at. Indexes point into `artifacts`.

    `match` is the pairing computed once by the caller (`check.evaluate` runs `match()`, the
    scan builds one per key set from its index); rules read it here instead of running
    `match()` again.
    """

    __slots__ = ("artifacts", "bundles", "diff", "match", "now", "product", "purpose")
    artifacts: tuple[Artefact, ...]
    match: MatchResult
    diff: tuple[DiffEntry, ...]  # requested (CSR) vs issued (leaf)
    bundles: tuple[tuple[int, ...], ...]  # artefacts that arrived together in one multi-cert file
    now: datetime  # timezone-aware; injected so tests can move the clock
    purpose: str | None  # service purpose named by the user, if any
    product: str | None  # product named by the user (cisco-uc: cucm, uccx, ...), if any

    def __init__(
        self,
        artifacts: tuple[Artefact, ...],
        match: MatchResult,
        diff: tuple[DiffEntry, ...],
        bundles: tuple[tuple[int, ...], ...],
        now: datetime,
        purpose: str | None,
        product: str | None = None,
    ) -> None:
        self._set(artifacts, match, diff, bundles, now, purpose, product)

    # The four facts rules ask most, read from the one match result (never copied).
    @property
    def pairs(self) -> tuple[Pair, ...]:
        return self.match.pairs

    @property
    def leaf(self) -> int | None:
        """The server certificate, when one was identified."""
        return self.match.leaf

    @property
    def chain(self) -> tuple[int, ...]:
        """Leaf first, then its issuers in signature order."""
        return self.match.chain

    @property
    def requested(self) -> int | None:
        """The CSR (or key/hash) the leaf was compared with."""
        return self.match.requested


# A profile is a function from the context to its findings.
Rule = Callable[[CheckContext], list[Finding]]


class Profile(Record):
    """A named set of rules on top of (or replacing parts of) the generic rules.

    `supersedes` lists generic finding codes this profile reports in its own words (the
    orchestrator drops those generic findings). `infer_purpose` guesses the service purpose
    when the user did not name one, `parse_purpose` checks and spells one the user named;
    `ca_note` writes the re-issue request to the CA.
    """

    __slots__ = (
        "ca_note",
        "infer_purpose",
        "name",
        "parse_product",
        "parse_purpose",
        "products",
        "rules",
        "supersedes",
    )
    name: str
    rules: Rule
    supersedes: frozenset[str]
    infer_purpose: Callable[[CheckContext], str | None] | None
    # The profile's spelling of a purpose a person named; ValueError naming the choices.
    parse_purpose: Callable[[str], str] | None
    # The products a profile tells apart (the one list of their names), the default first,
    # and the check of a product a person named; ValueError naming the choices.
    products: tuple[str, ...]
    parse_product: Callable[[str], str] | None
    ca_note: Callable[[CheckContext, Sequence[Finding]], str | None] | None

    def __init__(
        self,
        name: str,
        rules: Rule,
        supersedes: frozenset[str] = frozenset(),
        infer_purpose: Callable[[CheckContext], str | None] | None = None,
        parse_purpose: Callable[[str], str] | None = None,
        products: tuple[str, ...] = (),
        parse_product: Callable[[str], str] | None = None,
        ca_note: Callable[[CheckContext, Sequence[Finding]], str | None] | None = None,
    ) -> None:
        self._set(
            name, rules, supersedes, infer_purpose, parse_purpose, products, parse_product, ca_note
        )
