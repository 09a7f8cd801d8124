"""Plain text of a scan for a person: problems first, then each group sorted by name."""

from __future__ import annotations

from certmatch.model import Artefact, Severity
from certmatch.scan.index import KeySet
from certmatch.scan.inventory import Inventory

_SECTIONS = (
    ("orphan", "Certificates with no CSR or key"),
    ("waiting", "CSRs and keys waiting for a certificate"),
    ("matched", "Matched sets"),
)
_MARK = {Severity.ERROR: "x", Severity.WARNING: "!", Severity.INFO: "i"}


def render_scan(inv: Inventory, elapsed: float | None = None) -> str:
    lines: list[str] = []
    took = f" in {elapsed:.2f} s" if elapsed is not None else ""
    lines.append(f"certmatch scan: {inv.summary}{took}")
    if inv.regenerated:
        lines += ["", f"Regenerated CSRs: {len(inv.regenerated)} CN(s) requested with several keys"]
        for cn, set_indexes in inv.regenerated:
            lines.append(f"  {cn}")
            for n in set_indexes:
                key_set = inv.sets[n]
                state = "has a certificate" if key_set.certificates else "no certificate"
                sources = ", ".join(inv.artifacts[c].source for c in key_set.csrs)
                lines.append(f"    {sources}  ({state})")
    if inv.expired or inv.expiring:
        lines += ["", f"Expired or expiring within {inv.expiring_days} days"]
        for i in inv.expired + inv.expiring:
            cert = inv.artifacts[i]
            state = "expired " if i in inv.expired else "expires"
            day = cert.not_after.strftime("%Y-%m-%d") if cert.not_after else "?"
            lines.append(f"  {state} {day}  {cert.source}")
    for status, title in _SECTIONS:
        in_section = [s for s in inv.sets if s.status == status]
        if not in_section:
            continue
        lines += ["", f"{title} ({len(in_section)})"]
        for key_set in in_section:
            lines.extend(_set_lines(inv, key_set))
    if inv.problems:
        lines += ["", f"Unreadable files ({len(inv.problems)})"]
        for problem in sorted(inv.problems, key=lambda p: p.source):
            lines.append(f"  {problem.source}: {problem.message}")
    return "\n".join(lines) + "\n"


def _set_lines(inv: Inventory, key_set: KeySet) -> list[str]:
    arts = inv.artifacts
    first = arts[(key_set.certificates + key_set.requests + key_set.ca_certificates)[0]]
    head = f"  {key_set.name or '(no CN)'}  [{_key(first)}]"
    if key_set.certificates:
        cert = arts[key_set.certificates[0]]
        if cert.not_after:
            head += f"  until {cert.not_after:%Y-%m-%d}"
        if len(key_set.chain) > 1:
            head += f"  chain of {len(key_set.chain)}"
    lines = [head]
    for label, members in (
        ("csr", key_set.csrs),
        ("key", key_set.keys),
        ("hash", key_set.hashes),
        ("certificate", key_set.certificates),
        ("ca", key_set.ca_certificates),
    ):
        for i in members:
            lines.append(f"      {label:<12}{arts[i].source}")
    for f in key_set.findings:
        finding = inv.findings[f]
        lines.append(f"    {_MARK[finding.severity]} {finding.code}: {finding.message}")
    return lines


def _key(artefact: Artefact) -> str:
    key = artefact.key
    if key.curve:
        return f"{key.algorithm} {key.curve}"
    return f"{key.algorithm} {key.size}" if key.size else key.algorithm
