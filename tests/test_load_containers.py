"""PKCS#7 bundles, PKCS#12 files and encrypted keys: contents, order, naming and passwords."""

from __future__ import annotations

import pytest

from certmatch.errors import EncryptedKeyError
from certmatch.load import Input, load
from certmatch.model import ArtefactKind
from tests.vector_files import (
    LEGACY_PASSWORD,
    P12_PASSWORD,
    PKCS8_PASSWORD,
    load_vector,
    read,
)


def _cn(subject: str | None) -> str:
    assert subject is not None
    return subject.split(",")[0]


@pytest.mark.parametrize(
    ("name", "container"), [("chain.p7b", "pkcs7"), ("chain.p7b.pem", "pkcs7")]
)
def test_pkcs7_bundle_der_and_pem_hold_the_chain_in_file_order(name: str, container: str) -> None:
    result = load_vector(name)
    assert [_cn(a.subject) for a in result.artefacts] == [
        "CN=Example Test Issuing CA",
        "CN=Example Test Root CA",
        "CN=cucm-pub.example.test",
    ]
    assert [a.source for a in result.artefacts] == [f"{name} [{i}/3]" for i in (1, 2, 3)]
    assert {a.container for a in result.artefacts} == {container}
    assert result.problems == ()


def test_pkcs7_server_certificate_matches_the_plain_certificate() -> None:
    from_bundle = load_vector("chain.p7b").artefacts[2]
    (plain,) = load_vector("server.cert.pem").artefacts
    assert from_bundle.key == plain.key
    assert from_bundle.serial == plain.serial


def test_pkcs7_with_one_certificate_is_named_after_the_file() -> None:
    (artefact,) = load_vector("server-only.p7b").artefacts
    assert artefact.source == "server-only.p7b"
    assert artefact.kind is ArtefactKind.CERTIFICATE


def test_pkcs7_named_like_adcs_output_loads_under_its_name() -> None:
    result = load(Input("certnew.p7b", read("chain.p7b")))
    assert result.artefacts[1].source == "certnew.p7b [2/3]"


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("server-nopass.p12", None),
        ("server-nopass.p12", b"ignored-when-not-needed"),
        ("server-password.p12", P12_PASSWORD),
    ],
)
def test_pkcs12_yields_the_key_public_half_and_every_certificate(
    name: str, password: bytes | None
) -> None:
    result = load_vector(name, password)
    kinds = [a.kind for a in result.artefacts]
    assert kinds == [ArtefactKind.PRIVATE_KEY] + [ArtefactKind.CERTIFICATE] * 3
    assert result.artefacts[0].source == f"{name} [private key]"
    assert result.artefacts[1].source == f"{name} [1/3]"
    (server,) = load_vector("server.cert.pem").artefacts
    assert result.artefacts[0].key.match_id == server.key.match_id
    assert result.artefacts[1].key == server.key
    assert "PRIVATE" not in result.artefacts[0].public_pem


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("server-password.p12", None),
        ("server-password.p12", b"wrong"),
        ("server-encrypted-pkcs8.key.pem", None),
        ("server-encrypted-pkcs8.key.pem", b"wrong"),
        ("server-encrypted-pkcs8.key.der", None),
        ("server-encrypted-legacy.key.pem", None),
        ("server-encrypted-legacy.key.pem", b"wrong"),
    ],
)
def test_encrypted_input_without_the_right_password_raises_encrypted_key_error(
    name: str, password: bytes | None
) -> None:
    with pytest.raises(EncryptedKeyError) as raised:
        load_vector(name, password)
    message = str(raised.value)
    assert message.startswith(f"{name}: ")
    assert "--password-file" in message
    if password is None:
        assert "no password was given" in message or "none was given" in message
    else:
        assert "password does not" in message
        assert password.decode() not in message


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("server-encrypted-pkcs8.key.pem", PKCS8_PASSWORD),
        ("server-encrypted-pkcs8.key.der", PKCS8_PASSWORD),
        ("server-encrypted-legacy.key.pem", LEGACY_PASSWORD),
    ],
)
def test_encrypted_key_with_its_password_yields_the_public_half(name: str, password: bytes) -> None:
    (artefact,) = load_vector(name, password).artefacts
    (plain,) = load_vector("server.key.pem").artefacts
    assert artefact.kind is ArtefactKind.PRIVATE_KEY
    assert artefact.encrypted is True
    assert artefact.key == plain.key


def test_encrypted_key_beside_a_certificate_is_a_problem_not_a_failure() -> None:
    text = read("server.cert.pem") + read("server-encrypted-pkcs8.key.pem")
    result = load(Input("bundle.pem", text))
    assert [a.kind for a in result.artefacts] == [ArtefactKind.CERTIFICATE]
    (problem,) = result.problems
    assert problem.code == "key-encrypted"
    assert problem.source == "bundle.pem [block 2]"


def test_input_repr_never_shows_the_password() -> None:
    assert "secret-pw" not in repr(Input("k.pem", b"", b"secret-pw"))


def test_adcs_base64_chain_labelled_certificate_is_read_as_the_pkcs7_bundle() -> None:
    result = load_vector("adcs-chain-base64.p7b")
    bundle = load_vector("chain.p7b").artefacts
    assert [a.key for a in result.artefacts] == [a.key for a in bundle]
    assert [a.source for a in result.artefacts] == [
        f"adcs-chain-base64.p7b [{i}/3]" for i in (1, 2, 3)
    ]
    assert all("holds a PKCS#7 bundle" in a.repairs[0] for a in result.artefacts)
