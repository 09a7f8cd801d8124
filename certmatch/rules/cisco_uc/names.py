"""Name rules: SANs, CN, OU and wildcards, compared as the UC servers compare them."""

from __future__ import annotations

from certmatch.analysis.match import common_name
from certmatch.model import Finding, Severity
from certmatch.rules.ca_note import san_set
from certmatch.rules.cisco_uc.references import (
    REF_COMPARE,
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
            "The CA "
            + " and ".join(parts)
            + ': CUCM refuses it with "CSR SAN and Certificate SAN Does Not Match".',
            "Ask the CA to issue with exactly the CSR's SANs, nothing added or removed "
            "(turn off template options that add the CN, www. or IP addresses).",
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
    return [
        uc_finding(
            "uc-wildcard",
            Severity.ERROR,
            f"Wildcard name ({listed}): CUCM, CUIS and Expressway do not support wildcard "
            "certificates.",
            "Use the server's FQDN (or a multi-server SAN CSR for a cluster) and have that signed.",
            hits,
            REF_WILDCARD,
        )
    ]


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
            "The CA stripped -ms from the multi-server CSR's CN; the cluster matches the "
            "certificate by that name. Ask for a re-issue that keeps " + wanted + "."
        )
    return [
        uc_finding(
            "uc-cn-changed",
            Severity.WARNING,
            f"The certificate's CN is {got!r}, the CSR asked for {wanted!r}.",
            hint,
            both,
            REF_COMPARE,
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
            REF_COMPARE,
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
            "CUCM accepts this from 14SU1; on earlier releases ask the CA to keep the OU.",
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
            Severity.WARNING,
            f"Multi-server (-ms) certificate with IP SANs ({', '.join(ips)}): multi-server "
            "CSRs do not accept IP addresses.",
            "Regenerate the multi-server CSR with host names only (FQDNs of every node).",
            hits,
            REF_MULTI_SERVER,
        )
    ]
