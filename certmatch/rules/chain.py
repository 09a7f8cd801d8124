"""Rules about the server certificate's chain: a missing issuer, certificates out of order."""

from __future__ import annotations

from certmatch.analysis.context import CheckContext
from certmatch.analysis.match import order_differs
from certmatch.model import ArtefactKind, Finding, Severity
from certmatch.rules.describe import UPLOAD_ORDER, describe, file_of


def chain_findings(ctx: CheckContext) -> list[Finding]:
    out = []
    missing_issuer = ctx.match.missing_issuer
    if missing_issuer is not None and ctx.chain:
        top = ctx.artifacts[ctx.chain[-1]]
        # Only the server certificate given: the usual case, and most servers already trust
        # the CA; a chain given with a gap at the top is worth a warning.
        only_server = not any(a.kind is ArtefactKind.CERTIFICATE and a.is_ca for a in ctx.artifacts)
        out.append(
            Finding(
                "chain-incomplete",
                Severity.INFO if only_server else Severity.WARNING,
                f"{top.source} was issued by {missing_issuer}; that CA certificate was not given.",
                "Get that CA certificate (and any above it) from the CA. Install in this "
                f"order: {UPLOAD_ORDER}.",
                (ctx.chain[-1],),
            )
        )
    # File order only means something inside one PEM file (a PKCS#7 set has no order).
    for bundle in ctx.bundles:
        if ctx.artifacts[bundle[0]].container == "pkcs7" or not order_differs(ctx.chain, bundle):
            continue
        order = " -> ".join(describe(ctx.artifacts[c]) for c in ctx.chain)
        out.append(
            Finding(
                "chain-order",
                Severity.INFO,
                f"The certificates in {file_of(ctx.artifacts[bundle[0]])} are not in chain "
                f"order; by signature the chain is {order}.",
                "certmatch orders by signature, so nothing is wrong here. A PEM bundle for a "
                "TLS server lists the server certificate first; a trust store upload starts "
                "with the root.",
                ctx.chain,
            )
        )
    return out
