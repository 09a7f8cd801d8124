"""Rules about what was handed over together: key-mismatch, ca-as-leaf, nothing-to-compare."""

from __future__ import annotations

from collections.abc import Sequence

from certmatch.analysis.context import CheckContext
from certmatch.analysis.match import common_name, is_requester
from certmatch.model import Artefact, ArtefactKind, Finding, Severity
from certmatch.rules.describe import UPLOAD_ORDER, describe, file_of
from certmatch.rules.inputs import hash_artefact_not_modulus, non_modulus_reason

_E, _I = Severity.ERROR, Severity.INFO

# File names people give the certificate that came back (".pem" is too generic to tell).
_CERT_FILE_SUFFIXES = frozenset({".cer", ".crt", ".der", ".p7b", ".p7c"})


def key_findings(ctx: CheckContext) -> list[Finding]:
    arts, m = ctx.artifacts, ctx.match
    out: list[Finding] = []
    mentioned: set[int] = set()
    candidates: dict[int, int] = {}
    for p in ctx.pairs:
        if not p.match:
            candidates.setdefault(p.left, p.right)
    # The CSR each certificate was issued for, when one of those given carries its key.
    issued_for = {
        p.right: p.left for p in ctx.pairs if p.match and arts[p.left].kind is ArtefactKind.CSR
    }
    for r in m.unmatched_requesters:
        req = arts[r]
        reason = non_modulus_reason(req)
        if reason is not None:
            out.append(hash_artefact_not_modulus(r, req, reason))
            continue
        if r not in candidates:
            continue  # no certificate at all: nothing-to-compare says so
        c = candidates[r]
        mentioned.add(c)
        earlier = issued_for.get(c)
        if earlier is not None and req.kind is ArtefactKind.CSR:
            out.append(_regenerated(r, req, c, arts[c], earlier, arts[earlier]))
        else:
            out.append(key_mismatch(r, req, c, arts[c], ca_given=bool(m.ca_as_leaf)))
    if any(is_requester(a) and non_modulus_reason(a) is None for a in arts):
        for c in m.unmatched_servers:
            if c in mentioned:
                continue
            out.append(
                Finding(
                    "key-mismatch",
                    _E,
                    f"No CSR, key or hash given belongs to the certificate {describe(arts[c])}.",
                    "Find the CSR or private key this certificate was issued for (compare "
                    "modulus md5 / SPKI SHA-256 above), or leave the certificate out if it "
                    "is unrelated.",
                    (c,),
                )
            )
    return out


def _regenerated(
    r: int, req: Artefact, c: int, cert: Artefact, e: int, earlier: Artefact
) -> Finding:
    """Two CSRs and the certificate of one of them: the proof that the CSR was regenerated."""
    cn = common_name(req)
    same_host = bool(cn) and (common_name(earlier) or "").lower() == (cn or "").lower()
    what = f"a later CSR for {cn}" if same_host else "another CSR"
    return Finding(
        "key-mismatch",
        _E,
        f"{cert.source} was issued for {earlier.source}; {req.source} is {what} with another "
        f"key, so the CSR was regenerated after {earlier.source} was submitted.",
        f"If the server holds {req.source} now, the key {cert.source} needs is gone: send "
        f"the CA {req.source} and have the certificate re-issued, and do not regenerate the "
        "CSR again until the certificate is installed.",
        (r, c, e),
    )


def key_mismatch(
    r: int, req: Artefact, c: int, cert: Artefact, *, ca_given: bool = False
) -> Finding:
    """The CSR/key/hash `req` and the certificate `cert` do not share a key, with the likely
    cause (the check and the scan both build key-mismatch here)."""
    what = {
        ArtefactKind.CSR: "CSR",
        ArtefactKind.PRIVATE_KEY: "private key",
        ArtefactKind.PUBLIC_KEY: "public key",
        ArtefactKind.HASH: "pasted modulus md5",
    }[req.kind]
    message = f"{cert.source} does not carry the key of the {what} {req.source}"
    cause = ""
    req_cn, cert_cn = common_name(req), common_name(cert)
    if ca_given or cert.is_ca:
        cause = f": {cert.source} is the CA certificate, not the server certificate"
        hint = (
            "This is the CA certificate, not the server certificate: ask the CA for the "
            "certificate it issued for your CSR (the end-entity certificate). The CA "
            "certificate belongs in the trust store."
        )
    elif req.kind is ArtefactKind.CSR and req_cn and cert_cn and req_cn.lower() == cert_cn.lower():
        cause = f" (both name {req_cn}): the CSR was most likely regenerated after it was submitted"
        hint = (
            "If the CSR was regenerated after it was submitted, the key the CA signed is gone: "
            "send the CA the current CSR for a new certificate, and do not regenerate it again "
            "until the certificate is installed."
        )
    elif req.kind is ArtefactKind.CSR:
        cause = ": the certificate was issued for a different request" + (
            f" (CN={cert_cn})" if cert_cn else ""
        )
        hint = (
            "The certificate was issued for a different request (another host, or another "
            "CSR). Find the certificate issued for this CSR, or send this CSR to the CA."
        )
    elif req.kind is ArtefactKind.HASH:
        hint = (
            "Check that the md5 was taken on the server that generated the CSR (`openssl "
            "rsa -noout -modulus -in KEY | openssl md5`); if it was, the CSR was "
            "regenerated after submission and the certificate must be re-issued."
        )
    else:
        hint = (
            "This key did not generate the CSR this certificate was issued for. Find the key "
            "created with that CSR; if it is gone, generate a new CSR and have the CA re-issue."
        )
    return Finding("key-mismatch", _E, f"{message}{cause}.", hint, (r, c))


def ca_as_leaf(ctx: CheckContext) -> list[Finding]:
    arts = ctx.artifacts
    out = [
        Finding(
            "ca-as-leaf",
            _E,
            f"{describe(arts[c])} is a CA certificate, given where the server certificate "
            "was expected.",
            "Ask the CA for the server (end-entity) certificate issued for your CSR. Install "
            f"the CA certificates in the trust store ({UPLOAD_ORDER}).",
            (c,),
        )
        for c in ctx.match.ca_as_leaf
    ]
    if any(a.kind is ArtefactKind.CERTIFICATE for a in arts):
        return out
    # No certificate at all: was the CSR itself handed over as "the certificate"?
    from pathlib import PurePath  # only here: a check that has a certificate never needs it

    csrs = [i for i, a in enumerate(arts) if a.kind is ArtefactKind.CSR]
    seen: dict[str, int] = {}
    for i in csrs:
        a = arts[i]
        suffixes = [x.lower() for x in PurePath(file_of(a)).suffixes]
        named_as_cert = (
            bool(suffixes)
            and suffixes[-1] in _CERT_FILE_SUFFIXES
            and not {".csr", ".req"} & set(suffixes)
        )
        twin = seen.get(a.public_pem)
        if (named_as_cert and len(csrs) > 1) or twin is not None:
            out.append(
                Finding(
                    "ca-as-leaf",
                    _E,
                    f"{a.source} holds a certificate request (CSR), not a certificate"
                    + (f"; it is the same CSR as {arts[twin].source}" if twin is not None else "")
                    + ".",
                    "The CSR itself was handed over where the CA-signed certificate was "
                    "expected. Submit the CSR to the CA and use the certificate it returns.",
                    (i,),
                )
            )
        seen.setdefault(a.public_pem, i)
    return out


def private_key_present(ctx: CheckContext) -> list[Finding]:
    return [
        Finding(
            "private-key-present",
            Severity.WARNING,
            f"{a.source} contains a private key (only its public half was used).",
            "If this key has left the server it belongs to (chat, e-mail, a ticket), "
            "treat it as exposed: generate a new key and CSR and have the certificate "
            "re-issued. Next time compare without the key: run `openssl rsa -noout "
            "-modulus -in KEY | openssl md5` on the server and share only that line.",
            (i,),
        )
        for i, a in enumerate(ctx.artifacts)
        if a.kind is ArtefactKind.PRIVATE_KEY
    ]


def _requesters_among_themselves(arts: Sequence[Artefact]) -> str:
    """Without a certificate, still say whether the CSRs/keys given belong together."""
    groups: dict[str, list[str]] = {}
    for a in arts:
        if is_requester(a) and a.kind is not ArtefactKind.HASH and a.key.match_id is not None:
            groups.setdefault(a.key.match_id, []).append(a.source)
    if len(groups) == 1 and len(next(iter(groups.values()))) > 1:
        return f" {' and '.join(next(iter(groups.values())))} share one key."
    if len(groups) > 1:
        return (
            " The CSRs/keys given do not all share one key: "
            + "; ".join(", ".join(names) for names in groups.values())
            + " (each group shares a key)."
        )
    return ""


def nothing_to_compare(ctx: CheckContext) -> list[Finding]:
    arts = ctx.artifacts
    if not arts:
        return []
    has_cert = any(a.kind is ArtefactKind.CERTIFICATE for a in arts)
    has_requester = any(is_requester(a) and non_modulus_reason(a) is None for a in arts)
    if has_cert and has_requester:
        return []
    if has_cert:
        message = "Only certificates were given: no CSR, key or modulus md5 to compare them with."
    elif has_requester:
        message = "No certificate was given to compare with." + _requesters_among_themselves(arts)
    else:
        return []
    return [
        Finding(
            "nothing-to-compare",
            _I,
            message,
            "Give the CSR (or the private key, or the `MD5(stdin)= ...` line from `openssl rsa "
            "-noout -modulus -in KEY | openssl md5`) together with the CA-signed certificate.",
            tuple(range(len(arts))),
        )
    ]
