"""The note to the CA: a ready-to-send, plain-text re-issue request, when the findings call for one.

Used for every profile. It names the CSR by its CN and key hashes (never key material), says
what was wrong with the certificate received, and lists exactly what to keep or restore:
subject, SANs, extended key usage, key usage, CA flag, signature hash.
"""

from __future__ import annotations

from collections.abc import Sequence

from certmatch import lazyre
from certmatch.analysis.context import CheckContext
from certmatch.analysis.diff import san_key
from certmatch.analysis.match import common_name
from certmatch.keys import same_key
from certmatch.model import Artefact, ArtefactKind, Finding, Severity
from certmatch.wrap import wrap

# Findings that mean the CA must issue again (key-mismatch: issue for the right CSR).
_REISSUE_CODES = frozenset(
    {
        "key-mismatch",
        "uc-key-mismatch",
        "ca-as-leaf",
        "uc-ca-as-leaf",
        "san-dropped",
        "uc-san-mismatch",
        "eku-dropped",
        "uc-eku-client-dropped",
        "uc-eku-server-missing",
        "uc-eku-purpose",
        "uc-critical-extension",
        "ku-dropped",
        "uc-ku-dropped",
        "uc-capf-not-ca",
        "cn-changed",
        "uc-cn-changed",
        "weak-signature",
        "uc-sha1",
        "cert-expired",
        "uc-expired",
        "uc-wildcard",
    }
)
_WIDTH = 78
_FIELD = lazyre.Pattern(r"^ +[A-Za-z0-9 -]+: {2,}")

# The CA handed over the wrong file, rather than a wrong certificate.
_WRONG_FILE_CODES = frozenset({"ca-as-leaf", "uc-ca-as-leaf"})

_KU_LABELS = {
    "digitalSignature": "Digital Signature",
    "nonRepudiation": "Non Repudiation",
    "keyEncipherment": "Key Encipherment",
    "dataEncipherment": "Data Encipherment",
    "keyAgreement": "Key Agreement",
    "keyCertSign": "Certificate Sign",
    "cRLSign": "CRL Sign",
    "encipherOnly": "Encipher Only",
    "decipherOnly": "Decipher Only",
}
_EKU_LABELS = {
    "serverAuth": "TLS Web Server Authentication (serverAuth)",
    "clientAuth": "TLS Web Client Authentication (clientAuth)",
    "ipsecEndSystem": "IPSec End System (ipsecEndSystem)",
    "ipsecIKE": "IP Security IKE Intermediate (ipsecIKE)",
}


def ku_label(name: str) -> str:
    """Key usage bit as openssl and the Windows certificate dialog print it."""
    return _KU_LABELS.get(name, name)


def eku_label(name: str) -> str:
    return _EKU_LABELS.get(name, name)


def san_set(artefact: Artefact) -> frozenset[str]:
    """DNS and IP SANs compared as servers compare them: order and DNS case ignored."""
    return frozenset(san_key(san) for san in artefact.sans if san.startswith(("DNS:", "IP:")))


def ca_note(ctx: CheckContext, findings: Sequence[Finding]) -> str | None:
    """The re-issue request, or None when nothing the CA did needs doing again."""
    reasons = [f for f in findings if _needs_reissue(f, ctx)]
    if not reasons:
        return None
    csr = _csr(ctx)
    received = _received(ctx)
    exact = any(f.code.startswith("uc-") for f in findings)
    wrong_file = all(f.code in _WRONG_FILE_CODES for f in reasons)

    name = common_name(csr) if csr is not None else None
    lines = [
        f"Subject: certificate re-issue request{' for ' + name if name else ''}",
        "",
        "Hello,",
        "",
    ]
    if wrong_file:
        lines.append(
            "please send us the server certificate issued for the certificate signing request "
            "(CSR) below. What we received is not it:"
        )
    else:
        lines.append(
            "please issue a new certificate for the certificate signing request (CSR) below. "
            "The certificate we received"
            + (f" (serial {received.serial}, issued by {received.issuer})" if received else "")
            + " cannot be used:"
        )
    lines += [f"- {f.message}" for f in reasons]
    lines.append("")
    if csr is not None:
        lines += _csr_block(csr)
        lines.append("")
        # A usage bit is asked back only when a finding names it: the profile may have found it
        # unneeded (Key Agreement and IPSec End System for tomcat).
        named = " ".join(f.message for f in findings)
        lines += _wanted_block(
            csr, _matched_leaf(ctx, csr), exact=exact, wrong_file=wrong_file, named=named
        )
        lines.append("")
    lines += [
        "Please send the server certificate as Base-64 (PEM), one certificate per file, with "
        "the root and any intermediate CA certificates as separate files.",
        "",
        "Thank you.",
    ]
    return "\n".join(wrapped for line in lines for wrapped in _wrap(line)) + "\n"


def _needs_reissue(finding: Finding, ctx: CheckContext) -> bool:
    if finding.code not in _REISSUE_CODES or finding.severity is Severity.INFO:
        return False
    if finding.code in ("cert-expired", "uc-expired"):
        # An expired CA certificate is replaced from the CA's site, not re-issued.
        return any(i == ctx.leaf or not ctx.artifacts[i].is_ca for i in finding.artifacts)
    if finding.code == "uc-wildcard":
        # A wildcard the CSR asked for needs a new CSR, not a new signature.
        csr = _csr(ctx)
        return csr is None or not any("*" in value for value in (*csr.sans, common_name(csr) or ""))
    if finding.code == "weak-signature":
        # A CSR's own weak self-signature is not the CA's to fix.
        return not finding.artifacts or any(
            ctx.artifacts[i].kind is ArtefactKind.CERTIFICATE for i in finding.artifacts
        )
    return True


def _csr(ctx: CheckContext) -> Artefact | None:
    """The CSR to sign: the one the leaf was judged against, else the first given."""
    if ctx.requested is not None:
        requested = ctx.artifacts[ctx.requested]
        if requested.kind is not ArtefactKind.CERTIFICATE:
            return requested
    return next((a for a in ctx.artifacts if a.kind is ArtefactKind.CSR), None)


def _received(ctx: CheckContext) -> Artefact | None:
    if ctx.leaf is not None:
        return ctx.artifacts[ctx.leaf]
    return next(
        (a for a in ctx.artifacts if a.kind is ArtefactKind.CERTIFICATE and not a.is_ca), None
    )


def _matched_leaf(ctx: CheckContext, csr: Artefact) -> Artefact | None:
    leaf = _received(ctx)
    return leaf if leaf is not None and same_key(leaf.key, csr.key) else None


def _csr_block(csr: Artefact) -> list[str]:
    what = "The CSR to sign" if csr.kind is ArtefactKind.CSR else "The public key to certify"
    lines = [f"{what} ({csr.source})"]
    if csr.subject:
        lines.append(f"  Subject:        {_dn(csr)}")
    if csr.key.size:
        lines.append(f"  Key:            {csr.key.algorithm} {csr.key.size} bits")
    if csr.key.modulus_md5:
        lines.append(f"  Modulus MD5:    {csr.key.modulus_md5}")
    if csr.key.spki_sha256:
        lines.append(f"  SPKI SHA-256:   {csr.key.spki_sha256}")
    if csr.kind is ArtefactKind.CSR and csr.key.modulus_md5:
        lines.append(
            f"  (check: openssl req -noout -modulus -in {_base(csr.source)} | openssl md5)"
        )
    return lines


def _wanted_block(
    csr: Artefact, leaf: Artefact | None, *, exact: bool, wrong_file: bool, named: str
) -> list[str]:
    """What the certificate must carry, each line saying what the received one got wrong."""
    lines = ["The certificate must carry:" if wrong_file else "Please issue the certificate with:"]
    if csr.kind is not ArtefactKind.CSR:
        lines.append("  - exactly this public key (sign our CSR for it; do not generate a new key)")
        return lines
    lines.append("  - the public key in this CSR (do not generate a new key pair)")
    if csr.subject:
        # Only the CN is asked back: a public CA may not put an OU in a TLS certificate since
        # 2022-09-01 (CA/Browser Forum ballot SC47v2) and may leave out O, L, ST and C too.
        changed = ""
        if leaf is not None:
            missing = [
                f"{k}={v}"
                for k, v in csr.subject_rdns
                if k == "CN" and (k, v) not in leaf.subject_rdns
            ]
            changed = f" (restore: {', '.join(missing)})" if missing else ""
        lines.append(f"  - subject as requested: {_dn(csr)}{changed}")
    if csr.sans:
        note = ""
        if leaf is not None:
            dropped = sorted(san_set(csr) - san_set(leaf))
            added = sorted(san_set(leaf) - san_set(csr))
            parts = ([f"restore {', '.join(dropped)}"] if dropped else []) + (
                [f"leave out {', '.join(added)}"] if added and exact else []
            )
            note = f" ({'; '.join(parts)})" if parts else ""
        scope = "exactly these, nothing added" if exact else "at least these"
        lines.append(f"  - subject alternative names, {scope}: {', '.join(csr.sans)}{note}")
    if csr.extended_key_usage:
        missing = [
            e
            for e in _missing(csr.extended_key_usage, leaf.extended_key_usage if leaf else None)
            if e in named
        ]
        lines.append(
            "  - extended key usage: "
            + ", ".join(eku_label(e) for e in csr.extended_key_usage)
            + (f" (restore {', '.join(missing)})" if missing else "")
        )
        if "clientAuth" in csr.extended_key_usage:
            lines.append(
                "    clientAuth is required: the server also authenticates as a TLS client. "
                "Public CAs are phasing it out under Google's Chrome Root Program Policy (Cisco "
                "field notice FN74345 gives March 2027); if you can no longer issue it, please "
                "tell us rather than issuing without it."
            )
    if csr.key_usage:
        missing = [
            k
            for k in _missing(csr.key_usage, leaf.key_usage if leaf else None)
            if k in named or ku_label(k) in named
        ]
        lines.append(
            "  - key usage: "
            + ", ".join(ku_label(k) for k in csr.key_usage)
            + (f" (restore {', '.join(ku_label(k) for k in missing)})" if missing else "")
        )
    if csr.basic_constraints_ca or "keyCertSign" in csr.key_usage:
        lines.append(
            "  - basic constraints CA:TRUE (a subordinate CA certificate: this is for Cisco CAPF, "
            "which issues phone certificates)"
        )
    lines.append("  - a SHA-256 (or stronger) signature, from a SHA-256 intermediate")
    return lines


def _missing(requested: Sequence[str], issued: Sequence[str] | None) -> list[str]:
    if not issued:
        return []  # absent extension: nothing restricted, or nothing received to compare
    return [value for value in requested if value not in issued]


def _dn(artefact: Artefact) -> str:
    """The subject in the order the CSR carries it, as the CA's request form shows it."""
    return ", ".join(f"{k}={v}" for k, v in artefact.subject_rdns)


def _wrap(line: str) -> list[str]:
    """Lines of at most _WIDTH characters for an e-mail or ticket; list items hang-indented."""
    if len(line) <= _WIDTH or _FIELD.match(line):
        return [line]  # "  Modulus MD5:    <hash>" reads best unbroken
    body = line.lstrip(" ")
    indent = " " * (len(line) - len(body))
    hang = indent + ("  " if body.startswith("- ") else "")
    return wrap(line, _WIDTH, subsequent_indent=hang)


def _base(source: str) -> str:
    return source.replace("\\", "/").rsplit("/", 1)[-1].split(" [", 1)[0]
