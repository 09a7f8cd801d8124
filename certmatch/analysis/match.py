"""Pairing by key, finding the server certificate, and building its chain by signature.

Cost is linear in the number of artefacts: certificates are indexed by key identity
(`KeyInfo.match_id`, and `modulus_md5` for pasted hash lines) and by subject name, so nothing
compares every artefact with every other one, and at most `_MAX_ISSUER_TRIES` signatures are
checked per certificate even when many certificates share one name.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

from certmatch.keys import same_key
from certmatch.model import Artefact, ArtefactKind, Pair
from certmatch.record import Record

# Kinds that stand for "the key the certificate should carry".
REQUESTER_KINDS = frozenset(
    {ArtefactKind.CSR, ArtefactKind.PRIVATE_KEY, ArtefactKind.PUBLIC_KEY, ArtefactKind.HASH}
)

# A requester with no partner is shown against at most this many candidates, so a pile of
# unrelated certificates cannot make the pair list quadratic.
_MAX_CANDIDATES = 8
# Signature checks per certificate when looking for its issuer among the certificates with the
# issuer's name. A CA re-keyed under one name has two or three; without a bound, ten files of
# 100 certificates sharing one name cost a million signature checks (two minutes).
_MAX_ISSUER_TRIES = 8


class MatchResult(Record):
    """What pairing and chain building found. Indexes point into the artefact tuple."""

    __slots__ = (
        "ca_as_leaf",
        "chain",
        "issuers",
        "leaf",
        "leaf_by_key",
        "missing_issuer",
        "pairs",
        "requested",
        "unmatched_requesters",
        "unmatched_servers",
    )
    pairs: tuple[Pair, ...]
    leaf: int | None  # the server certificate
    leaf_by_key: bool  # True when the leaf shares a key with a CSR/key/hash
    chain: tuple[int, ...]  # leaf first, then issuers in signature order
    missing_issuer: str | None  # issuer name of the top of the chain when it is not given
    requested: int | None  # the CSR/key/hash the leaf is compared with
    unmatched_requesters: tuple[int, ...]  # CSR/key/hash with no certificate for its key
    unmatched_servers: tuple[int, ...]  # end-entity certificates no CSR/key/hash belongs to
    ca_as_leaf: tuple[int, ...]  # CA certificates given where a server certificate was expected
    issuers: frozenset[int]  # certificates that signed another given certificate

    def __init__(
        self,
        pairs: tuple[Pair, ...],
        leaf: int | None,
        leaf_by_key: bool,
        chain: tuple[int, ...],
        missing_issuer: str | None,
        requested: int | None,
        unmatched_requesters: tuple[int, ...],
        unmatched_servers: tuple[int, ...],
        ca_as_leaf: tuple[int, ...],
        issuers: frozenset[int],
    ) -> None:
        self._set(
            pairs,
            leaf,
            leaf_by_key,
            chain,
            missing_issuer,
            requested,
            unmatched_requesters,
            unmatched_servers,
            ca_as_leaf,
            issuers,
        )


def is_requester(artefact: Artefact) -> bool:
    return artefact.kind in REQUESTER_KINDS


def match(artefacts: Sequence[Artefact]) -> MatchResult:
    certs = [i for i, a in enumerate(artefacts) if a.kind is ArtefactKind.CERTIFICATE]
    requesters = [i for i, a in enumerate(artefacts) if is_requester(a)]

    by_id: dict[str, list[int]] = defaultdict(list)
    by_md5: dict[str, list[int]] = defaultdict(list)
    for i in certs:
        key = artefacts[i].key
        if key.match_id is not None:
            by_id[key.match_id].append(i)
        if key.modulus_md5 is not None:
            by_md5[key.modulus_md5].append(i)

    partners: dict[int, list[int]] = {}
    matched_certs: set[int] = set()
    for r in requesters:
        key = artefacts[r].key
        found = (
            by_id.get(key.match_id, []) if key.match_id else by_md5.get(key.modulus_md5 or "", [])
        )
        partners[r] = [c for c in found if same_key(key, artefacts[c].key)]
        matched_certs.update(partners[r])

    issuers = _issuer_links(artefacts, certs)
    signed_something = frozenset(issuers.values())
    end_entities = [c for c in certs if not artefacts[c].is_ca and c not in signed_something]

    leaf, leaf_by_key = _pick_leaf(artefacts, requesters, partners, end_entities, certs)
    chain, missing = _chain(artefacts, leaf, issuers) if leaf is not None else ((), None)

    unmatched_requesters = tuple(r for r in requesters if not partners[r])
    unmatched_servers = tuple(c for c in end_entities if c not in matched_certs)

    ca_as_leaf: tuple[int, ...] = ()
    if requesters and certs and not matched_certs and not end_entities:
        # Every certificate given is a CA (or signed another one given): the server
        # certificate itself is missing and a CA certificate was handed over in its place.
        ca_as_leaf = tuple(c for c in certs if c not in signed_something) or tuple(certs)

    pairs = _pairs(partners, unmatched_servers, ca_as_leaf, leaf, certs)
    requested = _pick_requested(artefacts, requesters, partners, leaf)
    return MatchResult(
        pairs=pairs,
        leaf=leaf,
        leaf_by_key=leaf_by_key,
        chain=chain,
        missing_issuer=missing,
        requested=requested,
        unmatched_requesters=unmatched_requesters,
        unmatched_servers=unmatched_servers,
        ca_as_leaf=ca_as_leaf,
        issuers=signed_something,
    )


def _pick_leaf(
    artefacts: Sequence[Artefact],
    requesters: Sequence[int],
    partners: dict[int, list[int]],
    end_entities: Sequence[int],
    certs: Sequence[int],
) -> tuple[int | None, bool]:
    # Prefer the certificate a CSR belongs to, then one a key/hash belongs to; among several
    # (a renewal for the same key), prefer an end-entity certificate.
    for wanted in (ArtefactKind.CSR, None):
        for r in requesters:
            if wanted is not None and artefacts[r].kind is not wanted:
                continue
            found = partners[r]
            if found:
                ends = [c for c in found if c in end_entities]
                return (ends or found)[0], True
    if end_entities:
        return end_entities[0], False
    return None, False


def _pick_requested(
    artefacts: Sequence[Artefact],
    requesters: Sequence[int],
    partners: dict[int, list[int]],
    leaf: int | None,
) -> int | None:
    """The CSR (else key/hash) the leaf is compared with: a diff needs a CSR, so a CSR that
    looks like the leaf's request (same CN) wins over a key that merely shares its key."""
    if not requesters:
        return None
    csrs = [r for r in requesters if artefacts[r].kind is ArtefactKind.CSR]
    if leaf is not None:
        cn = _cn(artefacts[leaf])
        for found in (
            next((r for r in csrs if leaf in partners[r]), None),
            next((r for r in csrs if cn is not None and _cn(artefacts[r]) == cn), None),
            next((r for r in requesters if leaf in partners[r]), None),
        ):
            if found is not None:
                return found
    return (csrs or list(requesters))[0]


def _pairs(
    partners: dict[int, list[int]],
    unmatched_servers: Sequence[int],
    ca_as_leaf: Sequence[int],
    leaf: int | None,
    certs: Sequence[int],
) -> tuple[Pair, ...]:
    pairs: list[Pair] = []
    if unmatched_servers:
        candidates = list(unmatched_servers)
    elif ca_as_leaf:
        candidates = list(ca_as_leaf)
    elif leaf is not None:
        candidates = [leaf]
    else:
        candidates = list(certs)
    for r, found in partners.items():
        if found:
            pairs.extend(Pair(r, c, True) for c in found)
        else:
            pairs.extend(Pair(r, c, False) for c in candidates[:_MAX_CANDIDATES])
    return tuple(pairs)


def _issuer_links(artefacts: Sequence[Artefact], certs: Sequence[int]) -> dict[int, int]:
    """For each certificate, the given certificate that signed it (by signature, else name+AKI)."""
    by_subject: dict[str, list[int]] = defaultdict(list)
    by_subject_key: dict[tuple[str, bytes], list[int]] = defaultdict(list)
    for c in certs:
        subject = artefacts[c].subject
        if subject is not None:
            by_subject[subject].append(c)
            ski = _key_identifier(artefacts[c].native, authority=False)
            if ski is not None:
                by_subject_key[(subject, ski)].append(c)
    links: dict[int, int] = {}
    for c in certs:
        issuer_name = artefacts[c].issuer
        if issuer_name is None:
            continue
        # The candidates whose key identifier the certificate names come first, so the bound
        # never hides a real issuer that says who it is; then the others in file order.
        # Lazily: listing every namesake for every certificate would itself be quadratic.
        aki = _key_identifier(artefacts[c].native, authority=True)
        named = by_subject_key.get((issuer_name, aki), []) if aki is not None else []
        tried: set[int] = set()
        for candidate in itertools.chain(named, by_subject.get(issuer_name, [])):
            if candidate == c or candidate in tried:
                continue  # self-signed is not a link
            if len(tried) == _MAX_ISSUER_TRIES:
                break
            tried.add(candidate)
            if signed_by(artefacts[c], artefacts[candidate]):
                links[c] = candidate
                break
    return links


def _key_identifier(native: object, *, authority: bool) -> bytes | None:
    """The certificate's authority (or subject) key identifier, None when absent or unreadable."""
    from cryptography import x509

    if not isinstance(native, x509.Certificate):
        return None
    try:
        if authority:
            aki = native.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
            return aki.key_identifier
        return native.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except (x509.ExtensionNotFound, ValueError):
        return None


def signed_by(child: Artefact, issuer: Artefact) -> bool:
    """True when `issuer` signed `child`: by signature, or by name + AKI/SKI when unverifiable."""
    if child.issuer != issuer.subject:
        return False
    return _verified(child.native, issuer.native)


def issued_by(child: object, issuer: object) -> bool:
    """`signed_by` for parsed certificates (trust anchors have no Artefact)."""
    from cryptography import x509

    if not isinstance(child, x509.Certificate) or not isinstance(issuer, x509.Certificate):
        return False
    return child.issuer == issuer.subject and _verified(child, issuer)


def is_self_signed(artefact: Artefact) -> bool:
    if artefact.subject != artefact.issuer:
        return False
    if artefact.native is None and artefact.kind is ArtefactKind.CERTIFICATE:
        # A scan's slim record carries no parsed certificate to verify: self-issued is all
        # that can be known, and it is how the scan's index ends a chain (scan/index.py).
        return True
    return _verified(artefact.native, artefact.native)


def _verified(child: object, issuer: object) -> bool:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

    if not isinstance(child, x509.Certificate) or not isinstance(issuer, x509.Certificate):
        return False
    try:
        child.verify_directly_issued_by(issuer)
    except InvalidSignature:
        return False  # same name, different key: a re-keyed or unrelated CA
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # cryptography refuses SHA-1/MD5 and some algorithms here (names were compared
        # already): check the signature by hand, else fall back to the key identifiers.
        verdict = _verify_legacy(child, issuer)
        return _aki_matches_ski(child, issuer) if verdict is None else verdict
    return True


def _verify_legacy(child: object, issuer: object) -> bool | None:
    """Verify a SHA-1/MD5-era signature directly; None when the algorithm is not handled."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

    assert isinstance(child, x509.Certificate) and isinstance(issuer, x509.Certificate)
    try:
        algorithm = child.signature_hash_algorithm
        public_key = issuer.public_key()
        if algorithm is None or not isinstance(
            child.signature_algorithm_parameters, padding.PKCS1v15 | ec.ECDSA | type(None)
        ):
            return None  # RSA-PSS and EdDSA are verified by cryptography itself
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(
                child.signature, child.tbs_certificate_bytes, padding.PKCS1v15(), algorithm
            )
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(child.signature, child.tbs_certificate_bytes, ec.ECDSA(algorithm))
        elif isinstance(public_key, dsa.DSAPublicKey):
            public_key.verify(child.signature, child.tbs_certificate_bytes, algorithm)
        else:
            return None
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return True


def _aki_matches_ski(child: object, issuer: object) -> bool:
    from cryptography import x509

    assert isinstance(child, x509.Certificate) and isinstance(issuer, x509.Certificate)
    try:
        aki = child.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return aki.key_identifier is not None and aki.key_identifier == ski.digest


def _chain(
    artefacts: Sequence[Artefact], leaf: int, issuers: dict[int, int]
) -> tuple[tuple[int, ...], str | None]:
    chain = [leaf]
    seen = {leaf}
    current = leaf
    while current in issuers and issuers[current] not in seen:
        current = issuers[current]
        chain.append(current)
        seen.add(current)
    top = artefacts[current]
    if current in issuers or is_self_signed(top):
        return tuple(chain), None  # reached a root (or a loop of cross-signed CAs)
    return tuple(chain), top.issuer


def order_differs(chain: Sequence[int], bundle: Sequence[int] | None = None) -> bool:
    """True when chain members were not given leaf first (index order).

    With `bundle` (the artefacts of one file), only the chain members in that file count.
    """
    members = [c for c in chain if bundle is None or c in bundle]
    return len(members) > 1 and members != sorted(members)


def _cn(artefact: Artefact) -> str | None:
    cn = common_name(artefact)
    return None if cn is None else cn.lower()


def common_name(artefact: Artefact) -> str | None:
    """The (last) CN of an artefact's subject, as given."""
    found = None
    for short, value in artefact.subject_rdns:
        if short == "CN":
            found = value
    return found
