"""Loading PEM of every label and DER twins: kinds, sources, many blocks, private keys kept public-only."""

from __future__ import annotations

import subprocess

import pytest

from certmatch.load import Input, load
from certmatch.model import ArtefactKind
from tests.vector_files import VECTORS, load_vector, read

# PEM vector, its DER twin, the kind both hold.
TWINS = (
    ("server.cert.pem", "server.cert.der", ArtefactKind.CERTIFICATE),
    ("server.csr.pem", "server.csr.der", ArtefactKind.CSR),
    ("server.key.pem", "server.key.der", ArtefactKind.PRIVATE_KEY),
    ("server-pkcs1.key.pem", "server-pkcs1.key.der", ArtefactKind.PRIVATE_KEY),
    ("server.pub.pem", "server.pub.der", ArtefactKind.PUBLIC_KEY),
    ("server-pkcs1.pub.pem", "server-pkcs1.pub.der", ArtefactKind.PUBLIC_KEY),
    ("root-ca.pem", "root-ca.der", ArtefactKind.CERTIFICATE),
    ("intermediate-ca.pem", "intermediate-ca.der", ArtefactKind.CERTIFICATE),
    ("ec-p384.cert.pem", "ec-p384.cert.der", ArtefactKind.CERTIFICATE),
    ("ed448.csr.pem", "ed448.csr.der", ArtefactKind.CSR),
    ("dsa.key.pem", "dsa.key.der", ArtefactKind.PRIVATE_KEY),
)

# Vector with one block under a given label -> the kind it must load as.
LABELS = {
    "server.cert.pem": ArtefactKind.CERTIFICATE,  # CERTIFICATE
    "server-x509-label.cert.pem": ArtefactKind.CERTIFICATE,  # X509 CERTIFICATE
    "server-trusted.cert.pem": ArtefactKind.CERTIFICATE,  # TRUSTED CERTIFICATE
    "server.csr.pem": ArtefactKind.CSR,  # CERTIFICATE REQUEST
    "server-new-label.csr.pem": ArtefactKind.CSR,  # NEW CERTIFICATE REQUEST
    "server.key.pem": ArtefactKind.PRIVATE_KEY,  # PRIVATE KEY
    "server-pkcs1.key.pem": ArtefactKind.PRIVATE_KEY,  # RSA PRIVATE KEY
    "ec-p256-sec1.key.pem": ArtefactKind.PRIVATE_KEY,  # EC PRIVATE KEY
    "dsa-traditional.key.pem": ArtefactKind.PRIVATE_KEY,  # DSA PRIVATE KEY
    "server.pub.pem": ArtefactKind.PUBLIC_KEY,  # PUBLIC KEY
    "server-pkcs1.pub.pem": ArtefactKind.PUBLIC_KEY,  # RSA PUBLIC KEY
}


@pytest.mark.parametrize(("pem_name", "der_name", "kind"), TWINS)
def test_pem_and_der_twins_load_to_the_same_artefact(
    pem_name: str, der_name: str, kind: ArtefactKind
) -> None:
    (from_pem,) = load_vector(pem_name).artefacts
    (from_der,) = load_vector(der_name).artefacts
    assert from_pem.kind is from_der.kind is kind
    assert from_pem.key == from_der.key
    assert from_pem.subject == from_der.subject
    assert (from_pem.container, from_der.container) == ("pem", "der")
    assert (from_pem.source, from_der.source) == (pem_name, der_name)


@pytest.mark.parametrize(("name", "kind"), LABELS.items())
def test_every_pem_label_loads_as_its_kind(name: str, kind: ArtefactKind) -> None:
    result = load_vector(name)
    assert [a.kind for a in result.artefacts] == [kind]
    assert result.problems == ()


def test_trusted_certificate_is_the_same_certificate_without_openssl_trust_settings() -> None:
    (trusted,) = load_vector("server-trusted.cert.pem").artefacts
    (plain,) = load_vector("server.cert.pem").artefacts
    assert trusted.key == plain.key
    assert trusted.serial == plain.serial
    assert trusted.public_pem == plain.public_pem


def test_several_blocks_of_mixed_kinds_load_in_file_order_with_block_sources() -> None:
    result = load_vector("mixed-kinds.pem")
    assert [(a.source, a.kind) for a in result.artefacts] == [
        ("mixed-kinds.pem [block 1]", ArtefactKind.CERTIFICATE),
        ("mixed-kinds.pem [block 2]", ArtefactKind.CSR),
        ("mixed-kinds.pem [block 3]", ArtefactKind.CERTIFICATE),
        ("mixed-kinds.pem [block 4]", ArtefactKind.PUBLIC_KEY),
        ("mixed-kinds.pem [block 5]", ArtefactKind.CERTIFICATE),
    ]


def test_chain_out_of_order_keeps_file_order() -> None:
    subjects = [a.subject for a in load_vector("chain-out-of-order.pem").artefacts]
    assert subjects[0] is not None and "Root CA" in subjects[0]
    assert subjects[1] is not None and "cucm-pub.example.test" in subjects[1]
    assert subjects[2] is not None and "Issuing CA" in subjects[2]


def test_single_block_is_named_after_the_input_alone() -> None:
    (artefact,) = load(Input("tomcat.csr", read("server.csr.pem"))).artefacts
    assert artefact.source == "tomcat.csr"


def test_pasted_text_blocks_are_numbered() -> None:
    result = load(Input("pasted text", read("fullchain.pem")))
    assert [a.source for a in result.artefacts] == [
        "pasted text [block 1]",
        "pasted text [block 2]",
        "pasted text [block 3]",
    ]


def test_ec_parameters_block_beside_the_key_is_skipped_silently() -> None:
    result = load_vector("ec-p256-with-params.key.pem")
    assert [a.kind for a in result.artefacts] == [ArtefactKind.PRIVATE_KEY]
    assert result.artefacts[0].source == "ec-p256-with-params.key.pem"
    assert result.problems == ()


@pytest.mark.parametrize(
    "name", ["server.key.pem", "server-pkcs1.key.der", "server-cert-and-key.pem", "ed25519.key.pem"]
)
def test_private_key_artefacts_hold_only_the_public_half(name: str) -> None:
    data = read(name)
    for artefact in load_vector(name).artefacts:
        assert "PRIVATE" not in artefact.public_pem
        assert artefact.native is None or artefact.kind is not ArtefactKind.PRIVATE_KEY
        assert data not in repr(artefact).encode()
    keys = [a for a in load_vector(name).artefacts if a.kind is ArtefactKind.PRIVATE_KEY]
    assert len(keys) == 1
    assert keys[0].public_pem.startswith("-----BEGIN PUBLIC KEY-----")


def test_certificate_and_key_in_one_file_are_both_loaded() -> None:
    kinds = [a.kind for a in load_vector("server-cert-and-key.pem").artefacts]
    assert kinds == [ArtefactKind.CERTIFICATE, ArtefactKind.CERTIFICATE, ArtefactKind.PRIVATE_KEY]


def test_block_labelled_as_one_kind_but_holding_another_is_read_as_what_it_holds() -> None:
    csr_as_cert = read("server.csr.pem").replace(b"CERTIFICATE REQUEST", b"CERTIFICATE")
    (artefact,) = load(Input("wrong-label.pem", csr_as_cert)).artefacts
    assert artefact.kind is ArtefactKind.CSR
    assert any("labelled CERTIFICATE but holds a CSR" in r for r in artefact.repairs)


def test_password_given_for_an_unencrypted_key_is_ignored() -> None:
    (artefact,) = load(Input("server.key.pem", read("server.key.pem"), b"unused")).artefacts
    assert artefact.kind is ArtefactKind.PRIVATE_KEY
    assert artefact.encrypted is False


def test_certificate_with_a_negative_serial_loads_with_a_note_not_a_warning() -> None:
    der = bytearray(read("server.cert.der"))
    serial_at = der.index(bytes.fromhex("020203e9"))  # serial 1001 as set by the generator
    der[serial_at + 2] = 0x83  # now negative, as some old CAs issued
    (artefact,) = load(Input("old-ca.cer", bytes(der))).artefacts
    assert artefact.kind is ArtefactKind.CERTIFICATE
    assert any(r.startswith("note: Parsed a serial number") for r in artefact.repairs)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("server.csr.pem", True),
        ("server-sha1.csr.pem", True),
        ("server-md5.csr.pem", True),
        ("server-sha1-bad-signature.csr.der", False),
    ],
)
def test_csr_self_signature_is_checked_even_for_sha1_and_md5(name: str, valid: bool) -> None:
    (artefact,) = load_vector(name).artefacts
    assert artefact.signature_valid is valid


def test_sha1_csr_self_signature_agrees_with_openssl_req_verify() -> None:
    # `openssl req -verify` exits 0 either way (3.0); its message says which.
    for name, inform in (
        ("server-sha1.csr.pem", "PEM"),
        ("server-sha1-bad-signature.csr.der", "DER"),
    ):
        (artefact,) = load_vector(name).artefacts
        done = subprocess.run(
            ["openssl", "req", "-in", str(VECTORS / name), "-inform", inform, "-verify", "-noout"],
            capture_output=True,
            text=True,
        )
        verified = "verify OK" in done.stdout + done.stderr
        assert artefact.signature_valid is verified, name
