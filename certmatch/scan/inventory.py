"""The scan's answer: key sets with their findings, orphans, regenerated CSRs, expiry; JSON and exit code.

Findings reuse the check command's generic codes where the meaning is the same (key-mismatch,
cert-expired, cert-not-yet-valid, csr-signature-invalid, weak-signature, weak-key, san-dropped,
san-added, cn-changed, chain-incomplete, unreadable-input, key-encrypted); three codes exist
only for an inventory: `certificate-orphan` (no CSR or key anywhere in the scan),
`cert-expiring` (inside the --expiring window) and `csr-regenerated` (one CN requested with
several keys, the vendor note's failure). Private keys found on disk are where they belong in
an inventory, so the chat warning private-key-present is not raised here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from certmatch.analysis.diff import diff
from certmatch.model import (
    Artefact,
    ArtefactKind,
    Finding,
    InputProblem,
    Pair,
    Severity,
    Verdict,
)
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

# The check's exit rule (DESIGN.md) for a whole inventory: 1 when keys do not pair (a mismatch,
# a certificate with no CSR or key), else 3 when the keys pair but an error blocks use (an
# expired certificate, a CSR whose self-signature is broken: the CA will refuse it).
MISMATCH_CODES = frozenset({"key-mismatch", "certificate-orphan"})
BLOCKING_CODES = frozenset({"cert-expired", "csr-signature-invalid"})
FAILING_CODES = MISMATCH_CODES | BLOCKING_CODES


@dataclass(frozen=True, slots=True)
class Inventory:
    """Everything a scan found. Indexes point into `artifacts`; `sets[i].findings` into `findings`."""

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
            "sets": [_set_dict(s) for s in self.sets],
            "regenerated": [{"cn": cn, "sets": list(sets)} for cn, sets in self.regenerated],
            "expiring_days": self.expiring_days,
            "expiring": list(self.expiring),
            "expired": list(self.expired),
            "problems": [p.to_dict() for p in self.problems],
        }


def _set_dict(key_set: KeySet) -> dict[str, Any]:
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
    """Collects findings and remembers which set each belongs to."""

    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(
        self,
        key_set: KeySet | None,
        code: str,
        severity: Severity,
        message: str,
        hint: str,
        artifacts: tuple[int, ...],
    ) -> None:
        if key_set is not None:
            key_set.findings.append(len(self.items))
        self.items.append(Finding(code, severity, message, hint, artifacts))


def build_inventory(
    index: Index, *, now: datetime, expiring_days: int = 30, profile: str = "generic"
) -> Inventory:
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
            found, complete = chain_of(index, key_set.certificates[0], ca_by_subject)
            chain = tuple(found)
            if not complete:
                leaf = arts[key_set.certificates[0]]
                findings.add(
                    key_set,
                    "chain-incomplete",
                    Severity.WARNING,
                    f"{leaf.source}: the issuer {leaf.issuer} is not among the scanned files",
                    "put the CA and intermediate certificates beside it; upload order is root -> "
                    "intermediates -> server certificate",
                    chain,
                )
        key_set = _with_chain(key_set, chain)
        final_sets.append(key_set)
        pairs.extend(set_pairs(index, key_set))
        _expiry(index, key_set, now, window, newest_by_cn, findings, expiring, expired)
        _request_findings(index, key_set, findings)
    _mismatches(index, final_sets, findings, pairs)
    regenerated = _regenerated(index, final_sets, findings)
    for problem in index.problems:
        severity = Severity.ERROR
        findings.add(None, problem.code, severity, f"{problem.source}: {problem.message}", "", ())
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
        profile=profile,
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
    arts = index.artifacts
    for c in key_set.certificates:
        cert = arts[c]
        weak = _weak_hash(cert.signature_algorithm)
        if weak is not None:
            findings.add(
                key_set,
                "weak-signature",
                Severity.ERROR if weak == "MD5" else Severity.WARNING,
                f"{cert.source}: signed with {weak}",
                "have the CA re-issue with SHA-256",
                (c,),
            )
        state = expiry_state(cert, now, window)
        if state is None or cert.not_after is None:
            continue
        cn = common_name(cert)
        replaced = bool(cn) and newest_by_cn.get(cn, cert.not_after) > cert.not_after
        when = cert.not_after.strftime("%Y-%m-%d")
        later = " (a newer certificate for this CN was found)" if replaced else ""
        if state == "expired":
            expired.append(c)
            findings.add(
                key_set,
                "cert-expired",
                Severity.INFO if replaced else Severity.ERROR,
                f"{cert.source}: expired on {when}{later}",
                "renew it: a new CSR on the server, then upload the CA's answer",
                (c,),
            )
        elif state == "expiring":
            expiring.append(c)
            findings.add(
                key_set,
                "cert-expiring",
                Severity.INFO if replaced else Severity.WARNING,
                f"{cert.source}: expires on {when}{later}",
                "renew before it expires",
                (c,),
            )
        else:
            findings.add(
                key_set,
                "cert-not-yet-valid",
                Severity.WARNING,
                f"{cert.source}: not valid before {cert.not_before:%Y-%m-%d}",
                "check the server clock and the CA's issuance date",
                (c,),
            )


def _weak_hash(signature_algorithm: str | None) -> str | None:
    name = (signature_algorithm or "").lower()
    if "md5" in name:
        return "MD5"
    if "sha1" in name or name.startswith("sha-1"):
        return "SHA-1"
    return None


def _request_findings(index: Index, key_set: KeySet, findings: _Findings) -> None:
    arts = index.artifacts
    for i in key_set.csrs:
        if arts[i].signature_valid is False:
            findings.add(
                key_set,
                "csr-signature-invalid",
                Severity.ERROR,
                f"{arts[i].source}: the CSR's self-signature does not verify",
                "the file is damaged or was edited; generate the CSR again",
                (i,),
            )
    first = arts[(key_set.requests + key_set.certificates + key_set.ca_certificates)[0]]
    if first.key.algorithm.startswith("RSA") and first.key.size and first.key.size < 2048:
        findings.add(
            key_set,
            "weak-key",
            Severity.WARNING,
            f"{first.source}: RSA {first.key.size}-bit key",
            "generate a 2048-bit or larger key",
            (key_set.requests + key_set.certificates)[:1],
        )
    for csr, cert in _requested_issued(index, key_set):
        _diff_findings(index, key_set, csr, cert, findings)


def _requested_issued(index: Index, key_set: KeySet) -> list[tuple[int, int]]:
    """Each certificate with the CSR it was most likely issued for: the one in its folder, else
    the one requesting its CN, else the first. A key can be reused for several names, and
    comparing a certificate with another name's CSR would report changes nobody made."""
    arts = index.artifacts
    if not key_set.csrs:
        return []
    by_folder = {index.folder[c]: c for c in reversed(key_set.csrs)}
    by_cn = {common_name(arts[c]): c for c in reversed(key_set.csrs)}
    out = []
    for cert in key_set.certificates:
        csr = by_folder.get(index.folder[cert])
        if csr is None:  # (not `or`: artefact index 0 is a real index)
            csr = by_cn.get(common_name(arts[cert]), key_set.csrs[0])
        out.append((csr, cert))
    return out


def _diff_findings(index: Index, key_set: KeySet, csr: int, cert: int, findings: _Findings) -> None:
    arts = index.artifacts
    for entry in diff(arts[csr], arts[cert]):
        if entry.field == "san.removed":
            code, severity, what = "san-dropped", Severity.WARNING, "dropped requested SANs"
        elif entry.field == "san.added":
            code, severity, what = "san-added", Severity.INFO, "added SANs"
        elif entry.field == "subject.CN":
            code, severity, what = "cn-changed", Severity.WARNING, "changed the CN"
        else:
            continue
        findings.add(
            key_set,
            code,
            severity,
            f"{arts[cert].source}: the CA {what} ({entry.requested} -> {entry.issued})",
            "compare with the CSR and ask the CA to re-issue if the server needs them",
            (csr, cert),
        )


def _mismatches(index: Index, sets: list[KeySet], findings: _Findings, pairs: list[Pair]) -> None:
    """A certificate with no key/CSR of its own is a mismatch when its folder holds another key's
    key or CSR (the vendor note: the certificate came back for a request regenerated since), and
    an orphan otherwise."""
    arts = index.artifacts
    set_of: dict[int, int] = {}
    requests_in: dict[str, list[int]] = defaultdict(list)
    for n, key_set in enumerate(sets):
        for r in key_set.requests:
            set_of[r] = n
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
                findings.add(
                    key_set,
                    "key-mismatch",
                    Severity.ERROR,
                    f"{arts[c].source} does not belong to {arts[r].source} beside it"
                    + ("" if key_set.requests else "; no CSR or key in the scan has its key"),
                    "the CSR was probably regenerated after it went to the CA: submit the "
                    "current CSR again, or find the key that made the original request",
                    (r, c),
                )
            elif not key_set.requests:
                findings.add(
                    key_set,
                    "certificate-orphan",
                    Severity.ERROR,
                    f"{arts[c].source}: no CSR or key in the scan has this certificate's key",
                    "find the server the request came from; without its key the certificate "
                    "cannot be installed",
                    (c,),
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
        findings.add(
            sets[members[0]],
            "csr-regenerated",
            Severity.WARNING,
            f"{cn} was requested with {len(members)} different keys; {story}",
            "install the certificate only with the key of the CSR it was issued for; "
            "submit the newest CSR if that is the key on the server",
            csrs,
        )
        for n in members[1:]:
            sets[n].findings.append(len(findings.items) - 1)
    return tuple(out)
