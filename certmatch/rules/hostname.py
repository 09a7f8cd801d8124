"""Host names against a certificate's SANs, per RFC 6125 (finding `host-not-covered`).

Only the SANs count, never the CN (RFC 6125 section 6.4.4 allows the CN only when there is no
DNS SAN, and browsers, Java and Cisco UC clients stopped doing even that). A wildcard is the
whole left-most label (`*.example.com`), matches exactly one label, never a public-suffix-like
two-label name (`*.com`), and never an IP address; an IP address matches IP SANs only.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Sequence

from certmatch.model import Artefact, Finding, Severity

__all__ = ["covers", "host_findings", "normalise_host"]


def normalise_host(host: str) -> str:
    """Lower case, no trailing dot, no IPv6 brackets, IDNA A-labels for Unicode names."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name and not name.isascii():
        with contextlib.suppress(UnicodeError):  # left as given, it simply matches nothing
            name = name.encode("idna").decode("ascii")
    return name


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def covers(sans: Sequence[str], host: str) -> bool:
    """True when one of `sans` ("DNS:...", "IP:...") covers `host` per RFC 6125."""
    name = normalise_host(host)
    address = _ip(name)
    for san in sans:
        kind, _, value = san.partition(":")
        if address is not None:
            if kind == "IP" and _ip(value) == address:
                return True
        elif kind == "DNS" and _dns_matches(value.rstrip(".").lower(), name):
            return True
    return False


def _dns_matches(pattern: str, name: str) -> bool:
    if pattern == name:
        return True
    if not pattern.startswith("*."):
        return False  # no partial (f*.example.com) or inner (a.*.example.com) wildcards
    suffix = pattern[2:]
    if "*" in suffix or suffix.count(".") < 1:
        return False
    head, dot, tail = name.partition(".")
    return bool(dot) and bool(head) and tail == suffix


def host_findings(leaf: Artefact, leaf_index: int, hosts: Sequence[str]) -> list[Finding]:
    """One `host-not-covered` finding for every host name the leaf's SANs do not cover."""
    out = []
    for host in hosts:
        if covers(leaf.sans, host):
            continue
        shown = [s for s in leaf.sans if s.startswith(("DNS:", "IP:"))]
        have = f"its SANs are {', '.join(shown)}" if shown else "it has no DNS or IP SANs"
        if _ip(normalise_host(host)) is not None:
            hint = (
                "Clients connecting by IP address check it against the certificate's IP SANs "
                "only: connect by a DNS name the certificate carries, or have the CA re-issue "
                "with this address as an IP SAN (request it in the CSR)."
            )
        else:
            hint = (
                "Clients will refuse the connection (host name verification). Connect by a "
                "name the certificate carries, or request this name as a DNS SAN in a new CSR "
                "and have the CA re-issue; a wildcard covers one label only."
            )
        out.append(
            Finding(
                "host-not-covered",
                Severity.ERROR,
                f"{host} is not covered by the certificate {leaf.source}: {have}.",
                hint,
                (leaf_index,),
                "RFC 6125 section 6",
            )
        )
    return out
