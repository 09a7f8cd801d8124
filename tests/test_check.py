"""check(): loading, pairing, verdicts and openssl parity on the committed vectors."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from certmatch.check import PROFILE_NAMES, check
from certmatch.load import Input
from certmatch.model import ArtefactKind, Report, Verdict
from tests.engine_time import engine_seconds
from tests.factory import NOW, issue, make_csr, make_pki, new_key

VECTORS = Path(__file__).parent / "vectors"
UC = VECTORS / "uc"


def inputs(*names: str, password: bytes | None = None) -> list[Input]:
    return [Input(name, (VECTORS / name).read_bytes(), password) for name in names]


def run(*names: str, password: bytes | None = None, **kwargs: object) -> Report:
    return check(inputs(*names, password=password), now=NOW, **kwargs)  # type: ignore[arg-type]


def codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


@pytest.mark.parametrize(
    "kind", ["server", "rsa-pss", "ec-p256", "ec-p384", "ec-p521", "ed25519", "ed448", "dsa"]
)
@pytest.mark.parametrize("container", ["pem", "der"])
def test_csr_and_certificate_for_every_key_type_match_in_pem_and_der(
    kind: str, container: str
) -> None:
    report = run(f"{kind}.csr.{container}", f"{kind}.cert.{container}", "intermediate-ca.pem")
    assert report.verdict is Verdict.MATCH, report.summary
    assert report.summary.startswith("match: ")
    assert report.leaf == 1 and report.chain == (1, 2)


@pytest.mark.parametrize("key", ["server.key.pem", "server.key.der", "server-pkcs1.key.pem"])
def test_private_key_matches_its_certificate_and_is_flagged(key: str) -> None:
    report = run(key, "server.cert.pem")
    assert report.verdict is Verdict.MATCH
    assert "private-key-present" in codes(report)
    assert "BEGIN" not in str(report.to_dict()).replace("CERTIFICATE", "")


def test_regenerated_csr_against_the_issued_certificate_is_a_mismatch() -> None:
    report = run("server-regenerated.csr.pem", "server.cert.pem")
    assert report.verdict is Verdict.MISMATCH
    mismatch = next(f for f in report.findings if f.code == "key-mismatch")
    assert "regenerated after it was submitted" in mismatch.hint
    assert report.ca_note is not None and "server-regenerated.csr.pem" in report.ca_note


@pytest.mark.parametrize("bundle", ["chain.p7b", "chain.p7b.pem", "chain-out-of-order.pem"])
def test_bundle_in_any_file_order_yields_leaf_first_chain(bundle: str) -> None:
    report = run("server.csr.pem", bundle)
    assert report.verdict is Verdict.MATCH
    chain = [report.artifacts[i] for i in report.chain]
    assert [a.is_ca for a in chain] == [False, True, True]
    assert chain[0].key.modulus_md5 == report.artifacts[0].key.modulus_md5
    assert chain[-1].subject == chain[-1].issuer


def test_chain_order_is_reported_for_a_pem_file_in_the_wrong_order_only() -> None:
    assert "chain-order" in codes(run("server.csr.pem", "chain-out-of-order.pem"))
    assert "chain-order" not in codes(run("server.csr.pem", "fullchain.pem"))
    assert "chain-order" not in codes(run("server.csr.pem", "chain.p7b"))


def test_pkcs12_without_password_and_with_password() -> None:
    assert run("server-nopass.p12").verdict is Verdict.MATCH
    assert run("server-password.p12", password=b"throwaway-p12").verdict is Verdict.MATCH


def test_encrypted_key_without_password_is_an_error_not_an_exception() -> None:
    report = run("server-encrypted-pkcs8.key.pem", "server.cert.pem")
    assert report.verdict is Verdict.ERROR
    assert "key-encrypted" in codes(report)
    assert report.problems[0].code == "key-encrypted"


def test_encrypted_key_with_password_matches() -> None:
    report = run("server-encrypted-pkcs8.key.pem", "server.cert.pem", password=b"throwaway-pkcs8")
    assert report.verdict is Verdict.MATCH


@pytest.mark.parametrize("hash_file", ["hash-md5-stdin.txt", "hash-stdin-openssl1.txt"])
def test_pasted_modulus_md5_matches_the_certificate(hash_file: str) -> None:
    report = run(hash_file, "server.cert.pem")
    assert report.verdict is Verdict.MATCH
    assert report.artifacts[0].kind is ArtefactKind.HASH


def test_pasted_md5_of_the_regenerated_key_is_a_mismatch() -> None:
    assert run("hash-md5-regenerated.txt", "server.cert.pem").verdict is Verdict.MISMATCH


@pytest.mark.parametrize(
    "hash_file",
    ["hash-not-modulus-x509.txt", "hash-not-modulus-req.txt", "hash-not-modulus-empty.txt"],
)
def test_md5_of_an_openssl_error_is_not_a_modulus(hash_file: str) -> None:
    report = run(hash_file, "ec-p256.cert.pem")
    assert report.verdict is Verdict.ERROR
    assert "hash-not-modulus" in codes(report)


@pytest.mark.parametrize(
    "bad",
    [
        "empty.pem",
        "whitespace-only.txt",
        "random-bytes.bin",
        "random-bytes-der-header.bin",
        "truncated.cert.der",
        "corrupted-base64.cert.pem",
        "ocr-damaged.csr.txt",
        "deeply-nested.der",
        "oversized-length.der",
        "prose-only.txt",
        "unknown-label.pem",
    ],
)
def test_unusable_input_is_an_error_with_a_message(bad: str) -> None:
    report = run("server.csr.pem", bad)
    assert report.verdict is Verdict.ERROR
    assert "unreadable-input" in codes(report)
    assert report.problems and report.problems[0].message
    assert report.summary.startswith("error: ")


def test_partly_damaged_input_keeps_the_good_blocks() -> None:
    report = run("server.csr.pem", "mixed-good-and-damaged.pem")
    assert "unreadable-input" in codes(report)
    assert any(p.left == 0 and p.match for p in report.pairs)


def test_oversized_input_is_refused_quickly() -> None:
    started = engine_seconds()
    report = check([Input("pile.pem", b"A" * (5 * 1024 * 1024))], now=NOW)
    assert report.verdict is Verdict.ERROR
    assert engine_seconds() - started < 2


def test_csr_alone_and_certificate_alone_are_incomplete() -> None:
    for name in ("server.csr.pem", "fullchain.pem"):
        report = run(name)
        assert report.verdict is Verdict.INCOMPLETE
        assert "nothing-to-compare" in codes(report)
    assert check([], now=NOW).verdict is Verdict.INCOMPLETE


def test_ca_certificate_handed_over_is_a_mismatch() -> None:
    report = run("server.csr.pem", "intermediate-ca.pem")
    assert report.verdict is Verdict.MISMATCH
    assert "ca-as-leaf" in codes(report)


def test_csr_saved_as_a_certificate_is_recognised() -> None:
    report = check(
        [Input(p.name, p.read_bytes()) for p in (UC / "tomcat.csr", UC / "tomcat-csr-as.cer")],
        now=NOW,
    )
    assert "ca-as-leaf" in codes(report)
    assert report.verdict is Verdict.INCOMPLETE


def test_sha1_intermediate_is_verified_into_the_chain() -> None:
    names = ("tomcat.csr", "tomcat-via-sha1-inter.pem", "inter-sha1.pem", "root.pem")
    report = check([Input(n, (UC / n).read_bytes()) for n in names], now=NOW)
    assert report.verdict is Verdict.MATCH
    assert report.chain == (1, 2, 3)
    assert "weak-signature" in codes(report)


def test_cisco_profile_assumes_a_purpose_and_generic_does_not() -> None:
    names = ("tomcat.csr", "tomcat.pem")
    given = [Input(n, (UC / n).read_bytes()) for n in names]
    assert check(given, now=NOW).purpose is None
    cisco = check(given, now=NOW, profile="cisco-uc")
    assert cisco.profile == "cisco-uc"
    assert cisco.purpose is not None and cisco.purpose_assumed
    named = check(given, now=NOW, profile="cisco-uc", purpose="tomcat")
    assert named.purpose == "tomcat" and not named.purpose_assumed
    assert PROFILE_NAMES == ("generic", "cisco-uc")


def test_unknown_profile_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        check([], profile="nope")


def test_pem_built_in_memory_matches() -> None:
    pki = make_pki("ec256")
    key = new_key("rsa2048")
    csr = make_csr(key)
    cert = issue(csr, pki)
    pem = serialization.Encoding.PEM
    text = csr.public_bytes(pem) + b"\n" + cert.public_bytes(pem)
    assert check([Input("pasted text", text)], now=NOW).verdict is Verdict.MATCH


def _hash_printed(command: str, cwd: Path) -> str:
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    found = re.search(r"= ([0-9a-f]+)\s*$", result.stdout)
    assert found, result.stdout
    return found.group(1)


@pytest.mark.parametrize(
    "names",
    [
        ("server.csr.pem", "server.cert.pem"),
        ("server.csr.der", "server.cert.der"),
        ("server.key.pem", "server-pkcs1.key.der", "server.pub.der", "server.pub.pem"),
        ("server.csr.pem", "chain.p7b"),
        ("server.csr.pem", "chain.p7b.pem"),
        ("server.csr.pem", "chain-out-of-order.pem"),
        ("bare-base64.csr.txt", "server-nopass.p12"),
        ("ec-p256.csr.pem", "ec-p256.cert.der", "ec-p256.key.pem", "ec-p256.pub.pem"),
        ("ed25519.csr.der", "ed25519.cert.pem", "ed25519.key.der"),
        ("rsa-pss.csr.pem", "rsa-pss.cert.pem"),
    ],
)
def test_confirming_openssl_commands_print_the_reported_hashes(names: tuple[str, ...]) -> None:
    """The openssl CLI is the oracle: every command certmatch suggests prints its own hash."""
    report = run(*names, password=b"")
    assert report.commands
    expected = {a.key.modulus_md5 for a in report.artifacts} | {
        a.key.spki_sha256 for a in report.artifacts
    }
    for command in report.commands:
        # openssl asks for a PKCS#12 password on the terminal; the test has none to type.
        runnable = command.replace("openssl pkcs12 -in", "openssl pkcs12 -passin pass: -in")
        assert _hash_printed(runnable, VECTORS) in expected, command


def test_confirming_commands_never_name_a_file_openssl_cannot_read_without_repair() -> None:
    import subprocess

    from certmatch.check import check as run_check
    from certmatch.load import Input
    from tests.vector_files import VECTORS

    quoted = VECTORS / "pasted-email-quoted.txt"
    crlf = VECTORS / "pem-crlf.cert.pem"
    report = run_check(
        [Input(str(quoted), quoted.read_bytes()), Input(str(crlf), crlf.read_bytes())]
    )
    assert not any(str(quoted) in c for c in report.commands)
    crlf_commands = [c for c in report.commands if str(crlf) in c]
    assert crlf_commands, report.commands  # CRLF is a repair openssl copes with itself
    printed = subprocess.run(
        crlf_commands[0], shell=True, capture_output=True, text=True, check=True
    ).stdout
    crlf_md5 = next(a.key.modulus_md5 for a in report.artifacts if a.source == str(crlf))
    assert crlf_md5 is not None and crlf_md5 in printed
