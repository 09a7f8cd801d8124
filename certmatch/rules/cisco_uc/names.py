"""Name rules: SANs, CN, OU and wildcards, compared as the UC servers compare them."""

from __future__ import annotations

from certmatch.analysis.diff import san_key
from certmatch.analysis.match import common_name
from certmatch.model import Finding, Severity
from certmatch.rules.ca_note import san_set
from certmatch.rules.cisco_uc.references import (
    REF_CN_CHANGED,
    REF_CN_NOT_IN_SAN,
    REF_MULTI_SERVER,
    REF_OU,
    REF_SAN,
    REF_WILDCARD,
)
from certmatch.rules.cisco_uc.scene import Scene, is_multi_server, strip_ms, subjects, uc_finding


def san_mismatch(s: Scene) -> list[Finding]:
    compared = s.compared
    if compared is None:
        return []
    csr, leaf, both = compared
    if not csr.sans:
        # A CSR without SANs makes the server ignore the certificate's (TAC 200641, 118855).
        return []
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
        uc_finding(
            "uc-san-mismatch",
            Severity.ERROR,
            'SANs changed: CUCM refuses it with "CSR SAN and Certificate SAN does not match".',
            "The CA "
            + " and ".join(parts)
            + ". Ask the CA to issue with exactly the CSR's SANs, nothing added or removed "
            "(turn off template options that add the CN, www. or IP addresses); or generate a "
            "new CSR without the parent domain (no SAN extension), whose upload ignores the "
            "certificate's SANs.",
            both,
            REF_SAN,
        )
    ]


def wildcard(s: Scene) -> list[Finding]:
    hits: dict[int, list[str]] = {}
    for i in subjects(s):
        artefact = s.art(i)
        names = [f"CN={common_name(artefact)}"] if "*" in (common_name(artefact) or "") else []
        names += [san for san in artefact.sans if san.startswith("DNS:") and "*" in san]
        if names:
            hits[i] = names
    if not hits:
        return []
    listed = "; ".join(f"{s.art(i).source}: {', '.join(n)}" for i, n in hits.items())
    hint = (
        f"Have the server FQDN signed instead of {listed} (or a multi-server SAN CSR for a "
        "cluster)."
    )
    if _only_added_by_the_ca(s, hits):  # the diff already names them: SAN added
        hint = "Ask the CA to drop it and sign the server FQDN only."
    return [
        uc_finding(
            "uc-wildcard",
            Severity.ERROR,
            "CUCM, CUIS and Expressway do not support wildcard names.",
            hint,
            hits,
            REF_WILDCARD,
        )
    ]


def _only_added_by_the_ca(s: Scene, hits: dict[int, list[str]]) -> bool:
    """Every wildcard is a DNS SAN of the certificate that its CSR did not request."""
    compared = s.compared
    if compared is None:
        return False
    csr, leaf, (_, leaf_index) = compared
    if list(hits) != [leaf_index]:
        return False
    added = san_set(leaf) - san_set(csr)
    return all(name.startswith("DNS:") and san_key(name) in added for name in hits[leaf_index])


def cn_changed(s: Scene) -> list[Finding]:
    compared = s.compared
    if compared is None:
        return []
    csr, leaf, both = compared
    wanted, got = common_name(csr), common_name(leaf)
    if (wanted or "").lower() == (got or "").lower():
        return []
    hint = "Ask the CA to keep the CSR's subject CN exactly as requested."
    if wanted and got and is_multi_server(wanted) and strip_ms(wanted).lower() == got.lower():
        hint = (
            "The CA stripped -ms from the multi-server CSR's CN (" + wanted + "): some CAs do "
            "not accept it. As TAC 217138 advises, generate the multi-server CSR again with "
            "-ms removed from the CN, and have that signed."
        )
    return [
        uc_finding(
            "uc-cn-changed",
            Severity.WARNING,
            f"The certificate's CN is {got!r}, the CSR asked for {wanted!r} (no Cisco upload "
            "error for a changed CN is documented).",
            hint,
            both,
            REF_CN_CHANGED,
        )
    ]


def cn_not_in_san(s: Scene) -> list[Finding]:
    if s.leaf is None:
        return []
    leaf = s.art(s.leaf)
    cn = common_name(leaf)
    # A multi-server CN (host-ms.domain) labels the cluster and CAPF's CN is no host name;
    # clients reach the nodes by the SAN names, so neither needs to be a SAN.
    if not cn or "." not in cn or is_multi_server(cn) or f"DNS:{cn.lower()}" in san_set(leaf):
        return []
    return [
        uc_finding(
            "uc-cn-not-in-san",
            Severity.WARNING,
            f"The CN {cn} is not also a DNS SAN of {leaf.source}: Jabber, browsers and "
            "Expressway check the SANs, not the CN.",
            "Generate the CSR with the FQDN among the SANs (CUCM adds it by default) and keep it "
            "when signing.",
            [s.leaf],
            REF_CN_NOT_IN_SAN,
        )
    ]


def ou_dropped(s: Scene) -> list[Finding]:
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
        uc_finding(
            "uc-ou-dropped",
            Severity.INFO,
            f"The CA removed OU={', OU='.join(dropped)} from the subject.",
            'CUCM accepts this from 14SU2 (Release Notes 14SU2; Security Guide 14, "Include '
            'OU in CSR"). On earlier releases, if the upload is refused (not documented by '
            "Cisco), use a private CA or upgrade: public CAs may not include an OU in "
            "certificates issued since 2022-09-01 (CA/Browser Forum ballot SC47v2).",
            both,
            REF_OU,
        )
    ]


def multi_server_ip(s: Scene) -> list[Finding]:
    hits = [
        i
        for i in subjects(s)
        if is_multi_server(common_name(s.art(i)) or "")
        and any(san.startswith("IP:") for san in s.art(i).sans)
    ]
    if not hits:
        return []
    ips = sorted({san for i in hits for san in s.art(i).sans if san.startswith("IP:")})
    return [
        uc_finding(
            "uc-multi-server-ip",
            Severity.INFO,
            f"Multi-server (-ms) certificate with IP SANs ({', '.join(ips)}): the Multi-SAN "
            "field of the CSR form takes no IP addresses, so these came from `set "
            "web-security ... alternatehostname`, which TAC 217138 says applies to Multi-SAN "
            "certificates too.",
            "If the IPs are meant, nothing to do (public CAs will not certify private IP "
            "addresses); if not, generate the multi-server CSR again with host names only.",
            hits,
            REF_MULTI_SERVER,
        )
    ]
