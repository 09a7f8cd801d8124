"""modulus_md5 and spki_sha256 of every loaded key type and kind agree with the openssl CLI."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from certmatch.keys import _named_curve_spki, _rsa_spki
from certmatch.model import ArtefactKind
from tests.vector_files import (
    LEGACY_PASSWORD,
    PKCS8_PASSWORD,
    VECTORS,
    load_vector,
    openssl,
)

KEY_TYPES = ("ec-p256", "ec-p384", "ec-p521", "ed25519", "ed448", "dsa", "rsa-pss")
RSA_TYPES = ("server", "server-regenerated", "rsa-pss")

CERTIFICATES = (
    "root-ca.pem",
    "root-ca.der",
    "intermediate-ca.pem",
    "intermediate-ca.der",
    "server.cert.pem",
    "server.cert.der",
    *(f"{t}.cert.{ext}" for t in KEY_TYPES for ext in ("pem", "der")),
)
CSRS = (
    "server.csr.pem",
    "server.csr.der",
    "server-regenerated.csr.pem",
    "server-regenerated.csr.der",
    *(f"{t}.csr.{ext}" for t in KEY_TYPES for ext in ("pem", "der")),
)
# private key vector -> password (None for unencrypted)
PRIVATE_KEYS: dict[str, bytes | None] = {
    "server.key.pem": None,
    "server.key.der": None,
    "server-pkcs1.key.pem": None,
    "server-pkcs1.key.der": None,
    "server-regenerated.key.pem": None,
    "server-encrypted-pkcs8.key.pem": PKCS8_PASSWORD,
    "server-encrypted-pkcs8.key.der": PKCS8_PASSWORD,
    "server-encrypted-legacy.key.pem": LEGACY_PASSWORD,
    "ec-p256-sec1.key.pem": None,
    "dsa-traditional.key.pem": None,
    **{f"{t}.key.{ext}": None for t in KEY_TYPES for ext in ("pem", "der")},
}
PUBLIC_KEYS = (
    "server.pub.pem",
    "server.pub.der",
    "server-pkcs1.pub.pem",
    "server-pkcs1.pub.der",
    *(f"{t}.pub.pem" for t in KEY_TYPES),
)


def _inform(name: str) -> list[str]:
    return ["-inform", "DER"] if name.endswith(".der") else []


def _sha256(der: bytes) -> str:
    return openssl("dgst", "-sha256", stdin=der).decode().split("= ")[-1].strip()


def _md5(line: bytes) -> str:
    return openssl("md5", stdin=line).decode().split("= ")[-1].strip()


@pytest.mark.parametrize("name", CERTIFICATES)
def test_certificate_hashes_equal_openssl_x509(name: str) -> None:
    path = str(VECTORS / name)
    artefact = load_vector(name).artefacts[0]
    pubkey = openssl("x509", "-in", path, *_inform(name), "-noout", "-pubkey")
    spki = openssl("pkey", "-pubin", "-outform", "DER", stdin=pubkey)
    modulus_line = openssl("x509", "-in", path, *_inform(name), "-noout", "-modulus")
    assert artefact.kind is ArtefactKind.CERTIFICATE
    assert artefact.key.spki_sha256 == _sha256(spki)
    if artefact.key.algorithm.startswith("RSA"):
        assert artefact.key.modulus_md5 == _md5(modulus_line)
    else:
        # The contract: RSA only. (openssl prints DSA's public value as "Modulus=" too.)
        assert artefact.key.modulus_md5 is None


@pytest.mark.parametrize("name", CSRS)
def test_csr_hashes_equal_openssl_req(name: str) -> None:
    path = str(VECTORS / name)
    artefact = load_vector(name).artefacts[0]
    pubkey = openssl("req", "-in", path, *_inform(name), "-noout", "-pubkey")
    spki = openssl("pkey", "-pubin", "-outform", "DER", stdin=pubkey)
    modulus_line = openssl("req", "-in", path, *_inform(name), "-noout", "-modulus")
    assert artefact.kind is ArtefactKind.CSR
    assert artefact.key.spki_sha256 == _sha256(spki)
    if artefact.key.algorithm.startswith("RSA"):
        assert artefact.key.modulus_md5 == _md5(modulus_line)
    else:
        assert artefact.key.modulus_md5 is None


@pytest.mark.parametrize(("name", "password"), PRIVATE_KEYS.items())
def test_private_key_hashes_equal_openssl_pkey_pubout(name: str, password: bytes | None) -> None:
    path = str(VECTORS / name)
    passin = ["-passin", f"pass:{password.decode()}"] if password else []
    artefact = load_vector(name, password).artefacts[0]
    spki = openssl("pkey", "-in", path, *_inform(name), *passin, "-pubout", "-outform", "DER")
    assert artefact.kind is ArtefactKind.PRIVATE_KEY
    assert artefact.key.spki_sha256 == _sha256(spki)
    if artefact.key.algorithm.startswith("RSA"):
        modulus_line = openssl("rsa", "-in", path, *_inform(name), *passin, "-noout", "-modulus")
        assert artefact.key.modulus_md5 == _md5(modulus_line)
    else:
        assert artefact.key.modulus_md5 is None


@pytest.mark.parametrize("name", PUBLIC_KEYS)
def test_public_key_hashes_equal_openssl_pkey(name: str) -> None:
    path = str(VECTORS / name)
    pkcs1 = ["-RSAPublicKey_in"] if "pkcs1" in name else ["-pubin"]
    artefact = load_vector(name).artefacts[0]
    if "pkcs1" in name:
        spki = openssl("rsa", *pkcs1, "-in", path, *_inform(name), "-pubout", "-outform", "DER")
    else:
        spki = openssl("pkey", "-pubin", "-in", path, *_inform(name), "-outform", "DER")
    assert artefact.kind is ArtefactKind.PUBLIC_KEY
    assert artefact.key.spki_sha256 == _sha256(spki)
    if artefact.key.algorithm.startswith("RSA"):
        modulus_line = openssl("rsa", *pkcs1, "-in", path, *_inform(name), "-noout", "-modulus")
        assert artefact.key.modulus_md5 == _md5(modulus_line)
    else:
        assert artefact.key.modulus_md5 is None


@pytest.mark.parametrize("key_type", ["server", *KEY_TYPES])
def test_key_csr_and_certificate_of_one_key_share_one_identity(key_type: str) -> None:
    cert = "server.cert.pem" if key_type == "server" else f"{key_type}.cert.pem"
    names = [cert, f"{key_type}.csr.pem", f"{key_type}.key.pem", f"{key_type}.pub.pem"]
    identities = {load_vector(n).artefacts[0].key.match_id for n in names}
    assert len(identities) == 1
    assert None not in identities


def test_regenerated_csr_has_a_different_key_than_the_certificate() -> None:
    cert = load_vector("server.cert.pem").artefacts[0]
    regenerated = load_vector("server-regenerated.csr.pem").artefacts[0]
    assert cert.key.match_id != regenerated.key.match_id
    assert cert.key.modulus_md5 != regenerated.key.modulus_md5


def test_rsa_pss_key_keeps_its_pss_algorithm_in_every_kind() -> None:
    algorithms = {
        load_vector(f"rsa-pss.{kind}").artefacts[0].key.algorithm
        for kind in ("cert.pem", "csr.pem", "key.pem", "key.der", "pub.pem")
    }
    assert algorithms == {"RSA-PSS"}


# --- the encodings certmatch writes itself instead of importing cryptography's serialization ---


@pytest.mark.parametrize(
    "curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()], ids=lambda curve: curve.name
)
def test_named_curve_spki_equals_cryptographys_encoding(curve: ec.EllipticCurve) -> None:
    for _ in range(20):  # coordinates with leading zero bytes included, at these odds
        public_key = ec.generate_private_key(curve).public_key()
        expected = public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert _named_curve_spki(public_key) == expected


@pytest.mark.parametrize(("bits", "exponent"), [(1024, 3), (1024, 65537), (2048, 65537)])
def test_rsa_spki_equals_cryptographys_encoding(bits: int, exponent: int) -> None:
    for _ in range(3):
        public_key = rsa.generate_private_key(exponent, bits).public_key()
        expected = public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert _rsa_spki(public_key) == expected


def test_other_curves_fall_back_to_cryptographys_encoding() -> None:
    assert _named_curve_spki(ec.generate_private_key(ec.SECP256K1()).public_key()) is None


@pytest.mark.parametrize("name", [*CERTIFICATES, *CSRS])
def test_public_pem_equals_cryptographys_pem(name: str) -> None:
    (artefact,) = load_vector(name).artefacts
    native = artefact.native
    assert isinstance(native, x509.Certificate | x509.CertificateSigningRequest)
    assert artefact.public_pem == native.public_bytes(serialization.Encoding.PEM).decode()
