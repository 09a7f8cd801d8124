"""Issue 11, class 5: X25519/X448, a P-521 scalar in 65 bytes, and key types certmatch cannot read."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from certmatch.check import check
from certmatch.errors import UnsupportedInputError
from certmatch.load import Input, load
from tests.compat_vectors import COMPAT, load_compat, only, openssl_pin, path

ROOT = Path(__file__).resolve().parent.parent

X_KEYS = [f"{kind}.{what}.pem" for kind in ("x25519", "x448") for what in ("cert", "key", "pub")]


@pytest.mark.parametrize("name", X_KEYS)
def test_x25519_and_x448_are_read_with_openssls_pin(name: str) -> None:
    artefact = only(name)
    assert artefact.key.algorithm == name.split(".")[0].upper()
    assert artefact.key.spki_sha256 == openssl_pin(name)


@pytest.mark.parametrize("kind", ["x25519", "x448"])
def test_x25519_and_x448_key_matches_its_certificate(kind: str) -> None:
    names = (f"{kind}.key.pem", f"{kind}.cert.pem")
    report = check([Input(n, (COMPAT / n).read_bytes()) for n in names])
    assert report.verdict.value == "match"


def test_p521_key_with_a_65_byte_scalar_is_read() -> None:
    key = only("p521-short-scalar.key.pem")
    assert key.kind.value == "private_key"
    assert key.key.curve == "secp521r1"
    assert key.key.spki_sha256 == openssl_pin("p521-short-scalar.key.pem")
    assert key.key.spki_sha256 == only("p521-short-scalar.pub.pem").key.spki_sha256


def test_unsupported_key_type_is_named_not_called_damaged() -> None:
    with pytest.raises(UnsupportedInputError) as raised:
        load_compat("ml-dsa.cert.pem")
    message = str(raised.value)
    assert "ML-DSA-44" in message and "does not read" in message
    assert "damaged" not in message and "OCR" not in message
    # The oracle: openssl 3.0 reads the certificate but has no key type for it either.
    done = subprocess.run(
        ["openssl", "x509", "-in", path("ml-dsa.cert.pem"), "-noout", "-pubkey"],
        capture_output=True,
    )
    subject = subprocess.run(
        ["openssl", "x509", "-in", path("ml-dsa.cert.pem"), "-noout", "-subject"],
        capture_output=True,
        check=True,
    )
    assert done.returncode != 0 and b"compat.example.test" in subject.stdout


def test_an_ec_key_whose_curve_oid_is_cut_short_is_refused_by_name_not_by_a_traceback() -> None:
    """The fuzzer's finding (fuzz/README.md): the curve OID's last byte has its high bit set."""
    data = (ROOT / "fuzz" / "corpus" / "ec-public-key-curve-oid-cut-short.pem").read_bytes()
    with pytest.raises(UnsupportedInputError) as raised:
        load(Input("cut.pem", data))
    message = str(raised.value)
    assert "EC on a curve it cannot name" in message and "does not read" in message
    # The oracle: openssl cannot read it either.
    done = subprocess.run(["openssl", "pkey", "-pubin", "-noout"], input=data, capture_output=True)
    assert done.returncode != 0
