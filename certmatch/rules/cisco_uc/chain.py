"""Validity and chain rules: dates, signature hashes, the trust store and bundles."""

from __future__ import annotations

from certmatch.analysis.match import is_self_signed
from certmatch.model import ArtefactKind, Finding, Severity
from certmatch.rules.cisco_uc import purpose as uc_purpose
from certmatch.rules.cisco_uc.references import REF_FIPS, REF_SECURITY_GUIDE, REF_TRUST, REF_UPLOAD
from certmatch.rules.cisco_uc.scene import Scene, chain_or_all, describe, uc_finding


def validity(s: Scene) -> list[Finding]:
    findings = []
    now = s.ctx.now
    for i in s.certificates:
        cert = s.art(i)
        role = (
            "server certificate"
            if i == s.leaf
            else "CA certificate"
            if cert.is_ca
            else "certificate"
        )
        if cert.not_after is not None and cert.not_after < now:
            findings.append(
                uc_finding(
                    "uc-expired",
                    Severity.ERROR,
                    f"The {role} {cert.source} expired on {cert.not_after:%Y-%m-%d}.",
                    "Ask the CA for a new certificate (renew with a fresh CSR from the server)."
                    if i == s.leaf or not cert.is_ca
                    else "Get the CA's current certificate and upload it to " + s.trust + ".",
                    [i],
                    REF_SECURITY_GUIDE,
                )
            )
        elif cert.not_before is not None and cert.not_before > now:
            findings.append(
                uc_finding(
                    "uc-not-yet-valid",
                    Severity.WARNING,
                    f"The {role} {cert.source} is not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC.",
                    "Wait until then to upload it, or check the server's and the CA's clocks.",
                    [i],
                    REF_SECURITY_GUIDE,
                )
            )
    return findings


def sha1(s: Scene) -> list[Finding]:
    findings = []
    # A root's self-signature is never checked, so only the leaf and intermediates count.
    signed = [i for i in chain_or_all(s) if not is_self_signed(s.art(i))]
    sha1 = [i for i in signed if "sha1" in (s.art(i).signature_algorithm or "").lower()]
    md5 = [i for i in signed if "md5" in (s.art(i).signature_algorithm or "").lower()]
    if sha1:
        findings.append(
            uc_finding(
                "uc-sha1",
                Severity.WARNING,
                "SHA-1 signature on "
                + ", ".join(f"{s.art(i).source} ({s.art(i).signature_algorithm})" for i in sha1)
                + ": refused in FIPS mode and by current clients.",
                "Ask the CA to issue with SHA-256 (and to use a SHA-256 intermediate).",
                sha1,
                REF_FIPS,
            )
        )
    if md5:
        findings.append(
            Finding(
                "weak-signature",
                Severity.ERROR,
                "MD5 signature on " + ", ".join(s.art(i).source for i in md5) + ".",
                "Ask the CA to issue with SHA-256.",
                tuple(md5),
            )
        )
    return findings


def chain_incomplete(s: Scene) -> list[Finding]:
    if s.leaf is None:
        return []
    top = s.art(s.chain[-1])
    if is_self_signed(top):
        return []
    return [
        uc_finding(
            "uc-chain-incomplete",
            Severity.WARNING,
            f"The issuer {top.issuer} of {top.source} is not among the given certificates: "
            'CUCM refuses the upload with "CA Certificate is Not Available in the Trust-Store" '
            f"unless it is already in {s.trust}.",
            f"Upload the root, then each intermediate, to {s.trust} first; then the server "
            f"certificate to {uc_purpose.identity_store(s.purpose)}.",
            s.chain,
            REF_TRUST,
        )
    ]


def bundle(s: Scene) -> list[Finding]:
    arts = s.ctx.artifacts
    findings = []
    for bundle in s.ctx.bundles:
        certs = [i for i in bundle if arts[i].kind is ArtefactKind.CERTIFICATE]
        if len(certs) < 2:
            continue
        server = s.leaf if s.leaf in certs else None
        issuers = [i for i in reversed(s.chain[1:]) if i in certs]
        others = [i for i in certs if i != server and i not in issuers]
        order = [*issuers, *others]
        steps = ", then ".join(describe(arts[i]) for i in order)
        which = (
            f"the server certificate is {describe(arts[server])}"
            if server is not None
            else "none of them is the server certificate"
        )
        findings.append(
            uc_finding(
                "uc-bundle",
                Severity.INFO,
                f"{len(certs)} certificates arrived in one file; {which}.",
                f"Upload one certificate per file: {steps} to {s.trust}"
                + (
                    f"; then {arts[server].source} to {uc_purpose.identity_store(s.purpose)}."
                    if server is not None
                    else "."
                ),
                certs,
                REF_UPLOAD,
            )
        )
    return findings
