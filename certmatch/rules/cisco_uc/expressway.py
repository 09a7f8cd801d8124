"""Expressway's own content rules for its server certificate and trusted CAs (uc-expressway-content).

From the Expressway Certificate Creation and Use Deployment Guide: only three EV OIDs in the
subject (others break SSH), no expiry after 2050, a CN (MRA, Jabber Guest and the web proxy
need it), and Basic Constraints on every CA certificate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from certmatch.analysis.match import common_name, is_self_signed
from certmatch.model import Finding, Severity
from certmatch.rules.cisco_uc.references import REF_EXPRESSWAY_CONTENT
from certmatch.rules.cisco_uc.scene import Scene, subjects, uc_finding

# The EV jurisdiction attributes, the only subject OIDs Expressway takes beyond the X.520 ones
# (2.5.4.*) and the names openssl knows.
EV_OIDS = frozenset(
    {"1.3.6.1.4.1.311.60.2.1.1", "1.3.6.1.4.1.311.60.2.1.2", "1.3.6.1.4.1.311.60.2.1.3"}
)
LATEST_EXPIRY = datetime(2050, 1, 1, tzinfo=UTC)


def expressway_content(s: Scene) -> list[Finding]:
    if not s.expressway:
        return []
    return [*_subject_oids(s), *_late_expiry(s), *_no_common_name(s), *_ca_without_bc(s)]


def _subject_oids(s: Scene) -> list[Finding]:
    hits = {
        i: odd
        for i in subjects(s)
        if (odd := [k for k, _ in s.art(i).subject_rdns if _unsupported_oid(k)])
    }
    if not hits:
        return []
    listed = "; ".join(f"{s.art(i).source}: {', '.join(o)}" for i, o in hits.items())
    return [
        _finding(
            s,
            f"Subject attributes Expressway does not support ({listed}): only three EV OIDs "
            "are supported, and others cause SSH failures",
            "Generate the CSR on the Expressway and have the CA issue it without extra subject "
            "attributes.",
            hits,
        )
    ]


def _unsupported_oid(key: str) -> bool:
    dotted = key.replace(".", "").isdigit()
    return dotted and not key.startswith("2.5.4.") and key not in EV_OIDS


def _late_expiry(s: Scene) -> list[Finding]:
    late = [
        i
        for i in s.certificates
        if (after := s.art(i).not_after) is not None and after > LATEST_EXPIRY
    ]
    if not late:
        return []
    listed = ", ".join(f"{s.art(i).source} ({s.art(i).not_after:%Y-%m-%d})" for i in late)
    return [
        _finding(
            s,
            f"Expiry after 2050 ({listed}): Expressway says this can cause operational issues",
            "Ask the CA for a certificate that expires before 2050 (a shorter lifetime).",
            late,
        )
    ]


def _no_common_name(s: Scene) -> list[Finding]:
    if s.leaf is None or common_name(s.art(s.leaf)):
        return []
    return [
        _finding(
            s,
            f"{s.art(s.leaf).source} has no CN: Expressway warns and raises an alarm on upload, "
            "and MRA, Jabber Guest and the web proxy need it",
            "Have it issued with the Expressway's FQDN as the CN (and among the SANs).",
            [s.leaf],
        )
    ]


def _ca_without_bc(s: Scene) -> list[Finding]:
    issuers = set(s.chain[1:])
    bare = [
        i
        for i in s.certificates
        if (i in issuers or (i != s.leaf and is_self_signed(s.art(i))))
        and s.art(i).basic_constraints_ca is None
    ]
    if not bare:
        return []
    return [
        _finding(
            s,
            "CA certificate without Basic Constraints ("
            + ", ".join(s.art(i).source for i in bare)
            + "): Expressway requires it on CA certificates",
            "Get a CA certificate with basicConstraints CA:TRUE from the CA (a current root or "
            "intermediate) for the trusted CA list.",
            bare,
        )
    ]


def _finding(s: Scene, message: str, hint: str, artifacts: Iterable[int]) -> Finding:
    return uc_finding(
        "uc-expressway-content",
        Severity.WARNING,
        f"{message} {s.product_note}.",
        hint,
        artifacts,
        REF_EXPRESSWAY_CONTENT,
    )
