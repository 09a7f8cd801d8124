"""Rules about each artefact on its own: CSR self-signature, validity, weak signatures and keys.

They read no pairing, so they judge a scan's key set exactly as they judge one check.
"""

from __future__ import annotations

from certmatch.analysis.context import CheckContext
from certmatch.model import ArtefactKind, Finding, Severity
from certmatch.rules.describe import day, describe

_E, _W = Severity.ERROR, Severity.WARNING


def csr_signature_invalid(ctx: CheckContext) -> list[Finding]:
    return [
        Finding(
            "csr-signature-invalid",
            _E,
            f"{a.source}: the CSR's self-signature does not verify.",
            "The CSR was altered after it was generated (edited, re-typed or damaged "
            "in transfer); a CA should refuse it. Copy the original file from the "
            "server again, or generate a new CSR.",
            (i,),
        )
        for i, a in enumerate(ctx.artifacts)
        if a.kind is ArtefactKind.CSR and a.signature_valid is False
    ]


def validity(ctx: CheckContext) -> list[Finding]:
    out = []
    for i, a in enumerate(ctx.artifacts):
        if a.kind is not ArtefactKind.CERTIFICATE or a.not_after is None or a.not_before is None:
            continue
        role = "CA certificate" if a.is_ca else "certificate"
        if a.not_after < ctx.now:
            out.append(
                Finding(
                    "cert-expired",
                    _E,
                    f"The {role} {describe(a)} expired on {day(a.not_after)}.",
                    "Get a current CA certificate from the CA."
                    if a.is_ca
                    else "Have the CA issue a new certificate (usually from a new CSR); "
                    "an expired certificate cannot be installed or used.",
                    (i,),
                )
            )
        elif a.not_before > ctx.now:
            out.append(
                Finding(
                    "cert-not-yet-valid",
                    _W,
                    f"The {role} {describe(a)} is valid only from {day(a.not_before)}.",
                    "Wait until then, or check the clock of the machine that will use it; "
                    "some servers refuse to install a certificate that is not yet valid.",
                    (i,),
                )
            )
    return out


def weak_hash(signature_algorithm: str | None) -> str | None:
    """ "MD5" or "SHA-1" when the signature algorithm uses that digest, else None."""
    name = (signature_algorithm or "").lower()
    if "md5" in name:
        return "MD5"
    if "sha1" in name or "sha-1" in name:
        return "SHA-1"
    return None


def weak_signatures(ctx: CheckContext) -> list[Finding]:
    out = []
    roots = set()
    for c in ctx.chain:
        a = ctx.artifacts[c]
        if a.subject == a.issuer and c == ctx.chain[-1]:
            roots.add(c)  # a root's self-signature is not checked by anyone
    for i, a in enumerate(ctx.artifacts):
        if a.kind is not ArtefactKind.CERTIFICATE or i in roots or a.signature_algorithm is None:
            continue
        if a.subject == a.issuer and a.is_ca:
            continue
        digest = weak_hash(a.signature_algorithm)
        if digest == "MD5":
            severity, hint = (
                _E,
                "MD5 signatures are forgeable and refused everywhere: have the CA re-issue "
                "with SHA-256.",
            )
        elif digest == "SHA-1":
            severity, hint = (
                _W,
                "SHA-1 signatures are refused by browsers and FIPS-mode servers: have the CA "
                "re-issue with SHA-256.",
            )
        else:
            continue
        out.append(
            Finding(
                "weak-signature",
                severity,
                f"{describe(a)} is signed with {digest} ({a.signature_algorithm}).",
                hint,
                (i,),
            )
        )
    return out


def weak_keys(ctx: CheckContext) -> list[Finding]:
    groups: dict[str, list[int]] = {}
    for i, a in enumerate(ctx.artifacts):
        k = a.key
        if k.size is None or k.match_id is None:
            continue
        weak = (
            (k.algorithm in ("RSA", "RSA-PSS") and k.size < 2048)
            or (k.algorithm == "DSA")
            or (k.algorithm == "EC" and k.size < 256)
        )
        if weak:
            groups.setdefault(k.match_id, []).append(i)
    out = []
    for indexes in groups.values():
        a = ctx.artifacts[indexes[0]]
        what = f"{a.key.algorithm} {a.key.size}-bit"
        hint = (
            "DSA is no longer accepted for TLS: generate an RSA (2048 bits or more) or EC "
            "P-256 key and a new CSR."
            if a.key.algorithm == "DSA"
            else "Generate a new key of at least 2048 bits (RSA) or P-256 (EC) and a new CSR; "
            "CAs and clients refuse keys this small."
        )
        names = ", ".join(ctx.artifacts[i].source for i in indexes)
        out.append(Finding("weak-key", _W, f"{names}: {what} key.", hint, tuple(indexes)))
    return out


def not_strict_der(ctx: CheckContext) -> list[Finding]:
    """Files read leniently (as openssl reads them) although they break a DER/RFC 5280 rule."""
    return [
        Finding(
            "not-strict-der",
            _W,
            f"{a.source}: the {a.kind.value} breaks a rule of DER or RFC 5280: "
            f"{'; '.join(a.der_violations)}. certmatch read it as openssl does, but some "
            "servers and libraries refuse it.",
            "If a server refuses this file, have it issued again by a current CA or tool; "
            "the names, key and hashes shown were read from it as it is.",
            (i,),
        )
        for i, a in enumerate(ctx.artifacts)
        if a.der_violations
    ]
