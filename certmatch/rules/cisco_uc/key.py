"""Key rules: another key than the CSR's, a CA certificate in the server's place, key size and type."""

from __future__ import annotations

from collections.abc import Sequence

from certmatch.analysis.match import common_name, is_requester, is_self_signed
from certmatch.model import Artefact, ArtefactKind, Finding, Severity
from certmatch.rules.cisco_uc.references import (
    REF_CA_AS_LEAF,
    REF_ECDSA,
    REF_KEY_SIZE,
    REF_MISMATCH,
    REF_UPLOAD,
)
from certmatch.rules.cisco_uc.scene import (
    CERT_SUFFIXES,
    Scene,
    describe,
    requesters,
    subjects,
    uc_finding,
)
from certmatch.rules.inputs import non_modulus_reason

MAX_RSA_BITS = 4096  # CUCM and VOS (Security Guide 14)
CALLMANAGER_SAFE_BITS = 2048  # some phones fail to register above it (Security Guide 14)
UCCX_RSA_BITS = frozenset({1024, 2048})  # TAC 118855
EXPRESSWAY_BROKEN_BITS = 8192  # SIP TLS zones fail (Expressway guide, Troubleshooting)
# Products whose documents require RSA signatures from the CA (CUIC guide; CUCM 12.5(1)SU3
# Administration Guide for third-party CA certificates).
RSA_SIGNED_PRODUCTS = frozenset({"cucm", "cuic"})


# The headline's message names the current error; what older releases print goes in the hint.
_OLDER_RELEASES = (
    'Older releases say "Error reading the certificate" or "...could not be uploaded".'
)


def key_mismatch(s: Scene) -> list[Finding]:
    arts = s.ctx.artifacts
    # A pasted md5 of an openssl error text is hash-not-modulus's business, not a mismatch.
    comparable = [
        r for r, a in enumerate(arts) if is_requester(a) and non_modulus_reason(a) is None
    ]
    # Server certificates no CSR/key/hash belongs to: what the CA sent for the wrong key.
    orphans = s.pairing.unmatched_servers
    if not comparable or not orphans:
        return []  # nothing to blame: uc-ca-as-leaf, or the certificate is not given yet
    unmatched = [r for r in s.pairing.unmatched_requesters if r in comparable]
    if unmatched:
        return [_mismatch(s, r, _likely_partner(arts, r, orphans)) for r in unmatched]
    # Every CSR/key has its certificate; these extra ones belong to none of them.
    return [
        uc_finding(
            "uc-key-mismatch",
            Severity.ERROR,
            f"No CSR, key or hash given carries the key of {arts[c].source}: CUCM would "
            'refuse it with "CSR Public Key and Certificate Public Key Do Not Match".',
            "Give the CSR this certificate was issued for, or leave the certificate out if "
            f"it belongs to another server. {_OLDER_RELEASES}",
            [c],
            REF_MISMATCH,
        )
        for c in orphans
    ]


def _likely_partner(arts: Sequence[Artefact], r: int, orphans: Sequence[int]) -> int:
    """The certificate most likely meant for requester `r`: same CN first."""
    cn = (common_name(arts[r]) or "").lower()
    return next((c for c in orphans if (common_name(arts[c]) or "").lower() == cn), orphans[0])


def _mismatch(s: Scene, r: int, c: int) -> Finding:
    req, cert = s.art(r), s.art(c)
    req_cn, cert_cn = common_name(req), common_name(cert)
    if req.kind is not ArtefactKind.CSR:
        hint = (
            "This key did not generate the CSR the certificate was issued for. If the CSR was "
            "regenerated after it was submitted, send the current CSR to the CA for a new "
            "certificate."
        )
    elif req_cn and cert_cn and req_cn.lower() == cert_cn.lower():
        hint = (
            "Same host name, different key: the CSR was regenerated after it was submitted, "
            "which replaced the pending key. Send the current CSR to the CA for a new "
            "certificate, and do not regenerate it again until the certificate is uploaded."
        )
    else:
        hint = (
            f"The certificate was issued for another request (CN={cert_cn}). Find the "
            "certificate issued for this CSR, or send this CSR to the CA."
        )
    return uc_finding(
        "uc-key-mismatch",
        Severity.ERROR,
        f"{cert.source} does not carry the key of {req.source}: CUCM refuses it with "
        '"CSR Public Key and Certificate Public Key Do Not Match".',
        f"{hint} {_OLDER_RELEASES}",
        [r, c],
        REF_MISMATCH,
    )


def ca_as_leaf(s: Scene) -> list[Finding]:
    arts = s.ctx.artifacts
    certs = s.certificates
    given = requesters(arts)
    if not given:
        return []
    if not certs:
        # The CA's reply saved as .cer but holding the request itself.
        csrs = [
            i
            for i in given
            if arts[i].kind is ArtefactKind.CSR and arts[i].source.lower().endswith(CERT_SUFFIXES)
        ]
        if not csrs:
            return []
        return [
            uc_finding(
                "uc-ca-as-leaf",
                Severity.ERROR,
                f"{arts[csrs[0]].source} is a certificate signing request, not a certificate: "
                "CUCM cannot read it as a certificate.",
                "Download the issued certificate from the CA (Base-64, certificate only) and "
                "upload that instead.",
                csrs,
                REF_UPLOAD,
            )
        ]
    cas = s.pairing.ca_as_leaf
    if not cas:
        return []
    names = ", ".join(describe(arts[c]) for c in cas)
    return [
        uc_finding(
            "uc-ca-as-leaf",
            Severity.ERROR,
            f"CA certificate given where the server certificate was expected ({names}); the "
            f"certificate issued for {arts[given[0]].source} is missing.",
            f"Upload these to {s.trust}, then ask the CA for the server certificate issued for "
            "this CSR (CA:FALSE, carrying the CSR's key).",
            [*given, *cas],
            REF_CA_AS_LEAF,
        )
    ]


def key_size(s: Scene) -> list[Finding]:
    """RSA key sizes each product takes (uc-key-size; formerly uc-rsa-too-large)."""
    rsa = [i for i in subjects(s) if _is_rsa(s.art(i))]
    findings = []
    if s.product == "uccx":
        odd = [i for i in rsa if s.art(i).key.size not in UCCX_RSA_BITS]
        if odd:
            findings.append(
                _key_size(
                    s,
                    odd,
                    Severity.ERROR,
                    "UCCX supports only 1024 and 2048 bit keys",
                    "Generate a new CSR with a 2048 bit key and have it signed.",
                )
            )
        return findings
    if s.expressway:
        huge = [i for i in rsa if (s.art(i).key.size or 0) >= EXPRESSWAY_BROKEN_BITS]
        if huge:
            findings.append(
                _key_size(
                    s,
                    huge,
                    Severity.ERROR,
                    "Expressway SIP TLS zones fail with 8192-bit keys",
                    "Generate the CSR on the Expressway with a 2048 or 4096 bit key.",
                )
            )
        return findings
    big = [i for i in rsa if (s.art(i).key.size or 0) > MAX_RSA_BITS]
    if big:
        findings.append(
            _key_size(
                s,
                big,
                Severity.ERROR,
                f"CUCM and the other Unified OS servers accept at most {MAX_RSA_BITS} bits",
                "Generate a new CSR with a 2048, 3072 or 4096 bit key (2048 for CallManager) "
                "and have it signed.",
            )
        )
    elif s.product == "cucm" and (s.purpose or "").startswith("CallManager"):
        over = [i for i in rsa if (s.art(i).key.size or 0) > CALLMANAGER_SAFE_BITS]
        if over:
            findings.append(
                _key_size(
                    s,
                    over,
                    Severity.WARNING,
                    "some phone models may fail to register when the CallManager key is "
                    "longer than 2048 bits",
                    "Unless every phone model in the cluster is known to take it, generate the "
                    "CallManager CSR with a 2048 bit key.",
                )
            )
    if s.product == "cucm":
        cas = [
            i
            for i in s.certificates
            if s.art(i).is_ca and _is_rsa(s.art(i)) and (s.art(i).key.size or 0) >= MAX_RSA_BITS
        ]
        if cas:
            findings.append(
                _key_size(
                    s,
                    cas,
                    Severity.WARNING,
                    "in mixed mode some endpoints may not accept CA certificates with a key of "
                    "4096 bits or longer",
                    "If the cluster is in mixed mode, check the endpoints' support before "
                    "uploading this CA, or use a CA with a 2048 or 3072 bit key.",
                    what="CA certificate with an RSA key of",
                )
            )
    return findings


def _key_size(
    s: Scene,
    indexes: Sequence[int],
    severity: Severity,
    limit: str,
    hint: str,
    *,
    what: str = "RSA key of",
) -> Finding:
    sizes = sorted({s.art(i).key.size or 0 for i in indexes})
    listed = ", ".join(s.art(i).source for i in indexes)
    return uc_finding(
        "uc-key-size",
        severity,
        f"{what} {'/'.join(map(str, sizes))} bits ({listed}): {limit} {s.product_note}.",
        hint,
        indexes,
        REF_KEY_SIZE,
    )


def ecdsa(s: Scene) -> list[Finding]:
    """An EC key or a non-RSA CA signature where the product takes only RSA (uc-ecdsa)."""
    findings = []
    if s.product == "uccx":
        ec = [i for i in subjects(s) if s.art(i).key.algorithm == "EC"]
        if ec:
            findings.append(
                uc_finding(
                    "uc-ecdsa",
                    Severity.ERROR,
                    "ECDSA key ("
                    + ", ".join(s.art(i).source for i in ec)
                    + f"): UCCX removed ECDSA from the solution in 11.6 {s.product_note}.",
                    "Generate an RSA CSR (2048 bits) on UCCX and have it signed.",
                    ec,
                    REF_ECDSA,
                )
            )
    if s.product in RSA_SIGNED_PRODUCTS:
        issued = [i for i in s.certificates if not is_self_signed(s.art(i)) or s.art(i).is_ca]
        signed = [i for i in issued if _signature_not_rsa(s.art(i))]
        if signed:
            what = (
                "the CA certificate must be RSA-signed"
                if s.product == "cuic"
                else "a third-party CA certificate's signature algorithm must use RSA "
                "(12.5(1)SU3 Administration Guide)"
            )
            findings.append(
                uc_finding(
                    "uc-ecdsa",
                    Severity.ERROR,
                    "Signature that is not RSA on "
                    + ", ".join(
                        f"{s.art(i).source} ({s.art(i).signature_algorithm})" for i in signed
                    )
                    + f": {what} {s.product_note}.",
                    "Have the certificate issued by an RSA CA (RSA root and intermediates).",
                    signed,
                    REF_ECDSA,
                )
            )
    return findings


def _is_rsa(artefact: Artefact) -> bool:
    return artefact.key.algorithm in ("RSA", "RSA-PSS") and artefact.key.size is not None


def _signature_not_rsa(artefact: Artefact) -> bool:
    name = (artefact.signature_algorithm or "").lower()
    return bool(name) and "rsa" not in name
