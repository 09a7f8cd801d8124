"""Issue 11, class 1: spki_sha256 is openssl's pin (its re-encoding), for every encoding."""

from __future__ import annotations

import pytest

from certmatch.check import check
from certmatch.load import Input
from tests.compat_vectors import COMPAT, only, openssl_pin

PINNED = [
    "rsa-no-null.cert.pem",
    "rsa-no-null.pub.pem",
    "ec-explicit.key.pem",
    "ec-explicit.csr.pem",
    "ec-explicit.cert.pem",
    "ec-explicit.pub.pem",
    "ec-compressed.key.pem",
    "ec-compressed.pub.pem",
    "server.cert.pem",
    "server.key.pem",
]


@pytest.mark.parametrize("name", PINNED)
def test_spki_sha256_is_the_pin_openssl_computes(name: str) -> None:
    assert only(name).key.spki_sha256 == openssl_pin(name)


def test_rsa_key_stored_without_null_pins_like_its_key_and_matches_its_csr() -> None:
    cert = only("rsa-no-null.cert.pem")
    assert cert.key.spki_sha256 == only("server.key.pem").key.spki_sha256
    assert _verdict("server.csr.pem", "rsa-no-null.cert.pem") == "match"


def test_ec_key_with_explicit_parameters_pins_like_its_certificate() -> None:
    assert (
        only("ec-explicit.key.pem").key.spki_sha256 == only("ec-explicit.cert.pem").key.spki_sha256
    )
    assert _verdict("ec-explicit.key.pem", "ec-explicit.cert.pem") == "match"
    assert _verdict("ec-explicit.csr.pem", "ec-explicit.cert.pem") == "match"


def _verdict(*names: str) -> str:
    inputs = [Input(n, (COMPAT / n).read_bytes()) for n in names]
    return check(inputs).verdict.value
