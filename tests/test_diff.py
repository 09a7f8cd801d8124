"""Requested (CSR) against issued (certificate), condensed to what differs (certmatch.analysis.diff)."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes

from certmatch.analysis.diff import diff
from certmatch.model import DiffEntry
from tests.factory import cert_artefact, csr_artefact, issue, make_csr, make_pki, name, new_key


def test_certificate_issued_as_requested_has_no_diff() -> None:
    pki = make_pki("rsa2048")
    csr = make_csr(new_key("rsa2048"))
    assert diff(csr_artefact(csr), cert_artefact(issue(csr, pki))) == ()


def test_subject_is_compared_rdn_by_rdn() -> None:
    pki = make_pki("rsa2048")
    csr = make_csr(new_key("rsa2048"), name(CN="cucm1-ms.example.com", OU="UC", O="Example"))
    cert = issue(csr, pki, subject=name(CN="cucm1.example.com", O="Example", L="Zurich"))
    entries = diff(csr_artefact(csr), cert_artefact(cert))
    assert DiffEntry("subject.CN", "cucm1-ms.example.com", "cucm1.example.com") in entries
    assert DiffEntry("subject.OU", "UC", None) in entries
    assert DiffEntry("subject.L", None, "Zurich") in entries
    assert not any(e.field == "subject.O" for e in entries)


def test_sans_added_and_removed_ignore_order_and_case() -> None:
    pki = make_pki("rsa2048")
    csr = make_csr(
        new_key("rsa2048"),
        sans=("DNS:cucm1.example.com", "DNS:example.com", "IP:10.0.0.1", "email:pki@example.com"),
    )
    cert = issue(
        csr,
        pki,
        sans=(
            "IP:10.0.0.1",
            "DNS:CUCM1.example.com",
            "DNS:www.example.com",
            "URI:https://x.example",
        ),
    )
    entries = diff(csr_artefact(csr), cert_artefact(cert))
    assert DiffEntry("san.removed", ["DNS:example.com", "email:pki@example.com"], None) in entries
    assert DiffEntry("san.added", None, ["DNS:www.example.com", "URI:https://x.example"]) in entries


def test_eku_ku_and_basic_constraints_differences_are_reported() -> None:
    pki = make_pki("rsa2048")
    csr = make_csr(new_key("rsa2048"), ca=True)
    cert = issue(csr, pki, eku=("serverAuth",), ku=("digitalSignature",))
    entries = {e.field: e for e in diff(csr_artefact(csr), cert_artefact(cert))}
    assert entries["extended_key_usage"] == DiffEntry(
        "extended_key_usage", ["serverAuth", "clientAuth"], ["serverAuth"]
    )
    assert entries["key_usage"] == DiffEntry(
        "key_usage", ["digitalSignature", "keyEncipherment"], ["digitalSignature"]
    )
    assert entries["basic_constraints"] == DiffEntry("basic_constraints", "CA:TRUE", "CA:FALSE")


def test_extensions_the_csr_did_not_request_are_the_cas_choice() -> None:
    pki = make_pki("rsa2048")
    csr = make_csr(new_key("rsa2048"), ku=None, eku=None)
    fields = {e.field for e in diff(csr_artefact(csr), cert_artefact(issue(csr, pki)))}
    assert fields.isdisjoint({"key_usage", "extended_key_usage", "basic_constraints"})


def test_key_type_and_size_and_signature_algorithm_differences() -> None:
    pki = make_pki("ec384")
    csr = make_csr(new_key("rsa2048"))
    cert = issue(csr, pki, public_key=new_key("ec256").public_key(), algorithm=hashes.SHA384())
    entries = {e.field: e for e in diff(csr_artefact(csr), cert_artefact(cert))}
    assert entries["key"] == DiffEntry("key", "RSA 2048", "EC secp256r1")
    assert entries["signature_algorithm"] == DiffEntry(
        "signature_algorithm", "sha256WithRSAEncryption", "ecdsa-with-SHA384"
    )
