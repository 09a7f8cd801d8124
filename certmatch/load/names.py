"""Distinguished names as artefacts describe them (RFC 4514 text, RDN list), built once per DER.

Names repeat across files: every certificate of a CA names it as issuer, a CSR and its
certificate share a subject. Building cryptography's Name objects and their RFC 4514 string
was a tenth of a scan's per-file work, so what was built from the same Name DER is reused.
The caches are bounded, so a long-lived process (the bot) keeps a few thousand entries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cryptography import x509
from cryptography.x509.oid import NameOID

from certmatch.load.der import DerError

_T = TypeVar("_T")
_V = TypeVar("_V")

# Short names as openssl prints them in a subject (`openssl x509 -noout -subject`).
_RDN_SHORT_NAMES = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.COUNTRY_NAME: "C",
    NameOID.EMAIL_ADDRESS: "emailAddress",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.STREET_ADDRESS: "street",
    NameOID.POSTAL_CODE: "postalCode",
    NameOID.TITLE: "title",
    NameOID.GIVEN_NAME: "GN",
    NameOID.SURNAME: "SN",
    NameOID.USER_ID: "UID",
}

CACHE_MAX = 4096
_NAMES: dict[bytes, tuple[str, tuple[tuple[str, str], ...]]] = {}
_COUNTRY_OIDS = frozenset({NameOID.COUNTRY_NAME, NameOID.JURISDICTION_COUNTRY_NAME})


def rdns(name: x509.Name) -> tuple[tuple[str, str], ...]:
    out = []
    for attribute in name:
        short = _RDN_SHORT_NAMES.get(attribute.oid, attribute.oid.dotted_string)
        value = attribute.value if isinstance(attribute.value, str) else attribute.value.hex()
        out.append((short, value))
    return tuple(out)


def names_of(extract: Callable[[bytes], _T], der: bytes) -> _T | None:
    """`extract(der)` (the Name TLVs of a structure cryptography parsed), or None when the
    DER reader cannot find them; the parsed object is asked instead then, as before."""
    try:
        return extract(der)
    except (DerError, IndexError):
        return None


def described_name(
    encoded_name: bytes | None, parsed: Callable[[], x509.Name]
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(RFC 4514 string, RDN list) of a Name, built once per distinct Name DER."""
    found = _NAMES.get(encoded_name) if encoded_name is not None else None
    if found is None:
        name = parsed()
        found = (name.rfc4514_string(), rdns(name))
        if encoded_name is not None and not any(_warned(a) for a in name):
            remember(_NAMES, encoded_name, found)
    return found


def _warned(attribute: x509.NameAttribute[Any]) -> bool:
    """True for the attribute cryptography warns about when it builds it (a country that is
    not two characters): a Name holding one is not cached, so every file gets its note."""
    return attribute.oid in _COUNTRY_OIDS and len(attribute.value) != 2


def remember(cache: dict[bytes, _V], key: bytes, value: _V) -> None:
    """Store in a bounded cache (emptied when full: simpler than LRU, and as good for a scan)."""
    if len(cache) >= CACHE_MAX:
        cache.clear()
    cache[key] = value
