"""Usage rules: extended key usage, key usage, critical extensions and the CA flag CAPF needs."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from certmatch.model import Artefact, ArtefactKind, Finding, Severity
from certmatch.rules.ca_note import ku_label
from certmatch.rules.cisco_uc.products import EXPRESSWAY_C
from certmatch.rules.cisco_uc.references import (
    REF_CAPF,
    REF_CLIENT_AUTH,
    REF_CLIENT_AUTH_EXPRESSWAY,
    REF_CRITICAL,
    REF_EKU_PURPOSE,
    REF_EKU_SERVER,
    REF_KEY_USAGE,
)
from certmatch.rules.cisco_uc.scene import Scene, uc_finding

# What needs clientAuth, by purpose, as FN74345 lists it.
_CLIENT_AUTH_NEEDS = {
    "tomcat": "LDAP, filebeat, logslash and SIP OAuth over MRA (tomcat)",
    "CallManager": "SIP trunks and internode and intercluster links (CallManager)",
    "TVS": "online CAPF (TVS)",
    "ipsec": "IPsec",
    "cup": "secure SIP (cup)",
    "cup-xmpp-s2s": "XMPP federation (cup-xmpp-s2s)",
}
_ALL_NEEDS = (
    "LDAP and filebeat (tomcat), SIP trunks and intercluster links (CallManager), online "
    "CAPF (TVS), IPsec, secure SIP (cup) and XMPP federation (cup-xmpp-s2s)"
)
# Purposes whose certificate acts as TLS server and client (Security Guide 14 CSR table).
_BOTH_EKU_PURPOSES = frozenset({"CallManager", "ipsec", "cup", "cup-xmpp", "cup-xmpp-s2s"})
# What Cisco says tomcat does not need though its CSR requests it (12.5(1)SU3 Admin Guide).
_TOMCAT_UNNEEDED_KU = frozenset({"keyAgreement"})
_TOMCAT_UNNEEDED_EKU = frozenset({"ipsecEndSystem"})
_PUBLIC_CA_CHANGE = (
    "Public CAs are phasing clientAuth out of server certificates (2025-2027) under Google's "
    "Chrome Root Program Policy (FN74345 gives March 2027)"
)
_CRITICAL_ALLOWED = frozenset({ExtensionOID.KEY_USAGE, ExtensionOID.BASIC_CONSTRAINTS})
_EXTENSION_NAMES = {
    ExtensionOID.EXTENDED_KEY_USAGE: "Extended Key Usage",
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME: "Subject Alternative Name",
    ExtensionOID.NAME_CONSTRAINTS: "Name Constraints",
    ExtensionOID.CERTIFICATE_POLICIES: "Certificate Policies",
    ExtensionOID.POLICY_CONSTRAINTS: "Policy Constraints",
    ExtensionOID.SUBJECT_KEY_IDENTIFIER: "Subject Key Identifier",
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER: "Authority Key Identifier",
}


def eku_server_missing(s: Scene) -> list[Finding]:
    if s.leaf is None:
        return []
    eku = s.art(s.leaf).extended_key_usage
    if not eku or "serverAuth" in eku or "anyExtendedKeyUsage" in eku:
        return []
    return [
        uc_finding(
            "uc-eku-server-missing",
            Severity.ERROR,
            f"No serverAuth in the certificate's EKU ({', '.join(eku)}): TLS clients refuse "
            "it as a server certificate (RFC 5280).",
            "Every Cisco UC CSR requests serverAuth: ask the CA to issue from a web server "
            "template (serverAuth, plus clientAuth for UC mutual TLS).",
            [s.leaf],
            REF_EKU_SERVER,
        )
    ]


def eku_client_dropped(s: Scene) -> list[Finding]:
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
        effect, hint, reference = _client_auth_effect(s)
        findings.append(
            uc_finding(
                "uc-eku-client-dropped",
                Severity.WARNING,
                f"The CSR asked for clientAuth and the certificate lacks it: {effect}.",
                hint,
                both,
                reference,
            )
        )
    # Neither UC code covers the others; report them as the generic rule would.
    ignored = _TOMCAT_UNNEEDED_EKU if _is_tomcat(s) else frozenset()
    rest = [e for e in dropped if e not in ("clientAuth", "serverAuth") and e not in ignored]
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


def _client_auth_effect(s: Scene) -> tuple[str, str, str]:
    """(what breaks, what to do, the documents) for a certificate without clientAuth."""
    if s.expressway and s.product == EXPRESSWAY_C:
        return (
            "Expressway-C refuses it at upload on every release before X15.5 (X15.4 relaxes "
            f"only Expressway-E); X15.5 takes a separate client certificate {s.product_note}",
            f"{_PUBLIC_CA_CHANGE}. Have it signed by a private (enterprise) CA template or a "
            "public CA's alternative root that keeps serverAuth and clientAuth (FN74362), or "
            "upgrade to X15.5.",
            REF_CLIENT_AUTH_EXPRESSWAY,
        )
    if s.expressway:
        return (
            "Expressway-E refuses it at upload before X15.4, where MRA registration and "
            "cluster replication also need clientAuth; X15.4 accepts it only with "
            "`xConfiguration XCP TLS Certificate CVS EnableServerEkuUpload: On`; X15.5 takes "
            f"a separate client certificate {s.product_note}",
            f"{_PUBLIC_CA_CHANGE}. A private CA is not viable for Expressway-E's "
            "external-facing certificate (TAC 225482): use a public CA's alternative root "
            "that still issues serverAuth and clientAuth (FN74362), or upgrade (X15.4 with "
            "the switch above, or X15.5).",
            REF_CLIENT_AUTH_EXPRESSWAY,
        )
    needs = _CLIENT_AUTH_NEEDS.get(_base(s.purpose), _ALL_NEEDS)
    return (
        f"mutual TLS for {needs} needs it (FN74345)",
        f"{_PUBLIC_CA_CHANGE}. Have it signed by a CA that still issues serverAuth and "
        "clientAuth: a private (enterprise) CA template, or a public CA's alternative root "
        "with both (FN74345). FN74345 names 15SU5 as the fixed release.",
        REF_CLIENT_AUTH,
    )


def eku_purpose(s: Scene) -> list[Finding]:
    """A certificate given without its CSR, for a purpose that needs serverAuth and clientAuth."""
    if s.leaf is None or s.expressway or _base(s.purpose) not in _BOTH_EKU_PURPOSES:
        return []
    if s.requested is not None and s.art(s.requested).kind is ArtefactKind.CSR:
        return []  # with the CSR, uc-eku-client-dropped says it (or the key does not match)
    leaf = s.art(s.leaf)
    eku = leaf.extended_key_usage
    if not eku or "anyExtendedKeyUsage" in eku or "clientAuth" in eku:
        return []  # serverAuth alone missing is uc-eku-server-missing
    missing = [e for e in ("serverAuth", "clientAuth") if e not in eku]
    needs = _CLIENT_AUTH_NEEDS.get(_base(s.purpose), _ALL_NEEDS)
    reuse = (
        "; a tomcat certificate reused for CallManager needs the same"
        if _base(s.purpose) == "CallManager"
        else ""
    )
    return [
        uc_finding(
            "uc-eku-purpose",
            Severity.ERROR,
            f"{leaf.source} lacks {' and '.join(missing)}: a {s.purpose} certificate is a TLS "
            f"server and client, and mutual TLS for {needs} needs both{reuse}.",
            f"{_PUBLIC_CA_CHANGE}. Have it issued with serverAuth and clientAuth (a private CA "
            "template, or a public CA's alternative root with both, FN74345); if it is not "
            f"for {s.purpose}, name the purpose.",
            [s.leaf],
            REF_EKU_PURPOSE,
        )
    ]


def critical_extension(s: Scene) -> list[Finding]:
    """A critical extension other than Key Usage or Basic Constraints (TAC 118855)."""
    if s.expressway:
        return []  # the document is about the Unified OS servers
    hits: dict[int, list[str]] = {}
    for i in s.certificates:
        names = _critical_extensions(s.art(i))
        if names:
            hits[i] = names
    if not hits:
        return []
    listed = "; ".join(f"{s.art(i).source}: {', '.join(n)}" for i, n in hits.items())
    return [
        uc_finding(
            "uc-critical-extension",
            Severity.WARNING,
            f"Critical extension other than Key Usage or Basic Constraints ({listed}): with "
            "one, communication between Unified CCX and Unified CM fails (TAC 118855) "
            f"{s.product_note}.",
            "Ask the CA to mark only Key Usage and Basic Constraints critical (a template "
            "setting) and issue again.",
            hits,
            REF_CRITICAL,
        )
    ]


def _critical_extensions(artefact: Artefact) -> list[str]:
    native = artefact.native
    if not isinstance(native, x509.Certificate):
        return []
    try:
        extensions = list(native.extensions)
    except ValueError:  # duplicate or malformed extensions: the loader reports those
        return []
    return [
        _EXTENSION_NAMES.get(ext.oid, ext.oid.dotted_string)
        for ext in extensions
        if ext.critical and ext.oid not in _CRITICAL_ALLOWED
    ]


def ku_dropped(s: Scene) -> list[Finding]:
    compared = s.compared
    if compared is None:
        return []
    csr, leaf, both = compared
    issued = leaf.key_usage
    if not issued:
        return []  # no KeyUsage extension means no restriction
    # Certificate signing is uc-capf-not-ca's business; tomcat does not need Key Agreement.
    ignored = {"keyCertSign", "cRLSign"} | (_TOMCAT_UNNEEDED_KU if _is_tomcat(s) else set())
    dropped = [k for k in csr.key_usage if k not in issued and k not in ignored]
    if not dropped:
        return []
    rsa = csr.key.algorithm in ("RSA", "RSA-PSS")
    return [
        uc_finding(
            "uc-ku-dropped",
            Severity.WARNING if rsa else Severity.INFO,
            f"The CA dropped requested key usage {', '.join(ku_label(k) for k in dropped)}.",
            (
                "With RSA, TLS key transport needs Key Encipherment, and Cisco says not to "
                "remove Data Encipherment when signing: ask the CA's template to keep the "
                "requested key usage."
                if rsa
                else "With an EC key, encipherment bits have no effect; keep Digital Signature."
            ),
            both,
            REF_KEY_USAGE,
        )
    ]


def _base(purpose: str | None) -> str:
    return (purpose or "").removesuffix("-ECDSA")


def _is_tomcat(s: Scene) -> bool:
    return _base(s.purpose) == "tomcat"


def capf_not_ca(s: Scene) -> list[Finding]:
    compared = s.compared
    if compared is None:
        return []
    csr, leaf, both = compared
    if "keyCertSign" not in csr.key_usage and not csr.basic_constraints_ca:
        return []
    if leaf.is_ca and "keyCertSign" in leaf.key_usage:
        return []
    return [
        uc_finding(
            "uc-capf-not-ca",
            Severity.WARNING,
            "The CSR requested certificate signing (CAPF) but the certificate is not a CA "
            f"(CA:{'TRUE' if leaf.is_ca else 'FALSE'}, keyCertSign "
            f"{'present' if 'keyCertSign' in leaf.key_usage else 'missing'}): CAPF cannot "
            "issue phone certificates (LSCs) with it.",
            "Ask the CA to sign it as a subordinate CA (Subordinate Certification Authority "
            "template: basicConstraints CA:TRUE, pathlen:0, key usage Certificate Sign), and "
            "upload the CAPF's root to CallManager-trust too (TAC 212214).",
            both,
            REF_CAPF,
        )
    ]
