"""The inventory model of a scan: the key index that pairs the files' records, and key sets.

Pairing is one pass over the artefacts with a dict keyed by `KeyInfo.match_id` (plus the RSA
modulus md5 for pasted hash lines), the same "same key" as `keys.same_key`, so the cost grows
linearly with the number of files. The records themselves are scan/records.py's.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import datetime, timedelta
from operator import attrgetter

from certmatch.model import Artefact, ArtefactKind, InputProblem, KeyInfo, Pair
from certmatch.record import Record, field_names
from certmatch.scan.records import Links, ScannedFile

_NO_LINKS = Links()
# The slot setters records are built with (certmatch/record.py), for Index._share.
_SET_KEY = Artefact._setters[field_names(Artefact).index("key")]
_SET_RDNS = Artefact._setters[field_names(Artefact).index("subject_rdns")]
# Fields whose values recur from artefact to artefact (the issuing CA's name, its signature
# algorithm, the same key usages): one object each in the index, not one per artefact. At
# 100,000 distinct files they were about 20 MiB of equal strings and tuples (issue 18).
_RECURRING = tuple(
    (attrgetter(name), Artefact._setters[field_names(Artefact).index(name)])
    for name in ("issuer", "signature_algorithm", "key_usage", "extended_key_usage")
)


class KeySet(Record):
    """Everything found for one public key. Indexes point into `Inventory.artifacts`.

    `status`: "matched" (certificate and CSR/key/hash), "waiting" (CSR/key/hash, no certificate),
    "orphan" (certificate with no CSR or key), "ca" (only CA certificates, listed for chains).
    A record, not a dataclass: `import dataclasses` (with inspect) was 19 ms of a scan's
    start-up (certmatch/record.py says why).
    """

    __slots__ = (
        "ca_certificates",
        "certificates",
        "chain",
        "csrs",
        "findings",
        "hashes",
        "keys",
        "name",
        "status",
    )
    _uncompared = ("findings",)
    status: str
    name: str  # the CN a person recognises the set by ("" when none)
    csrs: tuple[int, ...]
    keys: tuple[int, ...]  # private and public keys
    hashes: tuple[int, ...]
    certificates: tuple[int, ...]  # end-entity certificates, newest first
    ca_certificates: tuple[int, ...]
    chain: tuple[int, ...]  # newest certificate, then its issuers found in the scan
    findings: list[int]  # into Inventory.findings

    def __init__(
        self,
        status: str,
        name: str,
        csrs: tuple[int, ...] = (),
        keys: tuple[int, ...] = (),
        hashes: tuple[int, ...] = (),
        certificates: tuple[int, ...] = (),
        ca_certificates: tuple[int, ...] = (),
        chain: tuple[int, ...] = (),
        findings: list[int] | None = None,
    ) -> None:
        self._set(
            status,
            name,
            csrs,
            keys,
            hashes,
            certificates,
            ca_certificates,
            chain,
            [] if findings is None else findings,
        )

    @property
    def requests(self) -> tuple[int, ...]:
        return self.csrs + self.keys + self.hashes


class Index:
    """The flat artefact list and the key index built from the scanned files."""

    __slots__ = (
        "artifacts",
        "files",
        "folder",
        "folders",
        "groups",
        "keys",
        "links",
        "problems",
        "rdn_pairs",
        "recurring",
    )

    def __init__(self) -> None:
        self.artifacts: list[Artefact] = []
        self.links: list[Links] = []
        self.folder: list[str] = []  # directory of each artefact's file
        self.problems: list[InputProblem] = []
        self.files = 0
        self.groups: list[list[int]] = []
        self.keys: dict[KeyInfo, KeyInfo] = {}  # one object per distinct key
        self.folders: dict[str, str] = {}
        self.rdn_pairs: dict[tuple[str, str], tuple[str, str]] = {}
        self.recurring: dict[object, object] = {}  # one copy of each _RECURRING value

    def add(self, scanned: ScannedFile) -> None:
        self.files += 1
        if not scanned.artefacts:
            self.problems.extend(scanned.problems)
            return
        folder = os.path.dirname(scanned.path)
        folder = self.folders.setdefault(folder, folder)  # one string per folder, not per file
        for artefact in scanned.artefacts:
            self._share(artefact)
        self.artifacts.extend(scanned.artefacts)
        # A CSR's or key's empty Links is one object, not one per artefact.
        self.links.extend(
            link if link.subject_key_id or link.authority_key_id else _NO_LINKS
            for link in scanned.links
        )
        self.folder.extend(folder for _ in scanned.artefacts)
        self.problems.extend(scanned.problems)

    def _share(self, artefact: Artefact) -> None:
        """Point the artefact at the one copy of its key, subject RDNs and recurring values.

        Each chunk of records arrives as its own pickle, so a CSR, its key and its certificate
        each bring their own equal KeyInfo, and every certificate its own equal RDN pairs:
        about 0.5 KiB an artefact, 50 MiB at 100,000 distinct files (issue 18). The slots
        are set once, on arrival, before anything else has seen the record.
        """
        key = self.keys.setdefault(artefact.key, artefact.key)
        if key is not artefact.key:
            _SET_KEY(artefact, key)
        rdns = artefact.subject_rdns
        if rdns:
            pairs = self.rdn_pairs
            shared = tuple([pairs.setdefault(pair, pair) for pair in rdns])
            _SET_RDNS(artefact, shared)
        recurring = self.recurring
        for get, set_value in _RECURRING:
            value = get(artefact)
            if value:
                one = recurring.setdefault(value, value)
                if one is not value:
                    set_value(artefact, one)

    def group(self) -> list[list[int]]:
        """Artefact indexes grouped by public key, in first-seen order. Linear: one dict pass."""
        by_id: dict[str, int] = {}
        by_md5: dict[str, int] = {}
        groups: list[list[int]] = []
        hashes: list[int] = []
        for i, artefact in enumerate(self.artifacts):
            key = artefact.key
            if key.match_id is None:
                hashes.append(i)
                continue
            g = by_id.get(key.match_id)
            if g is None:
                g = by_id[key.match_id] = len(groups)
                groups.append([])
            groups[g].append(i)
            if key.modulus_md5 is not None:
                by_md5.setdefault(key.modulus_md5, g)
        # Hash lines know only the modulus md5 (`same_key` falls back to it), so they join
        # whichever group holds that RSA modulus, whatever order the files came in.
        for i in hashes:
            md5 = self.artifacts[i].key.modulus_md5 or f"#{i}"
            g = by_md5.get(md5)
            if g is None:
                g = by_md5[md5] = len(groups)
                groups.append([])
            groups[g].append(i)
        self.groups = groups
        return groups


def common_name(artefact: Artefact) -> str:
    for short, value in reversed(artefact.subject_rdns):
        if short == "CN":
            return value
    return ""


def build_sets(index: Index) -> list[KeySet]:
    """One KeySet per key group, sorted for a person: by name, then by first file."""
    arts = index.artifacts
    sets: list[KeySet] = []
    for members in index.group():
        csrs, keys, hashes, leaves, cas = [], [], [], [], []
        for i in members:
            kind = arts[i].kind
            if kind is ArtefactKind.CSR:
                csrs.append(i)
            elif kind in (ArtefactKind.PRIVATE_KEY, ArtefactKind.PUBLIC_KEY):
                keys.append(i)
            elif kind is ArtefactKind.HASH:
                hashes.append(i)
            elif arts[i].is_ca:
                cas.append(i)
            else:
                leaves.append(i)
        leaves.sort(key=lambda i: _newest_first(arts[i]))
        named = leaves + csrs + cas
        name = next((common_name(arts[i]) for i in named if common_name(arts[i])), "")
        if leaves or (cas and (csrs or keys or hashes)):
            status = "matched" if (csrs or keys or hashes) else "orphan"
        elif csrs or keys or hashes:
            status = "waiting"
        else:
            status = "ca"
        sets.append(
            KeySet(status, name, tuple(csrs), tuple(keys), tuple(hashes), tuple(leaves), tuple(cas))
        )
    sets.sort(key=lambda s: (s.name.lower(), min(s.requests + s.certificates + s.ca_certificates)))
    return sets


def _newest_first(artefact: Artefact) -> tuple[float, str]:
    stamp = artefact.not_after.timestamp() if artefact.not_after else 0.0
    return (-stamp, artefact.source)


def chain_of(
    index: Index, leaf: int, ca_by_subject: dict[str, list[int]]
) -> tuple[list[int], bool]:
    """The leaf and its issuers found in the scan (by issuer name, preferring a matching key id).

    Returns (chain, complete): complete when it ends in a self-issued certificate. Linking is by
    name and key identifier, not signature: a scan never holds parsed certificates in one place.
    """
    chain = [leaf]
    seen = {index.artifacts[leaf].key.match_id}
    current = leaf
    while True:
        artefact = index.artifacts[current]
        if artefact.issuer is None:
            return chain, False
        if artefact.issuer == artefact.subject:  # self-issued: a root, the end of the chain
            return chain, True
        candidates = ca_by_subject.get(artefact.issuer, [])
        wanted = index.links[current].authority_key_id
        chosen = next(
            (c for c in candidates if wanted and index.links[c].subject_key_id == wanted),
            candidates[0] if candidates and not wanted else None,
        )
        if chosen is None or index.artifacts[chosen].key.match_id in seen:
            return chain, False
        seen.add(index.artifacts[chosen].key.match_id)
        chain.append(chosen)
        current = chosen


def ca_subjects(index: Index) -> dict[str, list[int]]:
    """CA certificates by subject, one per distinct key (the same CA arrives in many bundles).

    Of several with one subject and key (a CA re-issued with its key), the one valid longest is
    kept: an expired copy left beside its renewal would otherwise be judged as the chain's CA.
    """
    out: dict[str, list[int]] = defaultdict(list)
    kept: dict[tuple[str, str | None], int] = {}  # marker -> position in out[subject]
    for i, artefact in enumerate(index.artifacts):
        if artefact.kind is ArtefactKind.CERTIFICATE and artefact.is_ca and artefact.subject:
            marker = (artefact.subject, artefact.key.match_id)
            at = kept.get(marker)
            if at is None:
                kept[marker] = len(out[artefact.subject])
                out[artefact.subject].append(i)
            elif _later(artefact, index.artifacts[out[artefact.subject][at]]):
                out[artefact.subject][at] = i
    return out


def _later(a: Artefact, b: Artefact) -> bool:
    """True when `a` is valid until later than `b`."""
    return a.not_after is not None and (b.not_after is None or a.not_after > b.not_after)


def set_pairs(index: Index, key_set: KeySet) -> list[Pair]:
    """Pairs for one set, linear in its size: each certificate with the CSR/key beside it (same
    folder) or else the first one found, and each CSR/key not yet paired with the newest cert."""
    requests = key_set.requests
    if not requests or not (key_set.certificates or key_set.ca_certificates):
        return []
    certificates = key_set.certificates or key_set.ca_certificates
    pairs: list[Pair] = []
    paired: set[int] = set()
    by_folder: dict[str, list[int]] = defaultdict(list)
    for r in requests:
        by_folder[index.folder[r]].append(r)
    for c in certificates:
        partners = by_folder.get(index.folder[c]) or [requests[0]]
        for r in partners:
            pairs.append(Pair(r, c, True))
            paired.add(r)
    for r in requests:
        if r not in paired:
            pairs.append(Pair(r, certificates[0], True))
    return pairs


def expiry_state(artefact: Artefact, now: datetime, window: timedelta) -> str | None:
    """ "expired", "expiring" (within the window), "not-yet-valid" or None."""
    if artefact.not_after is not None and artefact.not_after < now:
        return "expired"
    if artefact.not_before is not None and artefact.not_before > now:
        return "not-yet-valid"
    if artefact.not_after is not None and artefact.not_after < now + window:
        return "expiring"
    return None
