"""What the CSR requested against what the certificate carries, condensed to what differs.

Extensions the CSR did not request at all (key usage, EKU, basic constraints) are the CA's to
choose and are not reported; SANs are, because a CA adding names is exactly what some servers
refuse (cisco-uc). SAN order is ignored; DNS names compare case-insensitively and IP addresses
by value.
"""

from __future__ import annotations

import ipaddress

from certmatch.model import Artefact, DiffEntry, JSONValue


def diff(requested: Artefact, issued: Artefact) -> tuple[DiffEntry, ...]:
    """Differences between a CSR (`requested`) and a certificate (`issued`), in a stable order."""
    entries: list[DiffEntry] = []
    entries.extend(_subject(requested, issued))
    entries.extend(_sans(requested.sans, issued.sans))
    if requested.key_usage and set(requested.key_usage) != set(issued.key_usage):
        entries.append(DiffEntry("key_usage", list(requested.key_usage), list(issued.key_usage)))
    if requested.extended_key_usage and set(requested.extended_key_usage) != set(
        issued.extended_key_usage
    ):
        entries.append(
            DiffEntry(
                "extended_key_usage",
                list(requested.extended_key_usage),
                list(issued.extended_key_usage),
            )
        )
    if requested.basic_constraints_ca is not None:
        wanted, got = basic_constraints_text(requested), basic_constraints_text(issued)
        if wanted != got:
            entries.append(DiffEntry("basic_constraints", wanted, got))
    wanted_key, got_key = key_text(requested), key_text(issued)
    if wanted_key != got_key:
        entries.append(DiffEntry("key", wanted_key, got_key))
    if (
        requested.signature_algorithm is not None
        and issued.signature_algorithm is not None
        and requested.signature_algorithm != issued.signature_algorithm
    ):
        entries.append(
            DiffEntry(
                "signature_algorithm", requested.signature_algorithm, issued.signature_algorithm
            )
        )
    return tuple(entries)


def _subject(requested: Artefact, issued: Artefact) -> list[DiffEntry]:
    wanted = _rdn_values(requested)
    got = _rdn_values(issued)
    names = list(wanted) + [n for n in got if n not in wanted]
    entries = []
    for short in names:
        a, b = wanted.get(short, []), got.get(short, [])
        if a != b:
            entries.append(DiffEntry(f"subject.{short}", _one_or_list(a), _one_or_list(b)))
    return entries


def _rdn_values(artefact: Artefact) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for short, value in artefact.subject_rdns:
        values.setdefault(short, []).append(value)
    return values


def _one_or_list(values: list[str]) -> JSONValue:
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)


def _sans(requested: tuple[str, ...], issued: tuple[str, ...]) -> list[DiffEntry]:
    wanted = {san_key(s): s for s in requested}
    got = {san_key(s): s for s in issued}
    removed = [wanted[k] for k in wanted if k not in got]
    added = [got[k] for k in got if k not in wanted]
    entries = []
    if removed:
        entries.append(DiffEntry("san.removed", removed, None))
    if added:
        entries.append(DiffEntry("san.added", None, added))
    return entries


def san_key(san: str) -> str:
    """Comparison form of a SAN: DNS and e-mail lower-cased, IP addresses by value."""
    kind, _, value = san.partition(":")
    if kind in ("DNS", "email"):
        return f"{kind}:{value.lower().rstrip('.')}"
    if kind == "IP":
        try:
            return f"IP:{ipaddress.ip_address(value)}"
        except ValueError:
            return san
    return san


def basic_constraints_text(artefact: Artefact) -> str | None:
    """openssl's wording: "CA:TRUE, pathlen:0", "CA:FALSE", None when absent."""
    if artefact.basic_constraints_ca is None:
        return None
    if not artefact.basic_constraints_ca:
        return "CA:FALSE"
    if artefact.basic_constraints_path_length is None:
        return "CA:TRUE"
    return f"CA:TRUE, pathlen:{artefact.basic_constraints_path_length}"


def key_text(artefact: Artefact) -> str:
    """Key type and size as a person says it: "RSA 2048", "EC secp256r1", "Ed25519"."""
    key = artefact.key
    if key.curve is not None:
        return f"{key.algorithm} {key.curve}"
    if key.size is None or key.algorithm in ("Ed25519", "Ed448"):
        return key.algorithm
    return f"{key.algorithm} {key.size}"
