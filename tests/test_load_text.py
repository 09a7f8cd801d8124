"""Text that went through chat and e-mail is repaired, each repair is reported, and contains_material."""

from __future__ import annotations

import pytest

from certmatch.load import Input, contains_material, load
from certmatch.model import ArtefactKind
from tests.vector_files import load_vector, read


def _repairs(name: str) -> set[str]:
    return {r for a in load_vector(name).artefacts for r in a.repairs}


def _key_of(name: str) -> str | None:
    return load_vector(name).artefacts[0].key.match_id


def test_chat_mangled_paste_yields_the_certificate_and_csr_with_their_keys() -> None:
    result = load_vector("pasted-chat-mangled.txt")
    assert [a.kind for a in result.artefacts] == [ArtefactKind.CERTIFICATE, ArtefactKind.CSR]
    assert result.artefacts[0].key.match_id == _key_of("server.cert.pem")
    assert result.artefacts[1].key.match_id == _key_of("server.csr.pem")
    assert result.problems == ()


@pytest.mark.parametrize(
    "repair",
    [
        "removed ``` code fences",
        "replaced typographic (en/em) dashes in the armour lines with hyphens",
        "removed invisible zero-width characters",
        "replaced non-breaking spaces with ordinary spaces",
        "removed indentation",
        "removed trailing spaces",
        "ignored the text around the PEM blocks",
    ],
)
def test_chat_mangled_paste_reports_each_repair(repair: str) -> None:
    assert repair in _repairs("pasted-chat-mangled.txt")


def test_chat_mangled_paste_reports_no_repair_that_was_not_needed() -> None:
    assert not any("missing" in r for r in _repairs("pasted-chat-mangled.txt"))


def test_armour_whose_leading_dashes_were_lost_is_still_read() -> None:
    text = read("server.csr.pem").replace(b"-----BEGIN", b"BEGIN").replace(b"-----END", b"END")
    (artefact,) = load(Input("pasted text", text)).artefacts
    assert artefact.kind is ArtefactKind.CSR


def test_email_quoted_certificate_is_read_and_its_repairs_reported() -> None:
    (artefact,) = load_vector("pasted-email-quoted.txt").artefacts
    assert artefact.key.match_id == _key_of("server.cert.pem")
    assert "converted Windows (CRLF) line endings" in artefact.repairs
    assert "removed e-mail quote markers (>) at the start of lines" in artefact.repairs
    assert "read base64 wrapped at 76 characters (PEM wraps at 64)" in artefact.repairs


def test_slack_escaped_one_line_csr_is_read() -> None:
    (artefact,) = load_vector("pasted-slack-escaped.txt").artefacts
    assert artefact.kind is ArtefactKind.CSR
    assert artefact.key.match_id == _key_of("server.csr.pem")
    assert any("HTML entities" in r for r in artefact.repairs)
    assert "read base64 written on one line (PEM wraps at 64)" in artefact.repairs


@pytest.mark.parametrize(
    ("name", "kind", "twin"),
    [
        ("bare-base64.csr.txt", ArtefactKind.CSR, "server.csr.pem"),
        ("bare-base64-oneline.cert.txt", ArtefactKind.CERTIFICATE, "server.cert.pem"),
    ],
)
def test_bare_base64_without_armour_is_read(name: str, kind: ArtefactKind, twin: str) -> None:
    (artefact,) = load_vector(name).artefacts
    assert artefact.kind is kind
    assert artefact.container == "base64"
    assert artefact.key.match_id == _key_of(twin)
    assert "read a bare base64 body without BEGIN/END lines" in artefact.repairs


def test_crlf_file_is_read_and_the_conversion_reported() -> None:
    (artefact,) = load_vector("pem-crlf.cert.pem").artefacts
    assert artefact.repairs == ("converted Windows (CRLF) line endings",)


def test_utf16_file_from_powershell_is_read() -> None:
    (artefact,) = load_vector("pem-utf16.cert.pem").artefacts
    assert artefact.key.match_id == _key_of("server.cert.pem")
    assert any("UTF-16" in r for r in artefact.repairs)


def test_clean_pem_file_reports_no_repairs() -> None:
    for name in ("server.cert.pem", "fullchain.pem", "server.key.pem"):
        assert _repairs(name) == set(), name


@pytest.mark.parametrize("width", [40, 63, 65, 76, 120])
def test_base64_wrapped_at_any_width_is_read(width: int) -> None:
    pem = read("server.cert.pem").decode()
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    lines = [body[i : i + width] for i in range(0, len(body), width)]
    text = "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
    (artefact,) = load(Input("pasted text", text.encode())).artefacts
    assert artefact.key.match_id == _key_of("server.cert.pem")


def test_blocks_glued_on_one_line_are_both_read() -> None:
    two = (read("root-ca.pem") + read("server.cert.pem")).decode().replace("\n", " ")
    result = load(Input("pasted text", two.encode()))
    assert [a.kind for a in result.artefacts] == [ArtefactKind.CERTIFICATE] * 2


def test_missing_end_line_is_tolerated_when_the_base64_is_whole() -> None:
    text = read("server.csr.pem").decode().replace("-----END CERTIFICATE REQUEST-----", "")
    (artefact,) = load(Input("pasted text", text.encode())).artefacts
    assert artefact.kind is ArtefactKind.CSR
    assert any("END line of the block was missing" in r for r in artefact.repairs)


@pytest.mark.parametrize(
    "name",
    [
        "server.cert.pem",
        "pasted-chat-mangled.txt",
        "pasted-email-quoted.txt",
        "pasted-slack-escaped.txt",
        "bare-base64.csr.txt",
        "bare-base64-oneline.cert.txt",
        "hash-md5-stdin.txt",
        "hash-stdin-openssl1.txt",
        "hash-modulus-line.txt",
        "hash-shell-transcript.txt",
        "hash-not-modulus-x509.txt",
        "hash-inline-markup.txt",
        "hash-text-dump-csr.txt",
        "adcs-chain-base64.p7b",
    ],
)
def test_contains_material_is_true_for_chat_text_worth_loading(name: str) -> None:
    assert contains_material(read(name).decode("utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hi, can someone check whether the CA-signed cert matches the CSR I sent yesterday?",
        "build 3f2a9c0d1e4b5a6978877665544332211 passed",
        "a lone hex line\n0123456789abcdef0123456789abcdef\n",
        "see https://example.test/some/long/path/with-words-and-more-words",
    ],
)
def test_contains_material_is_false_for_ordinary_chat(text: str) -> None:
    assert not contains_material(text)


def test_pem_file_ending_in_a_dos_end_of_file_byte_is_read() -> None:
    (artefact,) = load_vector("pem-ctrl-z.cert.pem").artefacts
    assert artefact.key.match_id == _key_of("server.cert.pem")
    assert any("control characters" in r for r in artefact.repairs)
