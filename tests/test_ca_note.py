"""The note to the CA: written when the CA must issue again, silent otherwise, for every profile."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from certmatch.check import check
from certmatch.load import Input
from certmatch.model import Report
from certmatch.rules.ca_note import ca_note
from tests.uc_vectors import NOW, UC, context, uc_findings


def _report(*names: str, profile: str = "cisco-uc", extra: tuple[Input, ...] = ()) -> Report:
    inputs = [Input(name, (UC / name).read_bytes()) for name in names]
    return check([*inputs, *extra], profile=profile, now=NOW)


def _uc_note(*names: str) -> str | None:
    return ca_note(context(*names), uc_findings(*names))


def _flat(note: str | None) -> str:
    """The note with line wrapping undone, so phrases can be looked up whole."""
    assert note is not None
    return " ".join(note.split())


@pytest.mark.parametrize(
    "files",
    [
        ("tomcat.csr", "tomcat.pem", "inter.pem", "root.pem"),
        ("tomcat.csr", "tomcat.pem"),  # chain incomplete: the CA did nothing wrong
        ("tomcat.csr", "tomcat-no-ou.pem"),  # accepted from CUCM 14SU1: info only
        ("tomcat.csr", "tomcat-not-yet-valid.pem"),
        ("tomcat.csr", "tomcat-chain.p7b"),
        ("rsa4608.csr", "rsa4608.pem"),  # the CSR's own problem: a new CSR, not a re-issue
        ("wildcard.csr", "wildcard.pem"),  # the wildcard was requested
        ("tomcat-ms-ip.csr", "tomcat-ms-ip.pem"),
        ("tomcat-ECDSA.csr", "tomcat-ECDSA-ku-dropped.pem"),  # info for EC
        ("tomcat.csr", "tomcat.pem", "inter.pem", "root.pem", "inter-expired.pem"),
        ("tomcat.csr",),
    ],
)
def test_no_note_when_nothing_needs_reissuing(files: tuple[str, ...]) -> None:
    assert _uc_note(*files) is None
    assert _report(*files).ca_note is None


@pytest.mark.parametrize(
    "files",
    [
        ("tomcat-regenerated.csr", "tomcat.pem"),
        ("tomcat.csr", "tomcat-san-changed.pem"),
        ("tomcat.csr", "tomcat-server-only.pem"),
        ("tomcat.csr", "tomcat-client-only.pem"),
        ("tomcat.csr", "tomcat-ku-dropped.pem"),
        ("capf.csr", "capf-not-ca.pem"),
        ("tomcat.csr", "tomcat-sha1.pem"),
        ("tomcat.csr", "tomcat-expired.pem"),
        ("tomcat.csr", "tomcat-cn-changed.pem"),
        ("tomcat.csr", "tomcat-wildcard-added.pem"),
        ("tomcat.csr", "inter.pem"),
    ],
)
def test_note_names_the_csr_by_cn_and_key_hashes(files: tuple[str, ...]) -> None:
    note = _uc_note(*files)
    assert note is not None
    csr = context(*files).artifacts[0]
    assert "CN=cucmpub01.example.com" in note or "CN=CAPF-1a2b3c4d" in note
    assert csr.key.modulus_md5 is not None and csr.key.modulus_md5 in note
    assert csr.key.spki_sha256 is not None and csr.key.spki_sha256 in note
    assert all(len(line) <= 100 for line in note.splitlines())


def test_regenerated_csr_note_asks_to_sign_the_current_csr_not_the_old_key() -> None:
    ctx = context("tomcat-regenerated.csr", "tomcat.pem")
    note = _uc_note("tomcat-regenerated.csr", "tomcat.pem")
    assert note is not None
    current, issued = ctx.artifacts[0].key.modulus_md5, ctx.artifacts[1].key.modulus_md5
    assert f"Modulus MD5:    {current}" in note
    assert f"Modulus MD5:    {issued}" not in note
    assert "CSR Public Key and Certificate Public Key Do Not Match" in _flat(note)


def test_san_note_says_what_to_restore_and_what_to_leave_out() -> None:
    note = _flat(_uc_note("tomcat.csr", "tomcat-san-changed.pem"))
    assert "exactly these, nothing added" in note
    assert "restore DNS:example.com" in note
    assert "leave out DNS:www.cucmpub01.example.com" in note


def test_client_auth_note_asks_to_restore_it_and_names_the_chrome_root_program() -> None:
    note = _flat(_uc_note("tomcat.csr", "tomcat-server-only.pem"))
    assert "(restore clientAuth" in note
    # Google's policy, not a CA/Browser Forum ballot; no internal-CA advice (wrong for
    # Expressway-E, TAC 225482).
    assert "Chrome Root Program Policy" in note and "March 2027" in note
    assert "CA/Browser Forum" not in note and "2026 CA" not in note
    assert "internal CA" not in note


def test_key_usage_note_restores_data_encipherment() -> None:
    note = _flat(_uc_note("tomcat.csr", "tomcat-ku-dropped.pem"))
    assert "restore Data Encipherment" in note


def test_capf_note_asks_for_a_subordinate_ca() -> None:
    note = _flat(_uc_note("capf.csr", "capf-not-ca.pem"))
    assert "CA:TRUE" in note and "Certificate Sign" in note


def test_a_dropped_ou_is_never_asked_back_even_when_a_reissue_is_needed_anyway() -> None:
    # A public CA may not put an OU in a TLS certificate since 2022-09-01 (CA/B SC47v2).
    note = _flat(
        ca_note(
            context("tomcat.csr", "tomcat-no-ou.pem"),
            [*uc_findings("tomcat.csr", "tomcat-san-changed.pem")],
        )
    )
    assert "subject as requested: CN=cucmpub01.example.com" in note
    assert "restore: OU" not in note and "exactly as requested" not in note


def test_a_changed_cn_is_asked_back() -> None:
    note = _flat(_uc_note("tomcat.csr", "tomcat-cn-changed.pem"))
    assert "restore: CN=cucmpub01.example.com" in note


def test_ca_certificate_instead_of_the_server_certificate_asks_for_the_right_file() -> None:
    note = _flat(_uc_note("tomcat.csr", "inter.pem"))
    assert "please send us the server certificate issued for" in note


def test_generic_profile_gets_a_note_too_and_does_not_demand_exact_sans() -> None:
    report = _report("tomcat.csr", "tomcat-san-changed.pem", profile="generic")
    assert "san-dropped" in [f.code for f in report.findings]
    assert report.ca_note is not None
    assert "at least these" in _flat(report.ca_note)
    assert "restore DNS:example.com" in _flat(report.ca_note)


def test_note_never_carries_private_key_material() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # throwaway
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    report = _report("tomcat.csr", "tomcat-san-changed.pem", extra=(Input("key.pem", pem),))
    assert report.ca_note is not None
    body = pem.decode().splitlines()[1]
    assert "PRIVATE" not in report.ca_note and body not in report.ca_note


def test_an_expired_ca_certificate_alone_does_not_call_for_a_reissue() -> None:
    assert _report("inter-expired.pem").ca_note is None
    assert _report("tomcat.csr", "inter-expired.pem").ca_note is not None  # ca-as-leaf
    assert "expired on" not in _flat(_report("tomcat.csr", "inter-expired.pem").ca_note)


def test_a_certificate_without_client_auth_for_callmanager_calls_for_a_note() -> None:
    ctx = context("CallManager-server-only.pem", purpose="CallManager")
    note = ca_note(ctx, uc_findings("CallManager-server-only.pem", purpose="CallManager"))
    assert note is not None and "lacks clientAuth" in _flat(note)


def test_the_note_does_not_ask_back_what_tomcat_does_not_need() -> None:
    # tomcat-server-only.pem lost clientAuth; Key Agreement and IPSec End System too, which
    # Tomcat does not need (CUCM 12.5(1)SU3 Administration Guide).
    note = _flat(_uc_note("tomcat.csr", "tomcat-server-only.pem"))
    assert "(restore clientAuth)" in note
    ku = _flat(_uc_note("tomcat.csr", "tomcat-ku-dropped.pem"))  # lost DE and KA
    assert "(restore Data Encipherment)" in ku
    callmanager = ca_note(
        context("tomcat.csr", "tomcat-server-only.pem", purpose="CallManager"),
        uc_findings("tomcat.csr", "tomcat-server-only.pem", purpose="CallManager"),
    )
    assert "restore clientAuth, ipsecEndSystem" in _flat(callmanager)
