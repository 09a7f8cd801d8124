"""The check's rules on a scan: one CheckContext per key set and certificate, built from the index.

A scan never calls `match()`: its index already paired the files by key (every member of a key
set carries the same key) and linked chains by name and key identifier, so the MatchResult is
written down from that, in the set's own small index space, and the same rule functions the
check runs read it. A code therefore means one thing in the check, the scan and the bot. The
cost is a few tuples per certificate, nothing per file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from certmatch.analysis.context import CheckContext, Profile
from certmatch.analysis.diff import diff
from certmatch.analysis.match import MatchResult
from certmatch.model import ArtefactKind, Finding, Pair
from certmatch.record import replace
from certmatch.rules.generic import inventory_findings, with_profile
from certmatch.scan.index import Index, KeySet, chain_of, common_name


def set_findings(
    index: Index,
    key_set: KeySet,
    pairs: Sequence[Pair],
    ca_by_subject: dict[str, list[int]],
    *,
    profile: Profile,
    now: datetime,
) -> list[Finding]:
    """The rules' findings for one key set, artefact indexes into `index.artifacts`.

    One context per certificate (each compared with its own CSR), or one for a set with no
    certificate yet; a finding two contexts share (a broken CSR signature, a CA in both
    chains) is the caller's to keep once.
    """
    if key_set.status == "ca":
        return []  # CA certificates are judged in the chains of the sets they issued
    out: list[Finding] = []
    comparisons = _comparisons(index, key_set)
    beside = _requests_beside(index, key_set, comparisons)
    by_certificate: dict[int, list[int]] = {}  # certificate -> positions of its pairs
    for at, pair in enumerate(pairs):
        by_certificate.setdefault(pair.right, []).append(at)
    for (requested, leaf), requests in zip(comparisons, beside, strict=True):
        chain: tuple[int, ...] = ()
        missing = None
        if leaf is not None:
            found, complete = chain_of(index, leaf, ca_by_subject)
            chain = tuple(found)
            missing = None if complete else index.artifacts[chain[-1]].issuer
        ctx, members = _context(
            index,
            key_set,
            requests,
            _pairs_of(pairs, by_certificate, leaf, key_set),
            requested,
            leaf,
            chain,
            missing,
            now,
        )
        found_here = with_profile(profile, ctx, inventory_findings(ctx))
        out.extend(replace(f, artifacts=tuple(members[i] for i in f.artifacts)) for f in found_here)
    return out


def _comparisons(index: Index, key_set: KeySet) -> list[tuple[int | None, int | None]]:
    """(request, certificate) pairs to judge: each certificate with the CSR it was most likely
    issued for (the one in its folder, else the one requesting its CN, else the first), or with
    the set's first key/hash when there is no CSR. A key can be reused for several names, and
    comparing a certificate with another name's CSR would report changes nobody made."""
    arts = index.artifacts
    requests = key_set.requests
    if not key_set.certificates:
        return [(requests[0] if requests else None, None)]
    if not key_set.csrs:
        first = requests[0] if requests else None
        return [(first, cert) for cert in key_set.certificates]
    by_folder = {index.folder[c]: c for c in reversed(key_set.csrs)}
    by_cn = {common_name(arts[c]): c for c in reversed(key_set.csrs)}
    out: list[tuple[int | None, int | None]] = []
    for cert in key_set.certificates:
        csr = by_folder.get(index.folder[cert])
        if csr is None:  # (not `or`: artefact index 0 is a real index)
            csr = by_cn.get(common_name(arts[cert]), key_set.csrs[0])
        out.append((csr, cert))
    return out


def _requests_beside(
    index: Index, key_set: KeySet, comparisons: list[tuple[int | None, int | None]]
) -> list[tuple[int, ...]]:
    """The set's CSRs, keys and hash lines each comparison's context holds: those in its
    certificate's folder and the one it is compared with; requests in a folder without a
    certificate of the set go with the first (newest) certificate, so every request is judged.

    Why not every request in every context: a key copied into many folders (backups of one
    server) made each context as big as the set, and the scan quadratic in the copies. In a
    set that lives in one folder (the usual case) the contexts are what they were.
    """
    requests = key_set.requests
    if len(comparisons) == 1 and comparisons[0][1] is None:
        return [requests]
    folders = {index.folder[c] for _, c in comparisons if c is not None}
    homeless = {r for r in requests if index.folder[r] not in folders}
    out: list[tuple[int, ...]] = []
    for n, (requested, leaf) in enumerate(comparisons):
        assert leaf is not None
        here = index.folder[leaf]
        out.append(
            tuple(
                r
                for r in requests
                if r == requested or index.folder[r] == here or (n == 0 and r in homeless)
            )
        )
    return out


def _pairs_of(
    pairs: Sequence[Pair], by_certificate: dict[int, list[int]], leaf: int | None, key_set: KeySet
) -> list[Pair]:
    """The set's pairs whose certificate is in this context, in their order."""
    rights = ((leaf,) if leaf is not None else ()) + key_set.ca_certificates
    return [pairs[at] for at in sorted(at for c in rights for at in by_certificate.get(c, ()))]


def _context(
    index: Index,
    key_set: KeySet,
    requests_here: tuple[int, ...],
    pairs: Sequence[Pair],
    requested: int | None,
    leaf: int | None,
    chain: tuple[int, ...],
    missing_issuer: str | None,
    now: datetime,
) -> tuple[CheckContext, list[int]]:
    """The context of one certificate as a check would see it: the set's CSRs, keys and hash
    lines beside it (`_requests_beside`), that certificate and its chain; and each context
    artefact's global index.

    Only one certificate per context, so every rule calls it the server certificate in the
    same words each time it is judged.
    """
    arts = index.artifacts
    members = list(requests_here)
    if leaf is not None:
        members.append(leaf)
    members.extend(key_set.ca_certificates)
    members.extend(c for c in chain[1:] if c not in key_set.ca_certificates)
    local = {g: n for n, g in enumerate(members)}
    requests = tuple(local[r] for r in requests_here)
    has_certificate = leaf is not None or bool(key_set.ca_certificates)
    m = MatchResult(
        pairs=tuple(
            Pair(local[p.left], local[p.right], p.match)
            for p in pairs
            if p.left in local and p.right in local
        ),
        leaf=None if leaf is None else local[leaf],
        leaf_by_key=leaf is not None and bool(requests),
        chain=tuple(local[c] for c in chain),
        missing_issuer=missing_issuer,
        requested=None if requested is None else local[requested],
        # One key set is one key: its requests all match its certificates, or wait for one.
        unmatched_requesters=() if has_certificate else requests,
        unmatched_servers=() if requests or leaf is None else (local[leaf],),
        ca_as_leaf=(),
        issuers=frozenset(local[c] for c in chain[1:]),
    )
    entries = (
        diff(arts[requested], arts[leaf])
        if requested is not None and leaf is not None and arts[requested].kind is ArtefactKind.CSR
        else ()
    )
    ctx = CheckContext(
        artifacts=tuple(arts[g] for g in members),
        match=m,
        diff=entries,
        bundles=(),
        now=now,
        purpose=None,
    )
    return ctx, members
