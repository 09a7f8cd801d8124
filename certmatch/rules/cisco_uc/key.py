"""Key rules: another key than the CSR's, a CA certificate instead of the server's, a key too large."""

from __future__ import annotations

from collections.abc import Sequence

from certmatch.analysis.match import common_name, is_requester
from certmatch.model import Artefact, ArtefactKind, Finding, Severity
from certmatch.rules.cisco_uc.references import REF_KEY_SIZE, REF_MISMATCH, REF_UPLOAD
from certmatch.rules.cisco_uc.scene import (
    CERT_SUFFIXES,
    Scene,
    describe,
    key_id,
    requesters,
    subjects,
    uc_finding,
)
from certmatch.rules.inputs import non_modulus_reason

MAX_RSA_BITS = 4096


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
            f"No CSR, key or hash given carries the public key of {arts[c].source} "
            f"({key_id(arts[c])}): CUCM would refuse it with "
            '"CSR Public Key and Certificate Public Key Do Not Match".',
            "Give the CSR this certificate was issued for, or leave the certificate out if "
            "it belongs to another server.",
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
        f"{cert.source} does not carry the public key of {req.source} "
        f"({key_id(cert)} vs {key_id(req)}): CUCM refuses it with "
        '"CSR Public Key and Certificate Public Key Do Not Match".',
        hint,
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
            REF_MISMATCH,
        )
    ]


def rsa_too_large(s: Scene) -> list[Finding]:
    big = [
        i
        for i in subjects(s)
        if s.art(i).key.algorithm in ("RSA", "RSA-PSS") and (s.art(i).key.size or 0) > MAX_RSA_BITS
    ]
    if not big:
        return []
    size = s.art(big[0]).key.size
    return [
        uc_finding(
            "uc-rsa-too-large",
            Severity.ERROR,
            f"RSA key of {size} bits: Cisco UC servers accept at most {MAX_RSA_BITS}.",
            "Generate a new CSR with a 2048, 3072 or 4096 bit key and have it signed.",
            big,
            REF_KEY_SIZE,
        )
    ]
