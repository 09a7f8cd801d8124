"""Which Cisco UC service a CSR/certificate is for (tomcat, CallManager, ipsec, CAPF, ...).

The purpose decides where the certificate and its CA chain are uploaded (`tomcat` and
`tomcat-trust`, ...). A person can name it (`--purpose`); otherwise it is inferred from the
file name the server gave the CSR, the requested key usage / EKU and the names in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from certmatch import lazyre
from certmatch.model import Artefact, ArtefactKind

EXPRESSWAY = "Expressway"

# Canonical spelling of each purpose, keyed by its lowercase form. The CUCM/IM&P names are the
# certificate store names of Cisco Unified OS Administration > Certificate Management.
_CANONICAL = {
    name.lower(): name
    for name in (
        "tomcat",
        "tomcat-ECDSA",
        "CallManager",
        "CallManager-ECDSA",
        "ipsec",
        "CAPF",
        "TVS",
        "cup",
        "cup-ECDSA",
        "cup-xmpp",
        "cup-xmpp-ECDSA",
        "cup-xmpp-s2s",
        "cup-xmpp-s2s-ECDSA",
        "ITLRecovery",
        EXPRESSWAY,
    )
}
_ALIASES = {
    "cucm": "CallManager",
    "callmanager": "CallManager",
    "xmpp": "cup-xmpp",
    "vcs": EXPRESSWAY,
}

# CUCM names the downloaded CSR after its service ("tomcat.csr", "CallManager-ECDSA.csr").
_FILE_STEM = lazyre.Pattern(r"^([A-Za-z-]+?)(?:[_ ]?\(\d+\))?\.(?:csr|pem|der|cer|crt)$")

# ipsecEndSystem alone says nothing: Cisco's tomcat and CAPF CSRs request it too (TAC 212214;
# CUCM 12.5(1)SU3 Administration Guide, Manage Certificates).
_IPSEC_EKUS = frozenset({"ipsecIKE", "ipsecTunnel", "ipsecUser"})


def canonical(purpose: str) -> str:
    """The store name for a purpose a person typed ("callmanager" -> "CallManager")."""
    key = purpose.strip().lower()
    return _CANONICAL.get(key) or _ALIASES.get(key) or purpose.strip()


def parse(purpose: str) -> str:
    """The store name for a purpose a person named; ValueError naming the choices for a typo.

    A typo would otherwise flow into every hint ("upload to tomact-trust").
    """
    key = purpose.strip().lower()
    known = _CANONICAL.get(key) or _ALIASES.get(key)
    if known is None:
        choices = ", ".join(sorted(_CANONICAL.values(), key=str.lower))
        raise ValueError(f"unknown purpose {purpose!r} for cisco-uc: choose one of {choices}")
    return known


def trust_store(purpose: str | None) -> str:
    """Where the root and intermediates go before the certificate itself."""
    if purpose == EXPRESSWAY:
        return "the Expressway's trusted CA list (Maintenance > Security > Trusted CA certificate)"
    if purpose is None:
        return "the service's -trust store (tomcat-trust for tomcat, CallManager-trust, ...)"
    base = purpose.removesuffix("-ECDSA")
    return f"{base}-trust"


def identity_store(purpose: str | None) -> str:
    """Where the server certificate itself is uploaded."""
    if purpose == EXPRESSWAY:
        return "the Expressway's server certificate (Maintenance > Security > Server certificate)"
    return purpose or "its service (tomcat, CallManager, ...)"


def infer(artefacts: Sequence[Artefact], requested: int | None, leaf: int | None) -> str | None:
    """Best guess of the service, or None when nothing points anywhere."""
    subjects = [artefacts[i] for i in (requested, leaf) if i is not None]
    for artefact in subjects:
        by_name = _from_file_name(artefact.source)
        if by_name is not None:
            return by_name
    for artefact in subjects:
        guess = _from_content(artefact)
        if guess is not None:
            return guess
    return None


def _from_file_name(source: str) -> str | None:
    base = source.replace("\\", "/").rsplit("/", 1)[-1].split(" [", 1)[0]
    found = _FILE_STEM.match(base)
    if found is None:
        return None
    return _CANONICAL.get(found.group(1).lower())


def _from_content(artefact: Artefact) -> str | None:
    cn = next((v for k, v in reversed(artefact.subject_rdns) if k == "CN"), "")
    dns = [s[4:].lower() for s in artefact.sans if s.startswith("DNS:")]
    if (
        cn.upper().startswith("CAPF-")
        or "keyCertSign" in artefact.key_usage
        or (artefact.kind is ArtefactKind.CSR and artefact.basic_constraints_ca)
    ):
        return "CAPF"
    if _IPSEC_EKUS.intersection(artefact.extended_key_usage):
        return "ipsec"
    if any("collab-edge" in name for name in dns):
        # Expressway-E CSRs carry the Unified CM registration domains as collab-edge names.
        return EXPRESSWAY
    if any(name.split(".", 1)[0].startswith(("conference-", "xmpp", "chat")) for name in dns):
        # IM and Presence cup-xmpp CSRs carry the group chat (conference) node aliases.
        return "cup-xmpp"
    ec = artefact.key.algorithm == "EC"
    if "serverAuth" in artefact.extended_key_usage or not artefact.extended_key_usage:
        # The web (tomcat) certificate is the one most often CA-signed; say it is assumed.
        return "tomcat-ECDSA" if ec else "tomcat"
    return None
