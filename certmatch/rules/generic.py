"""The generic findings (stable codes, severity, message, hint) and the profile registry.

Codes are part of the JSON contract (docs/findings.md lists each one); change wording freely,
never a code. Every hint says what a person can do next.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import PurePath

from certmatch.analysis.context import CheckContext, Profile
from certmatch.analysis.diff import san_key
from certmatch.analysis.match import MatchResult, common_name, is_requester, match, order_differs
from certmatch.model import Artefact, ArtefactKind, Finding, InputProblem, Severity
from certmatch.rules.ca_note import ca_note

PROFILE_NAMES = ("generic", "cisco-uc")

_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
_SEVERITY_ORDER = {_E: 0, _W: 1, _I: 2}

# What `... -modulus | openssl md5` prints when there is no modulus to print: openssl 3 and
# 1.x wording for non-RSA certificates, CSRs and keys, and empty input (the command failed).
_OPENSSL_NON_MODULUS = {
    "Modulus=No modulus for this public key type\n": "No modulus for this public key type",
    "Modulus=Wrong Algorithm type\n": "Wrong Algorithm type",
    "No modulus for this public key type\n": "No modulus for this public key type",
    "Wrong Algorithm type\n": "Wrong Algorithm type",
    "Modulus=unavailable\n": "unavailable",
    "": "empty input",
    "\n": "an empty line",
}
NON_MODULUS_MD5 = {
    hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(): what
    for text, what in _OPENSSL_NON_MODULUS.items()
}

# File names people give the certificate that came back (".pem" is too generic to tell).
_CERT_FILE_SUFFIXES = frozenset({".cer", ".crt", ".der", ".p7b", ".p7c"})
_UPLOAD_ORDER = "the root CA certificate first, then the intermediates, then the server certificate"


def non_modulus_reason(artefact: Artefact) -> str | None:
    """For a pasted hash line whose md5 is of an openssl error text: what that text was."""
    if artefact.kind is not ArtefactKind.HASH or artefact.key.modulus_md5 is None:
        return None
    return NON_MODULUS_MD5.get(artefact.key.modulus_md5)


# --- the profile registry -------------------------------------------------------------


def _generic_rules(ctx: CheckContext) -> list[Finding]:
    return generic_findings(ctx, match(ctx.artifacts))


GENERIC = Profile(name="generic", rules=_generic_rules)


def get_profile(name: str) -> Profile:
    """The profile called `name`; ValueError naming the choices when there is none."""
    if name == "generic":
        return GENERIC
    if name == "cisco-uc":
        # Imported here, not at the top: cisco_uc imports this module (non_modulus_reason).
        from certmatch.rules.cisco_uc.profile import PROFILE

        return PROFILE
    raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILE_NAMES)}")


def ca_note_for(ctx: CheckContext, findings: Sequence[Finding]) -> str | None:
    """The re-issue request to the CA, for every profile (see certmatch.rules.ca_note)."""
    return ca_note(ctx, findings)


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity]))


# --- findings about inputs that could not be used --------------------------------------


def unreadable_input(problem: InputProblem, index: int | None = None) -> Finding:
    return Finding(
        "unreadable-input",
        _E,
        f"{problem.source}: {problem.message}",
        "Check that this is the file you meant (a CSR, certificate, PKCS#7/PKCS#12 bundle or "
        "key, PEM or DER); if it was copied from a web page or chat, copy the whole block "
        "again including the -----BEGIN/END----- lines.",
        () if index is None else (index,),
    )


def key_encrypted(source: str, message: str) -> Finding:
    return Finding(
        "key-encrypted",
        _E,
        f"{source}: {message}",
        "The key or PKCS#12 file is password-protected and could not be read: pass the "
        "password with --password-file or the CERTMATCH_PFX_PASSWORD environment variable, "
        "or compare without the key by running `openssl rsa -noout -modulus -in KEY | "
        "openssl md5` on the server and giving certmatch the MD5 line.",
    )


# --- the generic rules -----------------------------------------------------------------


def generic_findings(ctx: CheckContext, m: MatchResult) -> list[Finding]:
    arts = ctx.artifacts
    out: list[Finding] = []
    out.extend(_key_findings(ctx, m))
    out.extend(_ca_as_leaf(ctx, m))
    for i, a in enumerate(arts):
        if a.kind is ArtefactKind.CSR and a.signature_valid is False:
            out.append(
                Finding(
                    "csr-signature-invalid",
                    _E,
                    f"{a.source}: the CSR's self-signature does not verify.",
                    "The CSR was altered after it was generated (edited, re-typed or damaged "
                    "in transfer); a CA should refuse it. Copy the original file from the "
                    "server again, or generate a new CSR.",
                    (i,),
                )
            )
    out.extend(_validity(ctx))
    out.extend(_weak_signatures(ctx))
    out.extend(_weak_keys(ctx))
    out.extend(_requested_vs_issued(ctx))
    out.extend(_chain_findings(ctx, m))
    for i, a in enumerate(arts):
        if a.kind is ArtefactKind.PRIVATE_KEY:
            out.append(
                Finding(
                    "private-key-present",
                    _W,
                    f"{a.source} contains a private key (only its public half was used).",
                    "If this key has left the server it belongs to (chat, e-mail, a ticket), "
                    "treat it as exposed: generate a new key and CSR and have the certificate "
                    "re-issued. Next time compare without the key: run `openssl rsa -noout "
                    "-modulus -in KEY | openssl md5` on the server and share only that line.",
                    (i,),
                )
            )
    out.extend(_nothing_to_compare(ctx, m))
    return out


def _file(a: Artefact) -> str:
    return a.source.split(" [")[0]


def _describe(a: Artefact) -> str:
    cn = common_name(a)
    return f"{a.source} (CN={cn})" if cn else a.source


def _key_findings(ctx: CheckContext, m: MatchResult) -> list[Finding]:
    arts = ctx.artifacts
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
            out.append(_hash_not_modulus(r, req, reason))
            continue
        if r not in candidates:
            continue  # no certificate at all: nothing-to-compare says so
        c = candidates[r]
        mentioned.add(c)
        earlier = issued_for.get(c)
        if earlier is not None and req.kind is ArtefactKind.CSR:
            out.append(_regenerated(r, req, c, arts[c], earlier, arts[earlier]))
        else:
            out.append(_mismatch(r, req, c, arts[c], bool(m.ca_as_leaf)))
    if any(is_requester(a) and non_modulus_reason(a) is None for a in arts):
        for c in m.unmatched_servers:
            if c in mentioned:
                continue
            out.append(
                Finding(
                    "key-mismatch",
                    _E,
                    f"No CSR, key or hash given belongs to the certificate {_describe(arts[c])}.",
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


def _mismatch(r: int, req: Artefact, c: int, cert: Artefact, ca_given: bool) -> Finding:
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


def _hash_not_modulus(r: int, req: Artefact, reason: str) -> Finding:
    if reason in ("empty input", "an empty line"):
        cause = "the openssl command before `| openssl md5` printed nothing (it failed)"
        hint = (
            "Run the openssl command without `| openssl md5` and read its error: wrong file, "
            "wrong password, or not an RSA key."
        )
    else:
        cause = f'openssl printed "{reason}" instead of a modulus: the key is not RSA'
        hint = (
            "Keys other than RSA have no modulus. Compare SPKI SHA-256 instead: `openssl pkey "
            "-in KEY -pubout -outform DER | openssl dgst -sha256`, or give the CSR or key file."
        )
    return Finding(
        "hash-not-modulus",
        _E,
        f"{req.source}: the md5 {req.key.modulus_md5} is not of a modulus; {cause}.",
        hint,
        (r,),
    )


def _ca_as_leaf(ctx: CheckContext, m: MatchResult) -> list[Finding]:
    arts = ctx.artifacts
    out = [
        Finding(
            "ca-as-leaf",
            _E,
            f"{_describe(arts[c])} is a CA certificate, given where the server certificate "
            "was expected.",
            "Ask the CA for the server (end-entity) certificate issued for your CSR. Install "
            f"the CA certificates in the trust store ({_UPLOAD_ORDER}).",
            (c,),
        )
        for c in m.ca_as_leaf
    ]
    if any(a.kind is ArtefactKind.CERTIFICATE for a in arts):
        return out
    # No certificate at all: was the CSR itself handed over as "the certificate"?
    csrs = [i for i, a in enumerate(arts) if a.kind is ArtefactKind.CSR]
    seen: dict[str, int] = {}
    for i in csrs:
        a = arts[i]
        suffixes = [x.lower() for x in PurePath(a.source.split(" [")[0]).suffixes]
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


def _validity(ctx: CheckContext) -> list[Finding]:
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
                    f"The {role} {_describe(a)} expired on {_day(a.not_after)}.",
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
                    f"The {role} {_describe(a)} is valid only from {_day(a.not_before)}.",
                    "Wait until then, or check the clock of the machine that will use it; "
                    "some servers refuse to install a certificate that is not yet valid.",
                    (i,),
                )
            )
    return out


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _weak_signatures(ctx: CheckContext) -> list[Finding]:
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
        name = a.signature_algorithm.lower()
        if "md5" in name:
            severity, hint = (
                _E,
                "MD5 signatures are forgeable and refused everywhere: have the CA re-issue "
                "with SHA-256.",
            )
        elif "sha1" in name:
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
                f"{_describe(a)} is signed with {a.signature_algorithm}.",
                hint,
                (i,),
            )
        )
    return out


def _weak_keys(ctx: CheckContext) -> list[Finding]:
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


def _requested_vs_issued(ctx: CheckContext) -> list[Finding]:
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
                    f"The certificate's CN is {entry.issued!r}; the CSR asked for {entry.requested!r}.",
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
                    "server-to-server mutual TLS breaks. Public CAs stopped issuing clientAuth "
                    "in server certificates in 2026: use a private/enterprise CA template that "
                    "includes it, or confirm the service does not need it."
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


def _chain_findings(ctx: CheckContext, m: MatchResult) -> list[Finding]:
    out = []
    if m.missing_issuer is not None and ctx.chain:
        top = ctx.artifacts[ctx.chain[-1]]
        # Only the server certificate given: the usual case, and most servers already trust
        # the CA; a chain given with a gap at the top is worth a warning.
        only_server = not any(a.kind is ArtefactKind.CERTIFICATE and a.is_ca for a in ctx.artifacts)
        out.append(
            Finding(
                "chain-incomplete",
                _I if only_server else _W,
                f"{top.source} was issued by {m.missing_issuer}; that CA certificate was not "
                "given.",
                "Get that CA certificate (and any above it) from the CA. Install in this "
                f"order: {_UPLOAD_ORDER}.",
                (ctx.chain[-1],),
            )
        )
    # File order only means something inside one PEM file (a PKCS#7 set has no order).
    for bundle in ctx.bundles:
        if ctx.artifacts[bundle[0]].container == "pkcs7" or not order_differs(ctx.chain, bundle):
            continue
        order = " -> ".join(_describe(ctx.artifacts[c]) for c in ctx.chain)
        out.append(
            Finding(
                "chain-order",
                _I,
                f"The certificates in {_file(ctx.artifacts[bundle[0]])} are not in chain order; "
                f"by signature the chain is {order}.",
                "certmatch orders by signature, so nothing is wrong here. A PEM bundle for a "
                "TLS server lists the server certificate first; a trust store upload starts "
                "with the root.",
                ctx.chain,
            )
        )
    return out


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


def _nothing_to_compare(ctx: CheckContext, m: MatchResult) -> list[Finding]:
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
