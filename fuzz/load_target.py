"""The loader's fuzz target: any bytes into load() and check(), judged by the loader's contract.

Run by atheris (coverage-guided, libFuzzer underneath) through `fuzz/run.py`, and imported by
tests/test_fuzz_load.py, which replays the kept inputs in fuzz/corpus/ on every test run.
The contract checked for every input: load() returns artefacts or raises a CertMatchError whose
message starts with the input's name; check() never raises and its Report serialises to JSON
and renders as text; contains_material() answers True or False. A crash, a hang over 2 s or
memory over the bound in docs/reliability.md is a bug (fuzz/README.md says what to do).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from certmatch.check import check
from certmatch.errors import CertMatchError
from certmatch.load import Input, contains_material, load
from certmatch.model import ArtefactKind
from certmatch.report.text import render_text

NAME = "fuzz.bin"
# A fixed clock keeps a finding reproducible (expiry checks depend on "now").
NOW = datetime(2026, 11, 27, tzinfo=UTC)


# Labels a DER input is also armoured with, so mutated DER reaches the PEM paths too (mutating
# base64 text mostly yields invalid base64, which stops at the decoder).
LABELS = (
    "CERTIFICATE",
    "CERTIFICATE REQUEST",
    "PKCS7",
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "PUBLIC KEY",
    "RSA PUBLIC KEY",
    "TRUSTED CERTIFICATE",
    "ENCRYPTED PRIVATE KEY",
)


def one_input(data: bytes) -> None:
    """Raise AssertionError (or anything else) only when certmatch breaks its contract."""
    check_contract(data)
    if data[:1] == b"\x30":
        label = LABELS[len(data) % len(LABELS)]
        body = base64.encodebytes(data).decode("ascii")
        check_contract(f"-----BEGIN {label}-----\n{body}-----END {label}-----\n".encode())


def check_contract(data: bytes) -> None:
    try:
        result = load(Input(NAME, data))
    except CertMatchError as exc:
        message = str(exc)
        assert message.startswith(NAME), f"message does not name the input: {message[:200]!r}"
        assert "Traceback" not in message
    else:
        assert result.artefacts, "load() returned no artefacts instead of raising"
        for artefact in result.artefacts:
            # A hash artefact's public_pem is the pasted line itself (any text); others are PEM.
            if artefact.kind is not ArtefactKind.HASH:
                assert "PRIVATE KEY" not in artefact.public_pem, "private key in an artefact"
    report = check([Input(NAME, data)], now=NOW)
    json.dumps(report.to_dict())
    render_text(report)
    text = data.decode("utf-8", errors="replace")
    assert contains_material(text) in (True, False)
