"""Validity and chain rules: dates, signature hashes, the trust store, bundles, duplicate CAs."""

from __future__ import annotations

import re

from certmatch.analysis.match import common_name, is_self_signed
from certmatch.model import ArtefactKind, Finding, Severity
from certmatch.rules.cisco_uc import products
from certmatch.rules.cisco_uc import purpose as uc_purpose
from certmatch.rules.cisco_uc.references import (
    REF_DUPLICATE_SUBJECT,
    REF_EXPIRED,
    REF_NOT_YET_VALID,
    REF_SHA1,
    REF_TRUST,
    REF_TRUST_EXPIRED,
    REF_UPLOAD,
)
from certmatch.rules.cisco_uc.scene import Scene, chain_or_all, describe, uc_finding


def validity(s: Scene) -> list[Finding]:
    findings = []
    now = s.ctx.now
    for i in s.certificates:
        cert = s.art(i)
        if cert.not_after is not None and cert.not_after < now:
            findings.append(_expired(s, i))
        elif cert.not_before is not None and cert.not_before > now:
            findings.append(
                uc_finding(
                    "uc-not-yet-valid",
                    Severity.WARNING,
                    f"The {_role(s, i)} {cert.source} is not valid before "
                    f"{cert.not_before:%Y-%m-%d %H:%M} UTC.",
                    "Wait until then to upload it, or check the server's and the CA's clocks.",
                    [i],
                    REF_NOT_YET_VALID,
                )
            )
    return findings


def _role(s: Scene, i: int) -> str:
    if i == s.leaf:
        return "server certificate"
    return "CA certificate" if s.art(i).is_ca else "certificate"


def _expired(s: Scene, i: int) -> Finding:
    """uc-expired for a certificate that is used (the server's, or a CA of its chain), else
    uc-trust-expired for a CA certificate given besides."""
    cert = s.art(i)
    day = f"{cert.not_after:%Y-%m-%d}"
    if cert.is_ca and i not in s.chain:
        upgrade = (
            f"{products.label(s.product)} does not import expired trust certificates when it "
            "upgrades to 12.5(1)SU6, 14SU2 or later"
            if s.product in ("cucm", "imp")
            else "it anchors no chain"
        )
        return uc_finding(
            "uc-trust-expired",
            Severity.WARNING,
            f"The CA certificate {cert.source} expired on {day}: {upgrade} {s.product_note}.",
            f"Leave it out of {s.trust}; upload the CA's current certificate instead if "
            "certificates it issued are still in use.",
            [i],
            REF_TRUST_EXPIRED,
        )
    in_chain = cert.is_ca and i != s.leaf
    return uc_finding(
        "uc-expired",
        Severity.ERROR,
        f"The {_role(s, i)} {cert.source} expired on {day}"
        + (", so the server certificate's chain does not validate." if in_chain else "."),
        "Get the CA's current certificate and upload it to " + s.trust + "."
        if in_chain
        else "Ask the CA for a new certificate (renew with a fresh CSR from the server).",
        [i],
        REF_EXPIRED,
    )


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
                + ": CUCM in FIPS mode makes SHA-256 CSRs and certificates only, and browsers "
                "distrust SHA-1.",
                "Ask the CA to issue with SHA-256 (and to use a SHA-256 intermediate). A SHA-1 "
                "and a SHA-256 root with the same subject cannot share a trust store (the later "
                "one replaces the other): a new SHA-256 root needs a new name (Security Guide "
                "14).",
                sha1,
                REF_SHA1,
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


_ISSUER_CN = re.compile(r"(?:^|,)CN=((?:[^,\\]|\\.)+)")


def chain_incomplete(s: Scene) -> list[Finding]:
    if s.leaf is None:
        return []
    top = s.art(s.chain[-1])
    if is_self_signed(top):
        return []
    # The error text is CUCM's (TAC 217138); no Expressway wording was found.
    refusal = (
        f"the chain validates only once it is in {s.trust}"
        if s.expressway
        else 'CUCM refuses it with "CA Certificate is Not Available in the Trust-Store"'
    )
    # The issuer's CN keeps the message short; the full name is the certificate's issuer field.
    cn = _ISSUER_CN.search(top.issuer or "")
    issuer = f"CN={cn.group(1)}" if cn else top.issuer
    return [
        uc_finding(
            "uc-chain-incomplete",
            Severity.WARNING,
            f"{top.source}'s CA is not given: {refusal}.",
            f"Upload {issuer} (root first) to {s.trust} if absent; then {top.source} to "
            f"{uc_purpose.identity_store(s.purpose)}.",
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


def duplicate_subject(s: Scene) -> list[Finding]:
    """Two different CA certificates with one subject (Expressway: one CN) among those given."""
    by_name: dict[str, list[int]] = {}
    seen: set[str] = set()
    for i in s.certificates:
        cert = s.art(i)
        if not (cert.is_ca or is_self_signed(cert)) or cert.public_pem in seen:
            continue  # the same certificate given twice (PEM and DER) is one certificate
        seen.add(cert.public_pem)
        name = f"CN={common_name(cert)}" if s.expressway else cert.subject
        if name:
            by_name.setdefault(name.lower(), []).append(i)
    findings = []
    for group in by_name.values():
        if len(group) < 2:
            continue
        listed = ", ".join(s.art(i).source for i in group)
        if s.expressway:
            message = (
                f"{listed} are CA certificates with the same common name: Expressway cannot "
                f"trust two of them {s.product_note}."
            )
            hint = (
                "Upload only the current one; if both are needed, one must be issued under "
                "another common name."
            )
        else:
            message = (
                f"{listed} are CA certificates with the same subject: CUCM keeps one "
                "certificate per subject in a trust store (the one with the later notBefore), "
                f"so SHA-1 and SHA-256 roots of one name cannot coexist {s.product_note}."
            )
            hint = (
                f"Upload only the one that issued the server certificate to {s.trust}; a new "
                'root that must coexist needs a new name (for example "...-CA-G2").'
            )
        findings.append(
            uc_finding(
                "uc-duplicate-subject",
                Severity.WARNING,
                message,
                hint,
                group,
                REF_DUPLICATE_SUBJECT,
            )
        )
    return findings
