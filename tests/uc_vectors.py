"""Helpers for the Cisco UC tests: read tests/vectors/uc/ files and build a CheckContext as check() does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7

from certmatch.analysis.context import CheckContext
from certmatch.analysis.match import match
from certmatch.load.artefacts import from_certificate, from_csr
from certmatch.model import Artefact, Finding
from certmatch.rules.cisco_uc.profile import PROFILE

UC = Path(__file__).resolve().parent / "vectors" / "uc"

# Inside every vector's validity, apart from the expired and not-yet-valid ones.
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def load(name: str) -> list[Artefact]:
    """The artefacts of one vector file, named as the loader names bundle members."""
    data = (UC / name).read_bytes()
    if b"CERTIFICATE REQUEST" in data:
        return [from_csr(x509.load_pem_x509_csr(data), name, "pem")]
    if name.endswith(".p7b"):
        certs, container = pkcs7.load_der_pkcs7_certificates(data), "pkcs7"
    else:
        certs, container = x509.load_pem_x509_certificates(data), "pem"
    if len(certs) == 1:
        return [from_certificate(certs[0], name, container)]
    n = len(certs)
    return [from_certificate(c, f"{name} [{i}/{n}]", container) for i, c in enumerate(certs, 1)]


def context(
    *names: str, purpose: str | None = None, product: str | None = None, now: dt.datetime = NOW
) -> CheckContext:
    artefacts: list[Artefact] = []
    bundles: list[tuple[int, ...]] = []
    for name in names:
        loaded = load(name)
        if len(loaded) > 1:
            bundles.append(tuple(range(len(artefacts), len(artefacts) + len(loaded))))
        artefacts.extend(loaded)
    m = match(artefacts)
    return CheckContext(
        artifacts=tuple(artefacts),
        match=m,
        diff=(),
        bundles=tuple(bundles),
        now=now,
        purpose=purpose,
        product=product,
    )


def uc_findings(
    *names: str, purpose: str | None = None, product: str | None = None, now: dt.datetime = NOW
) -> list[Finding]:
    return PROFILE.rules(context(*names, purpose=purpose, product=product, now=now))


def codes(
    *names: str, purpose: str | None = None, product: str | None = None, now: dt.datetime = NOW
) -> list[str]:
    return [f.code for f in uc_findings(*names, purpose=purpose, product=product, now=now)]


def only(code: str, *names: str, purpose: str | None = None, product: str | None = None) -> Finding:
    """The single finding with `code` for these files (fails when there are none or several)."""
    found = [f for f in uc_findings(*names, purpose=purpose, product=product) if f.code == code]
    assert len(found) == 1, f"{code}: {found}"
    return found[0]
