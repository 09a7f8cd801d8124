"""Rules comparing what the CSR requested with what the CA issued (SANs, CN, EKU, key usage)."""

from __future__ import annotations

from certmatch.analysis.context import CheckContext
from certmatch.analysis.diff import san_key
from certmatch.analysis.match import common_name
from certmatch.model import Artefact, ArtefactKind, Finding, Severity

_W, _I = Severity.WARNING, Severity.INFO


def requested_vs_issued(ctx: CheckContext) -> list[Finding]:
    if ctx.requested is None or ctx.leaf is None:
        return []
    req, cert = ctx.artifacts[ctx.requested], ctx.artifacts[ctx.leaf]
    out = _csr_vs_cert(ctx, req, cert) if req.kind is ArtefactKind.CSR else []
    cn = common_name(cert)
    if cn is not None and not cert.is_ca:
        names = {san_key(s) for s in cert.sans}
        if san_key(f"DNS:{cn}") not in names and san_key(f"IP:{cn}") not in names:
            out.append(
                Finding(
                    "cn-not-in-san",
                    _W,
                    f"The certificate's CN {cn} is not among its SANs"
                    + (f" ({', '.join(cert.sans)})." if cert.sans else " (it has none)."),
                    "Clients match host names against the SANs only, not the CN: have the CA "
                    "re-issue with the CN also listed as a DNS SAN (request it in the CSR).",
                    (ctx.leaf,),
                )
            )
    return out


def _csr_vs_cert(ctx: CheckContext, req: Artefact, cert: Artefact) -> list[Finding]:
    assert ctx.requested is not None and ctx.leaf is not None
    both = (ctx.requested, ctx.leaf)
    out = []
    for entry in ctx.diff:
        if entry.field == "san.removed" and isinstance(entry.requested, list):
            out.append(
                Finding(
                    "san-dropped",
                    _W,
                    f"The CA dropped requested SANs: {', '.join(entry.requested)}.",
                    "Clients that connect by those names will fail host name verification. "
                    "Ask the CA to re-issue with every SAN in the CSR.",
                    both,
                )
            )
        elif entry.field == "san.added" and isinstance(entry.issued, list):
            out.append(
                Finding(
                    "san-added",
                    _I,
                    f"The CA added SANs that were not requested: {', '.join(entry.issued)}.",
                    "Usually harmless (many CAs add the CN or a www. name), but some servers "
                    "refuse a certificate whose SANs differ from the CSR's (see --profile "
                    "cisco-uc).",
                    both,
                )
            )
        elif entry.field == "subject.CN":
            out.append(
                Finding(
                    "cn-changed",
                    _W,
                    f"The CA changed the CN the CSR asked for: {entry.requested} -> "
                    f"{entry.issued}.",
                    "Check that this is the certificate for this CSR; if it is, ask the CA to "
                    "re-issue with the requested CN (servers may refuse or mis-install it).",
                    both,
                )
            )
    # EKU/KU are only "dropped" when the certificate restricts usage and leaves the bit out.
    if req.extended_key_usage and cert.extended_key_usage:
        dropped = [e for e in req.extended_key_usage if e not in cert.extended_key_usage]
        if dropped:
            if "clientAuth" in dropped:
                hint = (
                    "Without clientAuth the certificate cannot act as a TLS client, so "
                    "server-to-server mutual TLS breaks. Public CAs are phasing clientAuth out "
                    "of server certificates (2025-2027, Google's Chrome Root Program Policy): "
                    "use a CA template that still includes it, or confirm the service does not "
                    "need it."
                )
            else:
                hint = "Ask the CA to re-issue with the requested extended key usages."
            out.append(
                Finding(
                    "eku-dropped",
                    _W,
                    f"Requested extended key usage not issued: {', '.join(dropped)}.",
                    hint,
                    both,
                )
            )
    if req.key_usage and cert.key_usage:
        dropped = [k for k in req.key_usage if k not in cert.key_usage]
        if dropped:
            out.append(
                Finding(
                    "ku-dropped",
                    _I,
                    f"Requested key usage not issued: {', '.join(dropped)}.",
                    "Often a CA template choice; it matters when the service needs it (for "
                    "example keyEncipherment for RSA key exchange). Ask the CA if in doubt.",
                    both,
                )
            )
    return out
