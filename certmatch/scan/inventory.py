"""The scan's answer: key sets with their findings, orphans, regenerated CSRs, expiry; JSON and exit code.

Findings come from the check's own rules, run per key set (scan/rules.py), so a code means the
same here as in the check; with `--profile cisco-uc` the profile's rules run too. The scan
pairs across folders itself and words what it finds with the rules' builders (key-mismatch,
unreadable-input, key-encrypted). Three codes exist only for an inventory:
`certificate-orphan` (no CSR or key anywhere in the scan), `cert-expiring` (inside the
--expiring window) and `csr-regenerated` (one CN requested with several keys, the vendor
note's failure). Private keys found on disk are where they belong in an inventory, so the
chat warning private-key-present is not raised here (rules.generic.INVENTORY_RULES).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from certmatch.model import (
    Artefact,
    ArtefactKind,
    Finding,
    InputProblem,
    Pair,
    Severity,
    Verdict,
)
from certmatch.record import Record, replace
from certmatch.rules.inputs import problem_finding
from certmatch.rules.pairing import key_mismatch
from certmatch.rules.registry import get_profile
from certmatch.scan.index import (
    Index,
    KeySet,
    build_sets,
    ca_subjects,
    chain_of,
    common_name,
    expiry_state,
    set_pairs,
)
from certmatch.scan.rules import set_findings

# The check's exit rule (DESIGN.md) for a whole inventory: 1 when keys do not pair (a mismatch,
# a certificate with no CSR or key), else 3 when the keys pair but an error blocks use (an
# expired certificate, a CSR whose self-signature is broken: the CA will refuse it). uc-expired
# is how the cisco-uc profile words cert-expired (it supersedes it).
MISMATCH_CODES = frozenset({"key-mismatch", "certificate-orphan"})
BLOCKING_CODES = frozenset({"cert-expired", "uc-expired", "csr-signature-invalid"})
FAILING_CODES = MISMATCH_CODES | BLOCKING_CODES
_EXPIRED_CODES = frozenset({"cert-expired", "uc-expired"})


class Inventory(Record):
    """Everything a scan found. Indexes point into `artifacts`; `sets[i].findings` into `findings`."""

    __slots__ = (
        "artifacts",
        "expired",
        "expiring",
        "expiring_days",
        "files",
        "findings",
        "orphans",
        "pairs",
        "problems",
        "profile",
        "regenerated",
        "sets",
    )
    artifacts: tuple[Artefact, ...]
    sets: tuple[KeySet, ...]
    pairs: tuple[Pair, ...]
    findings: tuple[Finding, ...]
    orphans: tuple[int, ...]  # non-CA artefacts that no pair touches
    regenerated: tuple[tuple[str, tuple[int, ...]], ...]  # (CN, set indexes), several keys each
    expiring: tuple[int, ...]  # certificate indexes, soonest first
    expired: tuple[int, ...]
    problems: tuple[InputProblem, ...]
    files: int
    expiring_days: int
    profile: str

    def __init__(
        self,
        artifacts: tuple[Artefact, ...],
        sets: tuple[KeySet, ...],
        pairs: tuple[Pair, ...],
        findings: tuple[Finding, ...],
        orphans: tuple[int, ...],
        regenerated: tuple[tuple[str, tuple[int, ...]], ...],
        expiring: tuple[int, ...],
        expired: tuple[int, ...],
        problems: tuple[InputProblem, ...],
        files: int,
        expiring_days: int,
        profile: str,
    ) -> None:
        self._set(
            artifacts,
            sets,
            pairs,
            findings,
            orphans,
            regenerated,
            expiring,
            expired,
            problems,
            files,
            expiring_days,
            profile,
        )

    @property
    def exit_code(self) -> int:
        if not self.artifacts:
            return 2
        errors = {f.code for f in self.findings if f.severity is Severity.ERROR}
        if errors & MISMATCH_CODES:
            return 1
        return 3 if errors & BLOCKING_CODES else 0

    @property
    def verdict(self) -> Verdict:
        return {0: Verdict.MATCH, 1: Verdict.MISMATCH, 2: Verdict.ERROR, 3: Verdict.MATCH}[
            self.exit_code
        ]

    def count(self, status: str) -> int:
        return sum(1 for s in self.sets if s.status == status)

    @property
    def summary(self) -> str:
        if not self.artifacts:
            return f"{self.verdict.value}: nothing readable in {self.files} file(s)"
        return (
            f"{self.verdict.value}: {self.files} files, {len(self.artifacts)} artefacts; "
            f"{self.count('matched')} matched, {self.count('waiting')} waiting for a certificate, "
            f"{self.count('orphan')} certificates with no CSR or key, "
            f"{len(self.regenerated)} CNs with regenerated CSRs, {len(self.expired)} expired, "
            f"{len(self.expiring)} expiring within {self.expiring_days} days, "
            f"{len(self.problems)} unreadable"
        )

    def to_dict(self) -> dict[str, Any]:
        """The check command's artefact/pair/finding shapes, plus the inventory's own lists."""
        return {
            "verdict": self.verdict.value,
            "summary": self.summary,
            "profile": self.profile,
            "files": self.files,
            "artifacts": [a.to_dict() for a in self.artifacts],
            "pairs": [p.to_dict() for p in self.pairs],
            "findings": [f.to_dict() for f in self.findings],
            "orphans": list(self.orphans),
            "sets": [set_dict(s) for s in self.sets],
            "regenerated": [{"cn": cn, "sets": list(sets)} for cn, sets in self.regenerated],
            "expiring_days": self.expiring_days,
            "expiring": list(self.expiring),
            "expired": list(self.expired),
            "problems": [p.to_dict() for p in self.problems],
        }


def set_dict(key_set: KeySet) -> dict[str, Any]:
    return {
        "status": key_set.status,
        "name": key_set.name,
        "csrs": list(key_set.csrs),
        "keys": list(key_set.keys),
        "hashes": list(key_set.hashes),
        "certificates": list(key_set.certificates),
        "ca_certificates": list(key_set.ca_certificates),
        "chain": list(key_set.chain),
        "findings": list(key_set.findings),
    }


class _Findings:
    """Collects findings once each and remembers which sets each belongs to.

    A finding two key sets share (an expired CA in both chains) is listed once and indexed
    from both sets.
    """

    def __init__(self) -> None:
        self.items: list[Finding] = []
        self._at: dict[Finding, int] = {}

    def add(self, key_set: KeySet | None, finding: Finding) -> None:
        n = self._at.get(finding)
        if n is None:
            n = self._at[finding] = len(self.items)
            self.items.append(finding)
        if key_set is not None and n not in key_set.findings:
            key_set.findings.append(n)


def build_inventory(
    index: Index, *, now: datetime, expiring_days: int = 30, profile: str = "generic"
) -> Inventory:
    """ValueError for an unknown profile name."""
    chosen = get_profile(profile)
    arts = index.artifacts
    window = timedelta(days=expiring_days)
    ca_by_subject = ca_subjects(index)
    sets = build_sets(index)
    findings = _Findings()
    pairs: list[Pair] = []
    # Newest certificate per CN: an expired certificate already replaced by a newer one for the
    # same name is history, not a failure.
    newest_by_cn: dict[str, datetime] = {}
    for key_set in sets:
        for c in key_set.certificates:
            cn, end = common_name(arts[c]), arts[c].not_after
            if cn and end and end > newest_by_cn.get(cn, end - timedelta(seconds=1)):
                newest_by_cn[cn] = end
    expiring: list[int] = []
    expired: list[int] = []
    final_sets: list[KeySet] = []
    for key_set in sets:
        chain: tuple[int, ...] = ()
        if key_set.certificates:
            chain = tuple(chain_of(index, key_set.certificates[0], ca_by_subject)[0])
        key_set = _with_chain(key_set, chain)
        final_sets.append(key_set)
        own_pairs = set_pairs(index, key_set)
        pairs.extend(own_pairs)
        judged = set_findings(index, key_set, own_pairs, ca_by_subject, profile=chosen, now=now)
        for finding in judged:
            findings.add(key_set, _unless_replaced(index, finding, newest_by_cn))
        _expiry(index, key_set, now, window, newest_by_cn, findings, expiring, expired)
    _mismatches(index, final_sets, findings, pairs)
    regenerated = _regenerated(index, final_sets, findings)
    for problem in index.problems:
        findings.add(None, problem_finding(problem))
    partnered = {p.left for p in pairs if p.match} | {p.right for p in pairs if p.match}
    orphans = tuple(
        i
        for i, a in enumerate(arts)
        if i not in partnered and not (a.kind is ArtefactKind.CERTIFICATE and a.is_ca)
    )
    expiring.sort(key=lambda i: arts[i].not_after or now)
    expired.sort(key=lambda i: arts[i].not_after or now)
    return Inventory(
        artifacts=tuple(arts),
        sets=tuple(final_sets),
        pairs=tuple(pairs),
        findings=tuple(findings.items),
        orphans=orphans,
        regenerated=regenerated,
        expiring=tuple(expiring),
        expired=tuple(expired),
        problems=tuple(index.problems),
        files=index.files,
        expiring_days=expiring_days,
        profile=chosen.name,
    )


def _with_chain(key_set: KeySet, chain: tuple[int, ...]) -> KeySet:
    return KeySet(
        key_set.status,
        key_set.name,
        key_set.csrs,
        key_set.keys,
        key_set.hashes,
        key_set.certificates,
        key_set.ca_certificates,
        chain,
        key_set.findings,
    )


def _replaced(index: Index, c: int, newest_by_cn: dict[str, datetime]) -> bool:
    """True when a newer certificate for the same CN was found in the scan."""
    cert = index.artifacts[c]
    cn = common_name(cert)
    return (
        bool(cn)
        and cert.not_after is not None
        and newest_by_cn.get(cn, cert.not_after) > (cert.not_after)
    )


def _unless_replaced(index: Index, finding: Finding, newest_by_cn: dict[str, datetime]) -> Finding:
    """An expired certificate a newer one for its CN replaces is history: information only."""
    if finding.code not in _EXPIRED_CODES or len(finding.artifacts) != 1:
        return finding
    if not _replaced(index, finding.artifacts[0], newest_by_cn):
        return finding
    return replace(
        finding,
        severity=Severity.INFO,
        message=finding.message.rstrip(".") + "; a newer certificate for this CN was found.",
    )


def _expiry(
    index: Index,
    key_set: KeySet,
    now: datetime,
    window: timedelta,
    newest_by_cn: dict[str, datetime],
    findings: _Findings,
    expiring: list[int],
    expired: list[int],
) -> None:
    """The expired and expiring lists, and cert-expiring (the rules report cert-expired)."""
    for c in key_set.certificates:
        cert = index.artifacts[c]
        state = expiry_state(cert, now, window)
        if state == "expired":
            expired.append(c)
        elif state == "expiring" and cert.not_after is not None:
            expiring.append(c)
            replaced = _replaced(index, c, newest_by_cn)
            later = " (a newer certificate for this CN was found)" if replaced else ""
            findings.add(
                key_set,
                Finding(
                    "cert-expiring",
                    Severity.INFO if replaced else Severity.WARNING,
                    f"{cert.source}: expires on {cert.not_after:%Y-%m-%d}{later}",
                    "renew before it expires",
                    (c,),
                ),
            )


def _mismatches(index: Index, sets: list[KeySet], findings: _Findings, pairs: list[Pair]) -> None:
    """A certificate with no key/CSR of its own is a mismatch when its folder holds another key's
    key or CSR (the vendor note: the certificate came back for a request regenerated since), and
    an orphan otherwise."""
    arts = index.artifacts
    requests_in: dict[str, list[int]] = defaultdict(list)
    for key_set in sets:
        for r in key_set.requests:
            requests_in[index.folder[r]].append(r)
    for key_set in sets:
        own = set(key_set.requests)
        for c in key_set.certificates:
            beside = [
                r
                for r in requests_in.get(index.folder[c], [])
                if r not in own and arts[r].kind is not ArtefactKind.HASH
            ]
            if beside:
                r = beside[0]
                pairs.append(Pair(r, c, False))
                findings.add(key_set, key_mismatch(r, arts[r], c, arts[c]))
            elif not key_set.requests:
                findings.add(
                    key_set,
                    Finding(
                        "certificate-orphan",
                        Severity.ERROR,
                        f"{arts[c].source}: no CSR or key in the scan has this certificate's key",
                        "find the server the request came from; without its key the "
                        "certificate cannot be installed",
                        (c,),
                    ),
                )


def _regenerated(
    index: Index, sets: list[KeySet], findings: _Findings
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """CNs requested (CSR) with more than one key: a CSR was generated again for the same name."""
    by_cn: dict[str, list[int]] = defaultdict(list)
    for n, key_set in enumerate(sets):
        names = {common_name(index.artifacts[c]) for c in key_set.csrs} - {""}
        for cn in names:
            by_cn[cn].append(n)
    out = []
    for cn in sorted(by_cn, key=str.lower):
        members = by_cn[cn]
        if len(members) < 2:
            continue
        out.append((cn, tuple(members)))
        csrs = tuple(c for n in members for c in sets[n].csrs)
        issued = [n for n in members if sets[n].certificates]
        story = (
            "the certificate matches "
            + ", ".join(index.artifacts[sets[n].csrs[0]].source for n in issued)
            if issued
            else "no certificate for any of them yet"
        )
        finding = Finding(
            "csr-regenerated",
            Severity.WARNING,
            f"{cn} was requested with {len(members)} different keys; {story}",
            "install the certificate only with the key of the CSR it was issued for; "
            "submit the newest CSR if that is the key on the server",
            csrs,
        )
        for n in members:
            findings.add(sets[n], finding)
    return tuple(out)
