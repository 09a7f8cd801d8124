"""The CLI contract (DESIGN.md): text or one JSON document, exit 0/1/2/3, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from certmatch.cli import main

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"


def v(name: str) -> str:
    return str(VECTORS / name)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["--json", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out)  # exactly one document, or this raises


def cli(
    *argv: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "certmatch", *argv],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env=full_env,
        timeout=60,
        check=False,
    )


def openssl_md5(*command: str) -> str:
    modulus = subprocess.run(["openssl", *command], capture_output=True, check=True).stdout
    digest = subprocess.run(["openssl", "md5"], input=modulus, capture_output=True, check=True)
    return digest.stdout.decode().split("= ")[1].strip()


@pytest.mark.parametrize(
    ("files", "verdict", "exit_code"),
    [
        (["server.csr.pem", "server.cert.pem"], "match", 0),
        (["server.cert.der", "server.key.pem", "fullchain.pem"], "match", 0),
        (["server-regenerated.csr.pem", "server.cert.pem"], "mismatch", 1),
        (["server.csr.pem", "intermediate-ca.pem"], "mismatch", 1),
        (["server.csr.pem"], "incomplete", 2),
        (["fullchain.pem"], "incomplete", 2),
        (["server.csr.pem", "random-bytes.bin"], "error", 2),
        (["server-encrypted-pkcs8.key.pem", "server.cert.pem"], "error", 2),
    ],
)
def test_json_verdict_and_exit_code(
    capsys: pytest.CaptureFixture[str], files: list[str], verdict: str, exit_code: int
) -> None:
    code, doc = run_json(capsys, *[v(f) for f in files])
    assert (doc["verdict"], code) == (verdict, exit_code)
    assert doc["summary"].startswith(f"{verdict}: ")


UC = "uc/"


@pytest.mark.parametrize(
    ("profile", "files", "verdict", "usable", "blocking_codes", "exit_code"),
    [
        ("generic", ["server.csr.pem", "server.cert.pem"], "match", True, [], 0),
        ("generic", [UC + "tomcat.csr", UC + "tomcat-expired.pem"], "match", False,
         ["cert-expired"], 3),
        ("cisco-uc", [UC + "tomcat.csr", UC + "tomcat-san-changed.pem"], "match", False,
         ["uc-san-mismatch"], 3),
        ("generic", [UC + "tomcat.csr", UC + "tomcat-san-changed.pem"], "match", True, [], 0),
        ("generic", ["server-regenerated.csr.pem", "server.cert.pem"], "mismatch", None, [], 1),
        ("generic", ["server.csr.pem"], "incomplete", None, [], 2),
        ("generic", ["server.csr.pem", "random-bytes.bin"], "error", None, [], 2),
    ],
)  # fmt: skip
def test_usable_blocking_and_exit_code_follow_design(
    capsys: pytest.CaptureFixture[str],
    profile: str,
    files: list[str],
    verdict: str,
    usable: bool | None,
    blocking_codes: list[str],
    exit_code: int,
) -> None:
    code, doc = run_json(capsys, "--profile", profile, *[v(f) for f in files])
    assert (doc["verdict"], doc["usable"], code) == (verdict, usable, exit_code)
    blocking = [doc["findings"][i] for i in doc["blocking"]]
    assert all(f["severity"] == "error" for f in blocking)
    assert [f["code"] for f in blocking][: len(blocking_codes)] == blocking_codes
    if verdict == "match":  # every error finding of a match is blocking, none other
        errors = [i for i, f in enumerate(doc["findings"]) if f["severity"] == "error"]
        assert doc["blocking"] == errors


def test_usage_error_document_carries_usable_null(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, "--profile", "nope", "x.pem")
    assert (code, doc["verdict"], doc["usable"], doc["blocking"]) == (2, "error", None, [])


def test_json_document_has_the_contract_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, v("server.csr.pem"), v("server.cert.pem"))
    assert code == 0
    assert {"verdict", "artifacts", "pairs", "diff", "findings"} <= doc.keys()
    csr, cert = doc["artifacts"]
    assert csr["kind"] == "csr" and cert["kind"] == "certificate"
    assert csr["source"].endswith("server.csr.pem")
    assert csr["key"]["algorithm"] == "RSA" and csr["key"]["size"] == 2048
    assert csr["key"]["modulus_md5"] == cert["key"]["modulus_md5"]
    assert len(csr["key"]["spki_sha256"]) == 64
    assert isinstance(cert["serial"], str)
    assert doc["pairs"] == [{"left": 0, "right": 1, "match": True}]
    for finding in doc["findings"]:
        assert {"code", "severity", "message", "hint"} <= finding.keys()


def test_json_diff_entries_name_field_requested_issued(capsys: pytest.CaptureFixture[str]) -> None:
    uc = VECTORS / "uc"
    _, doc = run_json(capsys, str(uc / "tomcat.csr"), str(uc / "tomcat-san-changed.pem"))
    fields = {d["field"]: d for d in doc["diff"]}
    assert fields["san.removed"]["requested"] == ["DNS:example.com"]
    assert fields["san.added"]["issued"] == ["DNS:www.cucmpub01.example.com"]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--profile", "nope", "x.pem"],
        ["--now", "yesterday", "x.pem"],
        ["--password-file", "/nonexistent/pw", "x.pem"],
    ],
)
def test_usage_errors_still_print_one_json_document(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, doc = run_json(capsys, *argv)
    assert code == 2
    assert doc["verdict"] == "error" and doc["problems"][0]["message"]


def test_missing_file_and_folder_are_reported_not_raised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc = run_json(capsys, v("server.csr.pem"), v("no-such.pem"), str(VECTORS))
    assert code == 2 and doc["verdict"] == "error"
    messages = " ".join(p["message"] for p in doc["problems"])
    assert "no such file" in messages and "folder" in messages
    assert {f["code"] for f in doc["findings"]} >= {"unreadable-input"}


def test_single_artefact_prints_its_decode_and_hashes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([v("server.cert.pem")])
    out = capsys.readouterr().out
    assert code == 2
    assert out.startswith("Nothing to compare yet: ")  # issue 12: the shared headline
    assert "CN=cucm-pub.example.test" in out and "modulus md5" in out and "SPKI SHA-256" in out


def test_text_output_leads_with_the_verdict_then_diff_findings_commands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    uc = VECTORS / "uc"
    code = main(["--verbose", str(uc / "tomcat.csr"), str(uc / "tomcat-server-only.pem")])
    out = capsys.readouterr().out
    # Issue 12: the full listing is --verbose now, and starts with the shared headline.
    assert code == 0 and out.startswith("Match: ")
    order = [out.index(h) for h in ("Artefacts", "Requested (", "Findings", "Confirm with openssl")]
    assert order == sorted(order)
    assert "eku-dropped" in out and "Chrome Root Program" in out


def test_now_option_moves_the_clock(capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = run_json(
        capsys, "--now", "2099-01-01T00:00:00Z", v("server.csr.pem"), v("server.cert.pem")
    )
    assert "cert-expired" in {f["code"] for f in doc["findings"]}


def test_profile_purpose_and_ca_note_options(capsys: pytest.CaptureFixture[str]) -> None:
    uc = VECTORS / "uc"
    files = [str(uc / "tomcat.csr"), str(uc / "tomcat-san-changed.pem")]
    _, doc = run_json(capsys, "--profile", "cisco-uc", "--purpose", "tomcat", *files)
    assert doc["profile"] == "cisco-uc" and doc["purpose"] == "tomcat"
    assert not doc["purpose_assumed"]
    main(["--profile", "cisco-uc", "--ca-note", *files])
    assert "Note to the CA" in capsys.readouterr().out


def test_password_file_opens_pkcs12(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    password = tmp_path / "pw"
    password.write_text("throwaway-p12\n")
    code, doc = run_json(capsys, "--password-file", str(password), v("server-password.p12"))
    assert code == 0 and doc["verdict"] == "match"


def test_subprocess_modulus_md5_equals_the_openssl_pipeline() -> None:
    result = cli(v("server.csr.pem"), v("server.cert.der"))
    assert result.returncode == 0
    out = result.stdout.decode()
    assert openssl_md5("req", "-noout", "-modulus", "-in", v("server.csr.pem")) in out
    assert (
        openssl_md5("x509", "-inform", "DER", "-noout", "-modulus", "-in", v("server.cert.der"))
        in out
    )


def test_subprocess_reads_stdin_and_password_from_the_environment() -> None:
    pasted = (VECTORS / "server.csr.pem").read_bytes() + (VECTORS / "server.cert.pem").read_bytes()
    result = cli("--json", "-", stdin=pasted)
    assert result.returncode == 0 and json.loads(result.stdout)["verdict"] == "match"
    env = {"CERTMATCH_PFX_PASSWORD": "throwaway-p12"}
    assert cli(v("server-password.p12"), env=env).returncode == 0
    assert (
        cli(
            "--password-env",
            "OTHER_VAR",
            v("server-password.p12"),
            env={"OTHER_VAR": "throwaway-p12"},
        ).returncode
        == 0
    )


@pytest.mark.parametrize(
    "bad", ["random-bytes.bin", "deeply-nested.der", "empty.pem", "ocr-damaged.csr.txt"]
)
def test_subprocess_never_prints_a_traceback(bad: str) -> None:
    for argv in ((v(bad),), ("--json", v(bad))):
        result = cli(*argv)
        assert result.returncode == 2
        assert b"Traceback" not in result.stdout + result.stderr


def test_private_key_material_never_reaches_the_output() -> None:
    key_body = (VECTORS / "server.key.pem").read_text().splitlines()[1:-1]
    for argv in ((v("server.key.pem"), v("server.cert.pem")), ("--json", v("server.key.pem"))):
        out = cli(*argv).stdout.decode()
        assert "PRIVATE KEY" not in out
        assert not any(line in out for line in key_body)


def test_scan_subcommand_is_dispatched(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--json", str(VECTORS / "uc")])
    assert code in (0, 1, 2)
    assert "artifacts" in json.loads(capsys.readouterr().out)


def test_oversized_file_is_refused_quickly_with_bounded_reading(tmp_path: Path) -> None:
    pile = tmp_path / "pile.pem"
    block = (VECTORS / "server.cert.pem").read_bytes()
    pile.write_bytes(block * (6 * 1024 * 1024 // len(block) + 1))
    result = cli("--json", str(pile))
    doc = json.loads(result.stdout)
    assert result.returncode == 2 and doc["verdict"] == "error"
    assert "limit" in doc["problems"][0]["message"]
