"""Pasted openssl hash lines become comparison targets; md5s of openssl error strings are refused."""

from __future__ import annotations

import pytest

from certmatch.errors import NotAModulusError, UnusableInputError
from certmatch.load import Input, load
from certmatch.load.hashlines import NOT_A_MODULUS
from certmatch.model import ArtefactKind
from tests.vector_files import VECTORS, load_vector, openssl, read


def _server_md5() -> str | None:
    return load_vector("server.cert.pem").artefacts[0].key.modulus_md5


@pytest.mark.parametrize(
    "name",
    [
        "hash-md5-stdin.txt",
        "hash-stdin-openssl1.txt",
        "hash-modulus-line.txt",
        "hash-shell-transcript.txt",
    ],
)
def test_hash_line_forms_give_the_server_modulus_md5(name: str) -> None:
    result = load_vector(name)
    (artefact,) = result.artefacts
    assert artefact.kind is ArtefactKind.HASH
    assert artefact.key.modulus_md5 == _server_md5()
    assert artefact.container == "text"
    assert result.problems == ()


def test_shell_transcript_names_the_file_the_md5_came_from() -> None:
    (artefact,) = load_vector("hash-shell-transcript.txt").artefacts
    assert artefact.source == "hash-shell-transcript.txt (tomcat_priv.pem)"


def test_regenerated_key_md5_differs_from_the_certificate() -> None:
    (artefact,) = load_vector("hash-md5-regenerated.txt").artefacts
    assert artefact.key.modulus_md5 != _server_md5()


def test_modulus_line_md5_equals_openssl_md5_of_the_same_line() -> None:
    line = read("hash-modulus-line.txt")
    expected = openssl("md5", stdin=line).decode().split("= ")[-1].strip()
    (artefact,) = load_vector("hash-modulus-line.txt").artefacts
    assert artefact.key.modulus_md5 == expected


def test_lowercase_modulus_with_leading_zeros_is_normalised_like_openssl_prints_it() -> None:
    line = read("hash-modulus-line.txt").decode()
    mangled = "Modulus=00" + line.removeprefix("Modulus=").lower()
    (artefact,) = load(Input("pasted text", mangled.encode())).artefacts
    assert artefact.key.modulus_md5 == _server_md5()


@pytest.mark.parametrize(
    ("command", "error_line"),
    [
        ("x509", b"Modulus=No modulus for this public key type\n"),
        ("req", b"Modulus=Wrong Algorithm type\n"),
    ],
)
def test_openssl_error_lines_for_non_rsa_keys_are_the_known_md5s(
    command: str, error_line: bytes
) -> None:
    suffix = "cert" if command == "x509" else "csr"
    printed = openssl(command, "-in", str(VECTORS / f"ec-p256.{suffix}.pem"), "-noout", "-modulus")
    assert printed == error_line
    md5 = openssl("md5", stdin=printed).decode().split("= ")[-1].strip()
    assert md5 in NOT_A_MODULUS


def test_md5_of_empty_output_is_known_not_to_be_a_modulus() -> None:
    md5 = openssl("md5", stdin=b"").decode().split("= ")[-1].strip()
    assert md5 == "d41d8cd98f00b204e9800998ecf8427e"
    assert md5 in NOT_A_MODULUS


@pytest.mark.parametrize(
    "name",
    [
        "hash-not-modulus-x509.txt",
        "hash-not-modulus-req.txt",
        "hash-not-modulus-empty.txt",
        "hash-modulus-error-line.txt",
    ],
)
def test_error_string_md5_is_refused_with_what_to_run_instead(name: str) -> None:
    with pytest.raises(NotAModulusError) as raised:
        load_vector(name)
    message = str(raised.value)
    assert "not RSA" in message
    assert "openssl pkey" in message


def test_error_string_md5_beside_a_certificate_is_a_hash_not_modulus_problem() -> None:
    text = read("server.cert.pem") + read("hash-not-modulus-x509.txt")
    result = load(Input("pasted text", text))
    assert [a.kind for a in result.artefacts] == [ArtefactKind.CERTIFICATE]
    assert [p.code for p in result.problems] == ["hash-not-modulus"]


def test_sha256_line_is_refused_with_the_command_to_run() -> None:
    with pytest.raises(UnusableInputError, match="modulus md5"):
        load_vector("hash-sha256-line.txt")


def test_hash_line_and_certificate_in_one_paste_are_both_loaded() -> None:
    text = read("hash-md5-stdin.txt") + b"\nand the cert:\n" + read("server.cert.pem")
    result = load(Input("pasted text", text))
    assert [(a.source, a.kind) for a in result.artefacts] == [
        ("pasted text [block 1]", ArtefactKind.CERTIFICATE),
        ("pasted text [hash 1]", ArtefactKind.HASH),
    ]


def test_modulus_in_a_text_dump_gives_the_server_md5() -> None:
    (artefact,) = load_vector("hash-text-dump-csr.txt").artefacts
    assert artefact.kind is ArtefactKind.HASH
    assert artefact.key.modulus_md5 == _server_md5()
    assert any("text dump" in r for r in artefact.repairs)


def test_text_dump_next_to_its_own_pem_block_adds_no_hash() -> None:
    dump = openssl("x509", "-in", str(VECTORS / "server.cert.pem"), "-text")
    result = load(Input("x509-text.txt", dump))
    assert [a.kind for a in result.artefacts] == [ArtefactKind.CERTIFICATE]


def test_hash_inline_in_a_chat_sentence_with_code_marks_is_read() -> None:
    (artefact,) = load_vector("hash-inline-markup.txt").artefacts
    assert artefact.key.modulus_md5 == _server_md5()
    assert artefact.source == "hash-inline-markup.txt"
