"""The generic findings: each code fires where it should and stays silent where it should not."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certmatch.check import evaluate
from certmatch.load.artefacts import from_csr, from_hash_line
from certmatch.model import Artefact, InputProblem, Report, Severity, Verdict
from certmatch.record import replace
from certmatch.rules.generic import GENERIC
from certmatch.rules.registry import get_profile
from tests.factory import (
    NOW,
    cert_artefact,
    csr_artefact,
    issue,
    key_artefact,
    make_csr,
    make_pki,
    name,
    new_key,
)


def run(arts: list[Artefact], **kwargs: object) -> Report:
    return evaluate(arts, now=NOW, **kwargs)  # type: ignore[arg-type]


def codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


def finding(report: Report, code: str) -> tuple[str, str, Severity]:
    found = [f for f in report.findings if f.code == code]
    assert len(found) >= 1, f"{code} not in {codes(report)}"
    return found[0].message, found[0].hint, found[0].severity


@pytest.fixture(scope="module")
def pki():  # type: ignore[no-untyped-def]
    return make_pki("ec256")


def test_clean_pair_with_full_chain_has_no_findings(pki) -> None:  # type: ignore[no-untyped-def]
    csr = make_csr(new_key("ec256"))
    arts = [
        csr_artefact(csr),
        cert_artefact(issue(csr, pki)),
        cert_artefact(pki.intermediate),
        cert_artefact(pki.root),
    ]
    report = run(arts)
    assert report.verdict is Verdict.MATCH
    assert report.findings == ()


def test_regenerated_csr_is_reported_as_mismatch_with_the_likely_cause(pki) -> None:  # type: ignore[no-untyped-def]
    submitted = make_csr(new_key("rsa2048"))
    regenerated = make_csr(new_key("rsa2048"))
    report = run([csr_artefact(regenerated), cert_artefact(issue(submitted, pki))])
    assert report.verdict is Verdict.MISMATCH
    _, hint, severity = finding(report, "key-mismatch")
    assert severity is Severity.ERROR
    assert "regenerated after it was submitted" in hint
    assert report.summary.startswith("mismatch: ")


def test_certificate_for_another_host_is_not_called_regenerated(pki) -> None:  # type: ignore[no-untyped-def]
    other = make_csr(new_key("ec256"), name(CN="other.example.com"))
    report = run([csr_artefact(make_csr(new_key("ec256"))), cert_artefact(issue(other, pki))])
    _, hint, _ = finding(report, "key-mismatch")
    assert "regenerated" not in hint and "different request" in hint


def test_ca_certificate_handed_over_as_server_certificate(pki) -> None:  # type: ignore[no-untyped-def]
    report = run([csr_artefact(make_csr(new_key("ec256"))), cert_artefact(pki.intermediate)])
    assert report.verdict is Verdict.MISMATCH
    assert "ca-as-leaf" in codes(report)
    _, hint, _ = finding(report, "key-mismatch")
    assert "CA certificate, not the server certificate" in hint


def test_csr_itself_handed_over_as_the_certificate() -> None:
    csr = make_csr(new_key("ec256"))
    report = run([csr_artefact(csr, "tomcat.csr"), csr_artefact(csr, "tomcat-signed.cer")])
    message, _, _ = finding(report, "ca-as-leaf")
    assert "tomcat-signed.cer" in message and "not a certificate" in message
    assert report.verdict is Verdict.INCOMPLETE


def test_tampered_csr_signature_is_an_error() -> None:
    der = bytearray(make_csr(new_key("rsa2048")).public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01
    csr = x509.load_der_x509_csr(bytes(der))
    report = run([from_csr(csr, "edited.csr", "der")])
    assert finding(report, "csr-signature-invalid")[2] is Severity.ERROR
    intact = run([csr_artefact(make_csr(new_key("rsa2048")))])
    assert "csr-signature-invalid" not in codes(intact)


def test_expired_and_not_yet_valid_certificates(pki) -> None:  # type: ignore[no-untyped-def]
    csr = make_csr(new_key("ec256"))
    expired = issue(
        csr, pki, not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=1)
    )
    future = issue(csr, pki, not_before=NOW + dt.timedelta(days=2))
    assert finding(run([csr_artefact(csr), cert_artefact(expired)]), "cert-expired")[2] is (
        Severity.ERROR
    )
    assert finding(run([csr_artefact(csr), cert_artefact(future)]), "cert-not-yet-valid")[2] is (
        Severity.WARNING
    )


@pytest.mark.parametrize(
    ("algorithm", "severity"),
    [("sha1WithRSAEncryption", Severity.WARNING), ("md5WithRSAEncryption", Severity.ERROR)],
)
def test_sha1_and_md5_signatures_are_weak(algorithm: str, severity: Severity) -> None:
    # cryptography no longer signs with SHA-1/MD5, so the certificate's algorithm field is set
    # directly: the rule reads only that field.
    pki = make_pki("rsa2048")
    csr = make_csr(new_key("rsa2048"))
    cert = replace(cert_artefact(issue(csr, pki)), signature_algorithm=algorithm)
    assert finding(run([csr_artefact(csr), cert]), "weak-signature")[2] is severity
    assert "weak-signature" not in codes(run([csr_artefact(csr), cert_artefact(issue(csr, pki))]))


@pytest.mark.parametrize("kind", ["rsa1024", "dsa2048"])
def test_weak_keys_are_reported_once_per_key(kind: str, pki) -> None:  # type: ignore[no-untyped-def]
    key = new_key(kind)
    csr = make_csr(key)
    report = run([csr_artefact(csr), key_artefact(key), cert_artefact(issue(csr, pki))])
    weak = [f for f in report.findings if f.code == "weak-key"]
    assert len(weak) == 1 and len(weak[0].artifacts) == 3


def test_san_eku_ku_and_cn_changes_by_the_ca(pki) -> None:  # type: ignore[no-untyped-def]
    csr = make_csr(
        new_key("ec256"),
        name(CN="cucm1-ms.example.com", O="Example"),
        sans=("DNS:cucm1-ms.example.com", "DNS:example.com"),
    )
    cert = issue(
        csr,
        pki,
        subject=name(CN="cucm1.example.com", O="Example"),
        sans=("DNS:cucm1-ms.example.com", "DNS:www.example.com"),
        eku=("serverAuth",),
        ku=("digitalSignature",),
    )
    report = run([csr_artefact(csr), cert_artefact(cert)])
    assert "DNS:example.com" in finding(report, "san-dropped")[0]
    assert "DNS:www.example.com" in finding(report, "san-added")[0]
    message, hint, severity = finding(report, "eku-dropped")
    assert (
        "clientAuth" in message and "Chrome Root Program" in hint and severity is Severity.WARNING
    )
    assert finding(report, "ku-dropped")[2] is Severity.INFO
    assert finding(report, "cn-changed")[2] is Severity.WARNING
    assert "cucm1.example.com" in finding(report, "cn-not-in-san")[0]


def test_certificate_without_eku_restriction_drops_nothing(pki) -> None:  # type: ignore[no-untyped-def]
    csr = make_csr(new_key("ec256"))
    report = run([csr_artefact(csr), cert_artefact(issue(csr, pki, eku=None, ku=None))])
    assert codes(report).isdisjoint({"eku-dropped", "ku-dropped"})


def test_missing_issuer_gives_chain_incomplete_with_upload_order(pki) -> None:  # type: ignore[no-untyped-def]
    csr = make_csr(new_key("ec256"))
    report = run([csr_artefact(csr), cert_artefact(issue(csr, pki)), cert_artefact(pki.root)])
    message, hint, _ = finding(report, "chain-incomplete")
    assert "Example Issuing CA" in message
    assert "root CA certificate first, then the intermediates, then the server" in hint
    assert report.verdict is Verdict.MATCH


def test_chain_given_root_first_is_reordered_and_said_so(pki) -> None:  # type: ignore[no-untyped-def]
    csr = make_csr(new_key("ec256"))
    arts = [
        cert_artefact(pki.root),
        cert_artefact(pki.intermediate),
        cert_artefact(issue(csr, pki)),
        csr_artefact(csr),
    ]
    report = run(arts, bundles=[(0, 1, 2)])
    assert report.chain == (2, 1, 0)
    assert finding(report, "chain-order")[2] is Severity.INFO
    assert "chain-incomplete" not in codes(report)
    # Separate files have no order to get wrong.
    assert "chain-order" not in codes(run(arts))


def test_private_key_is_flagged_as_exposed(pki) -> None:  # type: ignore[no-untyped-def]
    key = new_key("ec256")
    report = run([key_artefact(key), cert_artefact(issue(make_csr(key), pki))])
    assert report.verdict is Verdict.MATCH
    assert "exposed" in finding(report, "private-key-present")[1]


def test_certificates_alone_are_nothing_to_compare(pki) -> None:  # type: ignore[no-untyped-def]
    report = run([cert_artefact(pki.intermediate), cert_artefact(pki.root)])
    assert report.verdict is Verdict.INCOMPLETE
    assert finding(report, "nothing-to-compare")[2] is Severity.INFO


def test_md5_of_an_openssl_error_string_is_not_a_modulus(pki) -> None:  # type: ignore[no-untyped-def]
    text = "Modulus=No modulus for this public key type\n"
    md5 = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    csr = make_csr(new_key("ec256"))
    report = run([from_hash_line(md5, "pasted text [1]", md5), cert_artefact(issue(csr, pki))])
    assert report.verdict is Verdict.ERROR
    assert "key-mismatch" not in codes(report)
    assert "not RSA" in finding(report, "hash-not-modulus")[0]


def test_load_problems_become_findings_and_an_error_verdict() -> None:
    problems = [
        InputProblem("noise.bin", "not a certificate"),
        InputProblem("server.key", "encrypted, no password", "key-encrypted"),
    ]
    report = run([], problems=problems)
    assert report.verdict is Verdict.ERROR
    assert {"unreadable-input", "key-encrypted"} <= codes(report)
    assert report.summary.startswith("error: ")


def test_unknown_profile_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="generic"):
        get_profile("nope")
    assert get_profile("generic") is GENERIC


def test_a_profile_replaces_the_generic_findings_it_supersedes(pki) -> None:  # type: ignore[no-untyped-def]
    profile = get_profile("cisco-uc")
    submitted = make_csr(new_key("rsa2048"))
    report = run(
        [csr_artefact(make_csr(new_key("rsa2048"))), cert_artefact(issue(submitted, pki))],
        profile="cisco-uc",
    )
    assert report.profile == "cisco-uc"
    assert codes(report).isdisjoint(profile.supersedes)
    assert report.verdict is Verdict.MISMATCH


def test_verdict_does_not_depend_on_input_order(pki) -> None:  # type: ignore[no-untyped-def]
    csr = make_csr(new_key("ec256"))
    arts = [csr_artefact(csr), cert_artefact(issue(csr, pki)), cert_artefact(pki.intermediate)]
    for rotation in range(3):
        rotated = arts[rotation:] + arts[:rotation]
        assert run(rotated).verdict is Verdict.MATCH


def test_two_different_csrs_in_pem_and_der_files_are_not_taken_for_certificates() -> None:
    report = run(
        [
            csr_artefact(make_csr(new_key("ec256")), "a.csr.der"),
            csr_artefact(make_csr(new_key("ec256"), name(CN="b.example.com")), "b.pem"),
        ]
    )
    assert "ca-as-leaf" not in codes(report)
    assert report.verdict is Verdict.INCOMPLETE


def test_without_a_certificate_csr_and_key_are_still_compared() -> None:
    key = new_key("ec256")
    together = run([csr_artefact(make_csr(key)), key_artefact(key)])
    assert "server.csr and server.key share one key" in finding(together, "nothing-to-compare")[0]
    apart = run([csr_artefact(make_csr(new_key("ec256"))), key_artefact(key)])
    assert "do not all share one key" in finding(apart, "nothing-to-compare")[0]
