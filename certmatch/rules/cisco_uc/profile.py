"""The cisco-uc profile: what makes a CA-signed certificate fail to upload, or break later, on Cisco UC.

For CUCM, IM and Presence, Unity Connection, UCCX, CUIS and Expressway. Each rule states one
thing the server will refuse (or accept and then break on), in the words the server uses,
with the vendor document it rests on. Generic findings these rules restate are superseded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from certmatch.analysis.context import CheckContext, Profile
from certmatch.analysis.match import MatchResult, common_name, is_requester, is_self_signed
from certmatch.keys import same_key
from certmatch.model import Artefact, ArtefactKind, Finding, Severity
from certmatch.rules.ca_note import ku_label, san_set
from certmatch.rules.cisco_uc import purpose as uc_purpose
from certmatch.rules.cisco_uc.purpose import EXPRESSWAY
from certmatch.rules.inputs import non_modulus_reason

# Vendor documents the rules rest on (Finding.reference).
REF_MISMATCH = (
    'Cisco TAC "Verify CSR and Certificate Mismatch for UC"; CUCM upload error '
    '"CSR Public Key and Certificate Public Key Do Not Match"'
)
REF_SAN = (
    'Cisco TAC 200641 "SANs issue with a Third Party Signed Certificate"; CUCM upload error '
    '"CSR SAN and Certificate SAN Does Not Match"'
)
REF_SECURITY_GUIDE = "Cisco Unified Communications Manager Security Guide, Certificates"
REF_KEY_SIZE = (
    "Cisco Unified Communications Manager Security Guide (Release 15), Certificates: the "
    "maximum certificate key size supported is 4096 bits"
)
REF_WILDCARD = (
    "Cisco Unified Communications Manager Security Guide (Release 15), Certificates: "
    'certificates with a wildcard entry (for example "*.cisco.com") are not supported'
)
REF_CLIENT_AUTH = (
    "Cisco Field Notices FN74345 (Unified CM, IM and Presence, Unity Connection) and "
    "FN74362 (Expressway before X15.4): clientAuth EKU sunset in public CA certificates"
)
REF_COMPARE = 'Cisco TAC "Verify CSR and Certificate Mismatch for UC", Solution 3'
REF_CAPF = (
    "Cisco Unified Communications Manager Security Guide, Certificate Authority Proxy Function"
)
REF_FIPS = "Cisco Unified Communications Manager Security Guide, FIPS 140-2 Mode"
REF_MULTI_SERVER = (
    'Cisco TAC 118731 "Unified Communication Cluster Setup with CA-Signed Multi-Server Subject '
    'Alternate Name"'
)
REF_OU = (
    'Cisco TAC "Verify CSR and Certificate Mismatch for UC": the OU comes from '
    "`set web-security` and is part of the CSR subject"
)
REF_TRUST = 'CUCM upload error "CA Certificate is Not Available in the Trust-Store"'
REF_UPLOAD = (
    "Cisco Unified Communications Manager Security Guide (Release 15), Certificates: only PEM "
    "and DER certificates are accepted; Cisco Unified OS Administration Guide, Upload "
    "Certificate or Certificate Chain"
)

MAX_RSA_BITS = 4096

# Generic codes the rules below restate in UC words. "eku-dropped" and "weak-signature" are
# restated for serverAuth/clientAuth and SHA-1; the rest of them is re-emitted under the
# generic code by `_eku_client_dropped` and `_sha1`, so nothing is lost.
SUPERSEDES = frozenset(
    {
        "key-mismatch",
        "ca-as-leaf",
        "san-dropped",
        "san-added",
        "cert-expired",
        "cert-not-yet-valid",
        "eku-dropped",
        "ku-dropped",
        "weak-signature",
        "cn-changed",
        "cn-not-in-san",
        "chain-incomplete",
    }
)

_CERT_SUFFIXES = (".cer", ".crt", ".der", ".p7b", ".p7c")


@dataclass(frozen=True, slots=True)
class _Scene:
    """The context reduced to what the UC rules ask: which CSR, which server certificate."""

    ctx: CheckContext
    requested: int | None  # the CSR (or key/hash) the server certificate is judged against
    leaf: int | None  # the server certificate
    chain: tuple[int, ...]  # leaf first, then its issuers as given
    matched: bool  # requested and leaf carry the same key
    purpose: str | None
    pairing: MatchResult  # as the engine paired them (unmatched requesters/servers, CA as leaf)

    def art(self, index: int) -> Artefact:
        return self.ctx.artifacts[index]

    @property
    def compared(self) -> tuple[Artefact, Artefact, tuple[int, int]] | None:
        """(CSR, server certificate, their indexes) when the certificate carries the CSR's key.

        Content rules compare only these: names in a certificate for another key are noise.
        """
        if not self.matched or self.requested is None or self.leaf is None:
            return None
        csr = self.art(self.requested)
        if csr.kind is not ArtefactKind.CSR:
            return None
        return csr, self.art(self.leaf), (self.requested, self.leaf)

    @property
    def certificates(self) -> list[int]:
        return [i for i, a in enumerate(self.ctx.artifacts) if a.kind is ArtefactKind.CERTIFICATE]

    @property
    def trust(self) -> str:
        return uc_purpose.trust_store(self.purpose)


def _scene(ctx: CheckContext) -> _Scene:
    leaf = ctx.leaf
    requested = ctx.requested
    matched = (
        leaf is not None
        and requested is not None
        and same_key(ctx.artifacts[requested].key, ctx.artifacts[leaf].key)
    )
    chain = ctx.chain or ((leaf,) if leaf is not None else ())
    return _Scene(ctx, requested, leaf, chain, matched, purpose_of(ctx), ctx.match)


def purpose_of(ctx: CheckContext) -> str | None:
    """The purpose the user named, else the inferred one."""
    if ctx.purpose:
        return uc_purpose.canonical(ctx.purpose)
    return infer_purpose(ctx)


def infer_purpose(ctx: CheckContext) -> str | None:
    return uc_purpose.infer(ctx.artifacts, ctx.requested, ctx.leaf)


def _finding(
    code: str,
    severity: Severity,
    message: str,
    hint: str,
    artifacts: Iterable[int],
    reference: str,
) -> Finding:
    return Finding(code, severity, message, hint, tuple(sorted(set(artifacts))), reference)


# --- key ---------------------------------------------------------------------------------


def _key_mismatch(s: _Scene) -> list[Finding]:
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
        _finding(
            "uc-key-mismatch",
            Severity.ERROR,
            f"No CSR, key or hash given carries the public key of {arts[c].source} "
            f"({_key_id(arts[c])}): CUCM would refuse it with "
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


def _mismatch(s: _Scene, r: int, c: int) -> Finding:
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
    return _finding(
        "uc-key-mismatch",
        Severity.ERROR,
        f"{cert.source} does not carry the public key of {req.source} "
        f"({_key_id(cert)} vs {_key_id(req)}): CUCM refuses it with "
        '"CSR Public Key and Certificate Public Key Do Not Match".',
        hint,
        [r, c],
        REF_MISMATCH,
    )


def _ca_as_leaf(s: _Scene) -> list[Finding]:
    arts = s.ctx.artifacts
    certs = s.certificates
    requesters = _requesters(arts)
    if not requesters:
        return []
    if not certs:
        # The CA's reply saved as .cer but holding the request itself.
        csrs = [
            i
            for i in requesters
            if arts[i].kind is ArtefactKind.CSR and arts[i].source.lower().endswith(_CERT_SUFFIXES)
        ]
        if not csrs:
            return []
        return [
            _finding(
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
    names = ", ".join(_describe(arts[c]) for c in cas)
    return [
        _finding(
            "uc-ca-as-leaf",
            Severity.ERROR,
            f"CA certificate given where the server certificate was expected ({names}); the "
            f"certificate issued for {arts[requesters[0]].source} is missing.",
            f"Upload these to {s.trust}, then ask the CA for the server certificate issued for "
            "this CSR (CA:FALSE, carrying the CSR's key).",
            [*requesters, *cas],
            REF_MISMATCH,
        )
    ]


def _rsa_too_large(s: _Scene) -> list[Finding]:
    big = [
        i
        for i in _subjects(s)
        if s.art(i).key.algorithm in ("RSA", "RSA-PSS") and (s.art(i).key.size or 0) > MAX_RSA_BITS
    ]
    if not big:
        return []
    size = s.art(big[0]).key.size
    return [
        _finding(
            "uc-rsa-too-large",
            Severity.ERROR,
            f"RSA key of {size} bits: Cisco UC servers accept at most {MAX_RSA_BITS}.",
            "Generate a new CSR with a 2048, 3072 or 4096 bit key and have it signed.",
            big,
            REF_KEY_SIZE,
        )
    ]


# --- names -------------------------------------------------------------------------------


def _san_mismatch(s: _Scene) -> list[Finding]:
    compared = s.compared
    if compared is None:
        return []
    csr, leaf, both = compared
    requested, issued = san_set(csr), san_set(leaf)
    added, dropped = sorted(issued - requested), sorted(requested - issued)
    if not added and not dropped:
        return []
    parts = []
    if added:
        parts.append("added " + ", ".join(added))
    if dropped:
        parts.append("dropped " + ", ".join(dropped))
    return [
        _finding(
            "uc-san-mismatch",
            Severity.ERROR,
            "The CA "
            + " and ".join(parts)
            + ': CUCM refuses it with "CSR SAN and Certificate SAN Does Not Match".',
            "Ask the CA to issue with exactly the CSR's SANs, nothing added or removed "
            "(turn off template options that add the CN, www. or IP addresses).",
            both,
            REF_SAN,
        )
    ]


def _wildcard(s: _Scene) -> list[Finding]:
    hits: dict[int, list[str]] = {}
    for i in _subjects(s):
        artefact = s.art(i)
        names = [f"CN={common_name(artefact)}"] if "*" in (common_name(artefact) or "") else []
        names += [san for san in artefact.sans if san.startswith("DNS:") and "*" in san]
        if names:
            hits[i] = names
    if not hits:
        return []
    listed = "; ".join(f"{s.art(i).source}: {', '.join(n)}" for i, n in hits.items())
    return [
        _finding(
            "uc-wildcard",
            Severity.ERROR,
            f"Wildcard name ({listed}): CUCM, CUIS and Expressway do not support wildcard "
            "certificates.",
            "Use the server's FQDN (or a multi-server SAN CSR for a cluster) and have that signed.",
            hits,
            REF_WILDCARD,
        )
    ]


def _cn_changed(s: _Scene) -> list[Finding]:
    compared = s.compared
    if compared is None:
        return []
    csr, leaf, both = compared
    wanted, got = common_name(csr), common_name(leaf)
    if (wanted or "").lower() == (got or "").lower():
        return []
    hint = "Ask the CA to keep the CSR's subject CN exactly as requested."
    if wanted and got and _is_multi_server(wanted) and _strip_ms(wanted).lower() == got.lower():
        hint = (
            "The CA stripped -ms from the multi-server CSR's CN; the cluster matches the "
            "certificate by that name. Ask for a re-issue that keeps " + wanted + "."
        )
    return [
        _finding(
            "uc-cn-changed",
            Severity.WARNING,
            f"The certificate's CN is {got!r}, the CSR asked for {wanted!r}.",
            hint,
            both,
            REF_COMPARE,
        )
    ]


def _cn_not_in_san(s: _Scene) -> list[Finding]:
    if s.leaf is None:
        return []
    leaf = s.art(s.leaf)
    cn = common_name(leaf)
    # A multi-server CN (host-ms.domain) labels the cluster and CAPF's CN is no host name;
    # clients reach the nodes by the SAN names, so neither needs to be a SAN.
    if not cn or "." not in cn or _is_multi_server(cn) or f"DNS:{cn.lower()}" in san_set(leaf):
        return []
    return [
        _finding(
            "uc-cn-not-in-san",
            Severity.WARNING,
            f"The CN {cn} is not also a DNS SAN of {leaf.source}: Jabber, browsers and "
            "Expressway check the SANs, not the CN.",
            "Generate the CSR with the FQDN among the SANs (CUCM adds it by default) and keep it "
            "when signing.",
            [s.leaf],
            REF_COMPARE,
        )
    ]


def _ou_dropped(s: _Scene) -> list[Finding]:
    compared = s.compared
    if compared is None:
        return []
    csr, leaf, both = compared
    wanted = [v for k, v in csr.subject_rdns if k == "OU"]
    got = {v for k, v in leaf.subject_rdns if k == "OU"}
    dropped = [v for v in wanted if v not in got]
    if not dropped:
        return []
    return [
        _finding(
            "uc-ou-dropped",
            Severity.INFO,
            f"The CA removed OU={', OU='.join(dropped)} from the subject.",
            "CUCM accepts this from 14SU1; on earlier releases ask the CA to keep the OU.",
            both,
            REF_OU,
        )
    ]


def _multi_server_ip(s: _Scene) -> list[Finding]:
    hits = [
        i
        for i in _subjects(s)
        if _is_multi_server(common_name(s.art(i)) or "")
        and any(san.startswith("IP:") for san in s.art(i).sans)
    ]
    if not hits:
        return []
    ips = sorted({san for i in hits for san in s.art(i).sans if san.startswith("IP:")})
    return [
        _finding(
            "uc-multi-server-ip",
            Severity.WARNING,
            f"Multi-server (-ms) certificate with IP SANs ({', '.join(ips)}): multi-server "
            "CSRs do not accept IP addresses.",
            "Regenerate the multi-server CSR with host names only (FQDNs of every node).",
            hits,
            REF_MULTI_SERVER,
        )
    ]


# --- usage -------------------------------------------------------------------------------


def _eku_server_missing(s: _Scene) -> list[Finding]:
    if s.leaf is None:
        return []
    eku = s.art(s.leaf).extended_key_usage
    if not eku or "serverAuth" in eku or "anyExtendedKeyUsage" in eku:
        return []
    return [
        _finding(
            "uc-eku-server-missing",
            Severity.ERROR,
            f"The certificate's extended key usage ({', '.join(eku)}) lacks serverAuth: "
            "TLS clients will refuse it as a server certificate.",
            "Ask the CA to issue from a web server template (serverAuth, plus clientAuth for "
            "UC mutual TLS).",
            [s.leaf],
            REF_CLIENT_AUTH,
        )
    ]


def _eku_client_dropped(s: _Scene) -> list[Finding]:
    compared = s.compared
    if compared is None:
        return []
    csr, leaf, both = compared
    issued = leaf.extended_key_usage
    if not issued or "anyExtendedKeyUsage" in issued:
        return []  # no EKU extension means no restriction
    dropped = [e for e in csr.extended_key_usage if e not in issued]
    findings = []
    if "clientAuth" in dropped:
        if s.purpose == EXPRESSWAY:
            effect = "Expressway before X15.4 refuses it as its server certificate"
        else:
            effect = (
                "the upload works, then ILS/UDS, SIP trunk and XMPP mutual TLS between nodes "
                "break; Expressway before X15.4 refuses it"
            )
        findings.append(
            _finding(
                "uc-eku-client-dropped",
                Severity.WARNING,
                f"The CSR asked for clientAuth and the certificate lacks it: {effect}.",
                "Have it signed by a private (enterprise) CA template that keeps serverAuth and "
                "clientAuth; public CAs stopped issuing clientAuth in 2026.",
                both,
                REF_CLIENT_AUTH,
            )
        )
    # Neither UC code covers the others; report them as the generic rule would.
    rest = [e for e in dropped if e not in ("clientAuth", "serverAuth")]
    if rest:
        findings.append(
            Finding(
                "eku-dropped",
                Severity.WARNING,
                f"The CA dropped requested extended key usage {', '.join(rest)}.",
                "Ask the CA to keep every extended key usage the CSR requested.",
                both,
            )
        )
    return findings


def _ku_dropped(s: _Scene) -> list[Finding]:
    compared = s.compared
    if compared is None:
        return []
    csr, leaf, both = compared
    issued = leaf.key_usage
    if not issued:
        return []  # no KeyUsage extension means no restriction
    # Certificate signing is uc-capf-not-ca's business.
    dropped = [k for k in csr.key_usage if k not in issued and k not in ("keyCertSign", "cRLSign")]
    if not dropped:
        return []
    rsa = csr.key.algorithm in ("RSA", "RSA-PSS")
    return [
        _finding(
            "uc-ku-dropped",
            Severity.WARNING if rsa else Severity.INFO,
            f"The CA dropped requested key usage {', '.join(ku_label(k) for k in dropped)}.",
            (
                "With RSA, TLS key transport needs Key Encipherment (and CUCM requests Data "
                "Encipherment): ask the CA's template to keep the requested key usage."
                if rsa
                else "With an EC key, encipherment bits have no effect; keep Digital Signature."
            ),
            both,
            REF_COMPARE,
        )
    ]


def _capf_not_ca(s: _Scene) -> list[Finding]:
    compared = s.compared
    if compared is None:
        return []
    csr, leaf, both = compared
    if "keyCertSign" not in csr.key_usage and not csr.basic_constraints_ca:
        return []
    if leaf.is_ca and "keyCertSign" in leaf.key_usage:
        return []
    return [
        _finding(
            "uc-capf-not-ca",
            Severity.WARNING,
            "The CSR requested certificate signing (CAPF) but the certificate is not a CA "
            f"(CA:{'TRUE' if leaf.is_ca else 'FALSE'}, keyCertSign "
            f"{'present' if 'keyCertSign' in leaf.key_usage else 'missing'}): CAPF cannot "
            "issue phone certificates (LSCs) with it.",
            "Ask the CA to sign it as a subordinate CA (basicConstraints CA:TRUE, key usage "
            "Certificate Sign).",
            both,
            REF_CAPF,
        )
    ]


# --- validity and chain ------------------------------------------------------------------


def _validity(s: _Scene) -> list[Finding]:
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
                _finding(
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
                _finding(
                    "uc-not-yet-valid",
                    Severity.WARNING,
                    f"The {role} {cert.source} is not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC.",
                    "Wait until then to upload it, or check the server's and the CA's clocks.",
                    [i],
                    REF_SECURITY_GUIDE,
                )
            )
    return findings


def _sha1(s: _Scene) -> list[Finding]:
    findings = []
    # A root's self-signature is never checked, so only the leaf and intermediates count.
    signed = [i for i in _chain_or_all(s) if not is_self_signed(s.art(i))]
    sha1 = [i for i in signed if "sha1" in (s.art(i).signature_algorithm or "").lower()]
    md5 = [i for i in signed if "md5" in (s.art(i).signature_algorithm or "").lower()]
    if sha1:
        findings.append(
            _finding(
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


def _chain_incomplete(s: _Scene) -> list[Finding]:
    if s.leaf is None:
        return []
    top = s.art(s.chain[-1])
    if is_self_signed(top):
        return []
    return [
        _finding(
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


def _bundle(s: _Scene) -> list[Finding]:
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
        steps = ", then ".join(_describe(arts[i]) for i in order)
        which = (
            f"the server certificate is {_describe(arts[server])}"
            if server is not None
            else "none of them is the server certificate"
        )
        findings.append(
            _finding(
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


# --- helpers -----------------------------------------------------------------------------


def _requesters(arts: Sequence[Artefact]) -> list[int]:
    return [i for i, a in enumerate(arts) if is_requester(a)]


def _subjects(s: _Scene) -> list[int]:
    """The CSR and the server certificate: the artefacts that name the server."""
    out = []
    for i in (s.requested, s.leaf):
        if i is not None and s.art(i).kind in (ArtefactKind.CSR, ArtefactKind.CERTIFICATE):
            out.append(i)
    return sorted(set(out))


def _chain_or_all(s: _Scene) -> Sequence[int]:
    return s.chain if s.chain else s.certificates


def _describe(artefact: Artefact) -> str:
    cn = common_name(artefact)
    return f"{artefact.source} (CN={cn})" if cn else artefact.source


def _key_id(artefact: Artefact) -> str:
    key = artefact.key
    if key.modulus_md5 is not None:
        return f"modulus md5 {key.modulus_md5}"
    return f"SPKI SHA-256 {key.spki_sha256}"


def _is_multi_server(cn: str) -> bool:
    return cn.split(".", 1)[0].lower().endswith("-ms")


def _strip_ms(cn: str) -> str:
    host, dot, rest = cn.partition(".")
    return host[:-3] + dot + rest


RULES: tuple[Callable[[_Scene], list[Finding]], ...] = (
    _key_mismatch,
    _ca_as_leaf,
    _san_mismatch,
    _validity,
    _wildcard,
    _rsa_too_large,
    _eku_server_missing,
    _eku_client_dropped,
    _ku_dropped,
    _capf_not_ca,
    _sha1,
    _cn_changed,
    _cn_not_in_san,
    _ou_dropped,
    _chain_incomplete,
    _bundle,
    _multi_server_ip,
)


def rules(ctx: CheckContext) -> list[Finding]:
    scene = _scene(ctx)
    return [finding for rule in RULES for finding in rule(scene)]


PROFILE = Profile(
    name="cisco-uc",
    rules=rules,
    supersedes=SUPERSEDES,
    infer_purpose=infer_purpose,
    parse_purpose=uc_purpose.parse,
    ca_note=None,  # the shared certmatch.ca_note.ca_note serves every profile
)
