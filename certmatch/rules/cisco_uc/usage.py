"""Usage rules: extended key usage, key usage and the CA flag CAPF needs."""

from __future__ import annotations

from certmatch.model import Finding, Severity
from certmatch.rules.ca_note import ku_label
from certmatch.rules.cisco_uc.purpose import EXPRESSWAY
from certmatch.rules.cisco_uc.references import REF_CAPF, REF_CLIENT_AUTH, REF_COMPARE
from certmatch.rules.cisco_uc.scene import Scene, uc_finding


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
            f"The certificate's extended key usage ({', '.join(eku)}) lacks serverAuth: "
            "TLS clients will refuse it as a server certificate.",
            "Ask the CA to issue from a web server template (serverAuth, plus clientAuth for "
            "UC mutual TLS).",
            [s.leaf],
            REF_CLIENT_AUTH,
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
        if s.purpose == EXPRESSWAY:
            effect = "Expressway before X15.4 refuses it as its server certificate"
        else:
            effect = (
                "the upload works, then ILS/UDS, SIP trunk and XMPP mutual TLS between nodes "
                "break; Expressway before X15.4 refuses it"
            )
        findings.append(
            uc_finding(
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


def ku_dropped(s: Scene) -> list[Finding]:
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
        uc_finding(
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
            "Ask the CA to sign it as a subordinate CA (basicConstraints CA:TRUE, key usage "
            "Certificate Sign).",
            both,
            REF_CAPF,
        )
    ]
