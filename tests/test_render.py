"""render_text: verdict first, hashes per artefact, condensed diff, findings, commands, no key material."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from certmatch.check import evaluate
from certmatch.report.text import render_text
from tests.factory import (
    NOW,
    cert_artefact,
    csr_artefact,
    issue,
    key_artefact,
    make_csr,
    make_pki,
    new_key,
)


def test_report_reads_top_down_and_never_shows_the_private_key() -> None:
    pki = make_pki("rsa2048")
    key = new_key("rsa2048")
    csr = make_csr(key, sans=("DNS:cucm1.example.com", "DNS:example.com"))
    cert = issue(csr, pki, sans=("DNS:cucm1.example.com",))
    report = evaluate(
        [
            csr_artefact(csr),
            key_artefact(key),
            cert_artefact(cert),
            cert_artefact(pki.intermediate),
        ],
        now=NOW,
    )
    text = render_text(report)
    # Issue 12: the first line is the headline every surface shares, not the JSON summary.
    assert text.splitlines()[0] == "Match: server.crt carries the key of server.csr, server.key"
    sections = [
        "Artefacts",
        "Pairs (by public key)",
        "Requested (server.csr)",
        "Findings",
        "Chain",
        "Confirm with openssl",
    ]
    positions = [text.index(s) for s in sections]
    assert positions == sorted(positions)
    assert "san.removed  DNS:example.com" in text
    assert text.count(cert_artefact(cert).key.modulus_md5 or "") >= 3  # CSR, key, certificate
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    assert "PRIVATE KEY" not in text
    assert not any(line in text for line in private.splitlines()[1:-1])
    # Everything but the one-line summary and the commands (kept whole to copy) wraps at 100.
    body = text.splitlines()[1:]
    assert all(len(line) <= 100 or line.startswith("  $ ") for line in body)


def test_ca_note_is_printed_only_when_asked() -> None:
    pki = make_pki("ec256")
    submitted = make_csr(new_key("ec256"))
    report = evaluate(
        [csr_artefact(make_csr(new_key("ec256"))), cert_artefact(issue(submitted, pki))], now=NOW
    )
    assert report.ca_note is not None
    assert "Note to the CA" not in render_text(report)
    assert "Note to the CA" in render_text(report, ca_note=True)
