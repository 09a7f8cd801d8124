"""What every cisco-uc rule reads: the CSR, the server certificate, its chain, purpose and product.

Also the helpers the families of rules (key, names, usage, chain, expressway) share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from certmatch.analysis.context import CheckContext
from certmatch.analysis.match import MatchResult, common_name, is_requester
from certmatch.keys import same_key
from certmatch.model import Artefact, ArtefactKind, Finding, Severity
from certmatch.rules.cisco_uc import products
from certmatch.rules.cisco_uc import purpose as uc_purpose
from certmatch.rules.cisco_uc.purpose import EXPRESSWAY

CERT_SUFFIXES = (".cer", ".crt", ".der", ".p7b", ".p7c")


@dataclass(frozen=True, slots=True)
class Scene:
    """The context reduced to what the UC rules ask: which CSR, which server certificate."""

    ctx: CheckContext
    requested: int | None  # the CSR (or key/hash) the server certificate is judged against
    leaf: int | None  # the server certificate
    chain: tuple[int, ...]  # leaf first, then its issuers as given
    matched: bool  # requested and leaf carry the same key
    purpose: str | None
    pairing: MatchResult  # as the engine paired them (unmatched requesters/servers, CA as leaf)
    product: str  # named, else assumed (see product_of)
    product_assumed: bool

    def art(self, index: int) -> Artefact:
        return self.ctx.artifacts[index]

    @property
    def compared(self) -> tuple[Artefact, Artefact, tuple[int, int]] | None:
        """(CSR, server certificate, their indexes) when the certificate carries the CSR's key.

        Content rules compare only these: names in a certificate for another key are noise.
        """
        if not self.matched or self.requested is None or self.leaf is None:
            return None
        csr = self.art(self.requested)
        if csr.kind is not ArtefactKind.CSR:
            return None
        return csr, self.art(self.leaf), (self.requested, self.leaf)

    @property
    def certificates(self) -> list[int]:
        return [i for i, a in enumerate(self.ctx.artifacts) if a.kind is ArtefactKind.CERTIFICATE]

    @property
    def trust(self) -> str:
        return uc_purpose.trust_store(self.purpose)

    @property
    def expressway(self) -> bool:
        # An Expressway purpose without a product named makes the product Expressway-E.
        return self.product in products.EXPRESSWAYS

    @property
    def product_note(self) -> str:
        """How a product-dependent finding says which product it judged for."""
        name = products.label(self.product)
        return f"(assumed product: {name})" if self.product_assumed else f"(product: {name})"


def build_scene(ctx: CheckContext) -> Scene:
    leaf = ctx.leaf
    requested = ctx.requested
    matched = (
        leaf is not None
        and requested is not None
        and same_key(ctx.artifacts[requested].key, ctx.artifacts[leaf].key)
    )
    chain = ctx.chain or ((leaf,) if leaf is not None else ())
    purpose = purpose_of(ctx)
    product, assumed = product_of(ctx, purpose)
    return Scene(ctx, requested, leaf, chain, matched, purpose, ctx.match, product, assumed)


def purpose_of(ctx: CheckContext) -> str | None:
    """The purpose the user named, else the inferred one."""
    if ctx.purpose:
        return uc_purpose.canonical(ctx.purpose)
    return infer_purpose(ctx)


def infer_purpose(ctx: CheckContext) -> str | None:
    if (ctx.product or "").lower() in products.EXPRESSWAYS:
        return EXPRESSWAY  # an Expressway has one server certificate
    return uc_purpose.infer(ctx.artifacts, ctx.requested, ctx.leaf)


def product_of(ctx: CheckContext, purpose: str | None) -> tuple[str, bool]:
    """(product, assumed): the one named, else Expressway-E for an Expressway purpose (its CSR
    carries the collab-edge names), else CUCM."""
    if ctx.product:
        return products.parse(ctx.product), False
    if purpose == EXPRESSWAY:
        return products.EXPRESSWAY_E, True
    return products.DEFAULT_PRODUCT, True


def uc_finding(
    code: str,
    severity: Severity,
    message: str,
    hint: str,
    artifacts: Iterable[int],
    reference: str,
) -> Finding:
    return Finding(code, severity, message, hint, tuple(sorted(set(artifacts))), reference)


# --- helpers -----------------------------------------------------------------------------


def requesters(arts: Sequence[Artefact]) -> list[int]:
    return [i for i, a in enumerate(arts) if is_requester(a)]


def subjects(s: Scene) -> list[int]:
    """The CSR and the server certificate: the artefacts that name the server."""
    out = []
    for i in (s.requested, s.leaf):
        if i is not None and s.art(i).kind in (ArtefactKind.CSR, ArtefactKind.CERTIFICATE):
            out.append(i)
    return sorted(set(out))


def chain_or_all(s: Scene) -> Sequence[int]:
    return s.chain if s.chain else s.certificates


def describe(artefact: Artefact) -> str:
    cn = common_name(artefact)
    return f"{artefact.source} (CN={cn})" if cn else artefact.source


def key_id(artefact: Artefact) -> str:
    key = artefact.key
    if key.modulus_md5 is not None:
        return f"modulus md5 {key.modulus_md5}"
    return f"SPKI SHA-256 {key.spki_sha256}"


def is_multi_server(cn: str) -> bool:
    return cn.split(".", 1)[0].lower().endswith("-ms")


def strip_ms(cn: str) -> str:
    host, dot, rest = cn.partition(".")
    return host[:-3] + dot + rest
