"""The modules `python -m certmatch` imports for one CSR + certificate: a guard for issue 18.

A check at Python's floor depends on importing only what the input needs. Timing it in a test
would be flaky on a shared machine, so this counts what was imported instead: `python -X
importtime` names every module the interpreter loaded, and each assertion fails as soon as a
change pulls a module the check does not need back into the start-up path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.vector_files import VECTORS

ROOT = Path(__file__).resolve().parent.parent
CSR = str(VECTORS / "server.csr.pem")
CERT = str(VECTORS / "server.cert.pem")
# A regenerated CSR: a mismatch whose answer carries a CA note and wrapped findings.
REGENERATED = str(VECTORS / "server-regenerated.csr.pem")

# Beyond what `import cryptography.x509` loads itself: the standard library the CLI uses
# (argparse, json, shlex for the openssl commands, runpy for -m) and their own imports.
ALLOWED_BEYOND_FLOOR = frozenset(
    {
        "_json",
        "argparse",
        "gettext",
        "importlib",
        "importlib._abc",
        "importlib.machinery",
        "importlib.util",
        "json",
        "json.decoder",
        "json.encoder",
        "json.scanner",
        "runpy",
        "shlex",
    }
)
# What one generic CSR + certificate never needs (each is named in issue 18).
NEVER = (
    "certmatch.scan",  # the folder scan
    "certmatch.connect",  # a live TLS endpoint
    "cryptography.hazmat.primitives.serialization",  # keys and bundles only (SSH, ciphers)
    "ssl",
    "threading",
    "textwrap",  # lines are wrapped by certmatch.wrap
    "pathlib",
    "html",
    "shutil",
    # On Python 3.11 dataclasses imports inspect (ast, dis, tokenize) and compiles every
    # class's methods at import: the engine's records are plain classes (certmatch/record.py).
    "dataclasses",
    "inspect",
    "ast",
)
# What the default text answer needs beyond the JSON one: its renderer, and no other module.
TEXT_RENDERER = frozenset({"certmatch.report.compact"})


def _imported(*args: str) -> set[str]:
    """Every module `python -X importtime ARGS` loaded, from its import-time report."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "[us]" not in line
    }
    assert names, result.stderr
    return names


# The JSON answer for a match, and the default text answer for a match and for a mismatch
# with a CA note: what `python -m certmatch CSR CERT` is timed on (bench/run.py).
CHECKS = {
    "json-match": ("--json", CSR, CERT),
    "text-match": (CSR, CERT),
    "text-mismatch-with-ca-note": (REGENERATED, CERT),
}


@pytest.fixture(scope="module")
def imported() -> dict[str, set[str]]:
    return {name: _imported("-m", "certmatch", *args) for name, args in CHECKS.items()}


@pytest.fixture(scope="module")
def check_modules(imported: dict[str, set[str]]) -> set[str]:
    return imported["json-match"]


@pytest.fixture(scope="module")
def floor_modules() -> set[str]:
    return _imported("-c", "import cryptography.x509")


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("module", NEVER)
def test_a_generic_csr_and_certificate_do_not_import(
    module: str, check: str, imported: dict[str, set[str]]
) -> None:
    assert not {m for m in imported[check] if m == module or m.startswith(module + ".")}


def test_a_json_answer_imports_no_renderer(check_modules: set[str]) -> None:
    assert not {m for m in check_modules if m.startswith("certmatch.report.")} - {
        "certmatch.report.commands"  # the openssl commands are part of the document
    }


def test_the_text_answer_imports_only_its_renderer_beyond_the_json_one(
    imported: dict[str, set[str]],
) -> None:
    json_only = {"json", "_json", "json.decoder", "json.encoder", "json.scanner"}
    for check in ("text-match", "text-mismatch-with-ca-note"):
        assert imported[check] - imported["json-match"] <= TEXT_RENDERER, check
        assert imported["json-match"] - imported[check] <= json_only, check


@pytest.mark.parametrize("check", CHECKS)
def test_a_generic_check_imports_no_profile_module(
    check: str, imported: dict[str, set[str]]
) -> None:
    # The package and its product list (names the CLI offers, no rules) may be loaded.
    names_only = {"certmatch.rules.cisco_uc", "certmatch.rules.cisco_uc.products"}
    found = {m for m in imported[check] if m.startswith("certmatch.rules.cisco_uc")}
    assert not found - names_only


@pytest.mark.parametrize("check", CHECKS)
def test_a_check_imports_nothing_beyond_cryptography_x509_and_the_cli_stdlib(
    check: str, imported: dict[str, set[str]], floor_modules: set[str]
) -> None:
    extra = {m for m in imported[check] - floor_modules if not m.startswith("certmatch")}
    assert extra <= ALLOWED_BEYOND_FLOOR, sorted(extra - ALLOWED_BEYOND_FLOOR)


def test_the_guard_sees_the_modules_a_profile_and_a_scan_import() -> None:
    # The guard can fail: the same count shows the modules when the input does need them.
    profiled = _imported("-m", "certmatch", "--json", "--profile", "cisco-uc", CSR, CERT)
    assert "certmatch.rules.cisco_uc.profile" in profiled
    scanned = _imported("-m", "certmatch", "scan", "--json", str(VECTORS / "server.csr.pem"))
    assert any(m.startswith("certmatch.scan") for m in scanned)


# `python -m certmatch` leaves a file check with os._exit (certmatch/__main__.py): the output
# must still arrive whole, with the right status, and a reader that leaves early is no error.


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(
        [sys.executable, "-m", "certmatch", *args], cwd=ROOT, env=env, capture_output=True
    )


def test_the_fast_exit_delivers_output_larger_than_a_pipe_and_the_status() -> None:
    files = sorted(str(p) for p in VECTORS.glob("*.pem"))
    result = _cli("--json", *files)
    document = json.loads(result.stdout)  # the whole document, well over a 64 KiB pipe
    assert len(result.stdout) > 64 * 1024
    verdict = document["verdict"]
    expected = (
        (0 if document["usable"] else 3) if verdict == "match" else 1 + (verdict != "mismatch")
    )
    assert result.returncode == expected
    assert result.stderr == b""


def test_the_fast_exit_keeps_every_status() -> None:
    assert _cli(CSR, CERT).returncode == 0
    assert _cli(str(VECTORS / "server-regenerated.csr.pem"), CERT).returncode == 1
    assert _cli(CSR).returncode == 2


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    files = sorted(str(p) for p in VECTORS.glob("*.pem"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    with subprocess.Popen(
        [sys.executable, "-m", "certmatch", "--verbose", *files, *files],  # > 64 KiB
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(10)
        proc.stdout.close()
        error = proc.stderr.read()
    assert b"Traceback" not in error and b"Exception ignored" not in error
