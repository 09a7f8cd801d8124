"""The cisco-uc profile: every code fires on its vector and stays silent where it should not."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TypedDict

import pytest

from certmatch import record
from certmatch.check import check
from certmatch.cli import main
from certmatch.load import Input
from certmatch.model import Severity
from certmatch.rules.ca_note import ca_note
from certmatch.rules.cisco_uc import profile as cisco_uc
from certmatch.rules.cisco_uc.profile import PROFILE, purpose_of
from certmatch.rules.generic import ca_note_for
from certmatch.rules.registry import get_profile
from tests.uc_vectors import NOW, UC, codes, context, only, uc_findings

GOOD = ("tomcat.csr", "tomcat.pem", "inter.pem", "root.pem")
CUCM_14_TOMCAT = ("tomcat.csr", "tomcat-template.pem", "inter.pem", "root.pem")


class Options(TypedDict, total=False):
    purpose: str
    product: str


# (code, files) or (code, files, {"purpose"/"product": ...}).
Case = tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], Options]
UCCX: Options = {"product": "uccx"}
CUIC: Options = {"product": "cuic"}
EXPRESSWAY_E: Options = {"product": "expressway-e"}
CALLMANAGER: Options = {"purpose": "CallManager"}

# Where the code must be reported.
FIRES: list[Case] = [
    ("uc-key-mismatch", ("tomcat-regenerated.csr", "tomcat.pem")),
    ("uc-key-mismatch", ("tomcat.csr", "tomcat.pem", "tomcat-ms.pem")),
    ("uc-san-mismatch", ("tomcat.csr", "tomcat-san-changed.pem")),
    ("uc-san-mismatch", ("tomcat.csr", "tomcat-san-added-ip.pem")),
    ("uc-expired", ("tomcat.csr", "tomcat-expired.pem")),
    ("uc-expired", ("tomcat.csr", "tomcat-via-expired-inter.pem", "inter-expired.pem", "root.pem")),
    ("uc-trust-expired", (*GOOD, "inter-expired.pem")),
    ("uc-trust-expired", (*GOOD, "inter-expired.pem"), {"product": "uccx"}),
    ("uc-not-yet-valid", ("tomcat.csr", "tomcat-not-yet-valid.pem")),
    ("uc-wildcard", ("wildcard.csr", "wildcard.pem")),
    ("uc-wildcard", ("wildcard.csr",)),
    ("uc-wildcard", ("tomcat.csr", "tomcat-wildcard-added.pem")),
    ("uc-key-size", ("rsa4608.csr", "rsa4608.pem")),
    ("uc-key-size", ("rsa4608.csr",)),
    ("uc-key-size", ("rsa4096.csr", "rsa4096.pem"), UCCX),
    ("uc-key-size", ("rsa4096.csr", "rsa4096.pem"), CALLMANAGER),
    ("uc-key-size", (*GOOD, "root-4096.pem")),
    ("uc-ecdsa", ("tomcat-ECDSA.csr", "tomcat-ECDSA.pem"), UCCX),
    ("uc-ecdsa", ("tomcat.csr", "tomcat-via-ec-inter.pem", "inter-ec.pem", "root.pem"), CUIC),
    ("uc-ecdsa", ("tomcat.csr", "tomcat-via-ec-inter.pem", "inter-ec.pem", "root.pem")),
    ("uc-eku-server-missing", ("tomcat.csr", "tomcat-client-only.pem")),
    ("uc-eku-client-dropped", ("tomcat.csr", "tomcat-server-only.pem")),
    ("uc-eku-client-dropped", ("expe01.csr", "expe01-server-only.pem")),
    (
        "uc-eku-client-dropped",
        ("expe01.csr", "expe01-server-only.pem"),
        {"product": "expressway-c"},
    ),
    ("uc-eku-purpose", ("CallManager-server-only.pem",), CALLMANAGER),
    (
        "uc-eku-purpose",
        ("CallManager-server-only.pem", "inter.pem", "root.pem"),
        {"purpose": "cup"},
    ),
    ("uc-ku-dropped", ("tomcat.csr", "tomcat-ku-dropped.pem")),
    ("uc-ku-dropped", ("CallManager-ECDSA.csr", "CallManager-ECDSA-ku-dropped.pem")),
    ("uc-ku-dropped", CUCM_14_TOMCAT, CALLMANAGER),
    ("uc-capf-not-ca", ("capf.csr", "capf-not-ca.pem")),
    ("uc-critical-extension", ("tomcat.csr", "tomcat-critical-eku.pem", "inter.pem", "root.pem")),
    ("uc-sha1", ("tomcat.csr", "tomcat-sha1.pem", "inter.pem", "root.pem")),
    ("uc-sha1", ("tomcat.csr", "tomcat-via-sha1-inter.pem", "inter-sha1.pem", "root.pem")),
    ("uc-cn-changed", ("tomcat.csr", "tomcat-cn-changed.pem")),
    ("uc-cn-changed", ("tomcat-ms.csr", "tomcat-ms-cn-stripped.pem")),
    ("uc-cn-not-in-san", ("cn-not-in-san.csr", "cn-not-in-san.pem")),
    ("uc-ou-dropped", ("tomcat.csr", "tomcat-no-ou.pem")),
    ("uc-chain-incomplete", ("tomcat.csr", "tomcat.pem")),
    ("uc-chain-incomplete", ("tomcat.csr", "tomcat.pem", "inter.pem")),
    ("uc-duplicate-subject", (*GOOD, "root-twin.pem")),
    (
        "uc-duplicate-subject",
        ("expe01.csr", "expe01.pem", "inter.pem", "root.pem", "root-twin.pem"),
    ),
    ("uc-bundle", ("tomcat.csr", "tomcat-chain.p7b")),
    ("uc-bundle", ("tomcat.csr", "tomcat-chain.pem")),
    ("uc-ca-as-leaf", ("tomcat.csr", "inter.pem")),
    ("uc-ca-as-leaf", ("tomcat.csr", "root.pem", "inter.pem")),
    ("uc-ca-as-leaf", ("tomcat-csr-as.cer",)),
    ("uc-multi-server-ip", ("tomcat-ms-ip.csr", "tomcat-ms-ip.pem")),
    ("uc-multi-server-ip", ("tomcat-ms-ip.csr",)),
    ("uc-expressway-content", ("expe01.csr", "expe01-2051.pem", "inter.pem", "root.pem")),
    ("uc-expressway-content", ("expe01.csr", "expe01-no-cn.pem", "inter.pem", "root.pem")),
    ("uc-expressway-content", ("expe01.csr", "expe01-unknown-oid.pem", "inter.pem", "root.pem")),
    (
        "uc-expressway-content",
        ("expe01.csr", "expe01-via-no-bc.pem", "inter-no-bc.pem", "root.pem"),
    ),
]

# Where the code must not be reported.
SILENT: list[Case] = [
    ("uc-key-mismatch", GOOD),
    ("uc-key-mismatch", ("tomcat.csr", "inter.pem")),
    ("uc-key-mismatch", ("tomcat.csr", "CallManager.csr", "tomcat.pem")),
    ("uc-san-mismatch", GOOD),
    ("uc-san-mismatch", ("tomcat.csr", "tomcat-san-reordered.pem")),
    # Content is only compared between a CSR and the certificate for its key.
    ("uc-san-mismatch", ("tomcat-regenerated.csr", "tomcat-san-changed.pem")),
    # A CSR without SANs: the server ignores the certificate's (TAC 200641, 118855).
    ("uc-san-mismatch", ("tomcat-no-san.csr", "tomcat-no-san.pem")),
    ("uc-expired", GOOD),
    ("uc-expired", (*GOOD, "inter-expired.pem")),  # not in the chain: uc-trust-expired
    ("uc-trust-expired", GOOD),
    ("uc-trust-expired", ("tomcat.csr", "tomcat-via-expired-inter.pem", "inter-expired.pem")),
    ("uc-not-yet-valid", GOOD),
    ("uc-wildcard", GOOD),
    ("uc-key-size", ("rsa4096.csr", "rsa4096.pem")),
    ("uc-key-size", GOOD, UCCX),
    ("uc-key-size", ("rsa4096.csr", "rsa4096.pem"), EXPRESSWAY_E),
    ("uc-ecdsa", ("tomcat-ECDSA.csr", "tomcat-ECDSA.pem")),
    ("uc-ecdsa", GOOD, CUIC),
    ("uc-ecdsa", ("tomcat.csr", "tomcat-via-ec-inter.pem", "inter-ec.pem", "root.pem"), UCCX),
    ("uc-eku-server-missing", GOOD),
    ("uc-eku-server-missing", ("tomcat.csr", "tomcat-no-eku.pem")),
    ("uc-eku-client-dropped", GOOD),
    ("uc-eku-client-dropped", ("tomcat.csr", "tomcat-no-eku.pem")),
    ("uc-eku-client-dropped", ("tomcat.csr", "tomcat-client-only.pem")),
    ("uc-eku-client-dropped", ("capf.csr", "capf.pem")),
    ("uc-eku-purpose", ("CallManager.pem",), CALLMANAGER),
    ("uc-eku-purpose", ("tomcat-server-only.pem",)),  # tomcat: not a purpose it covers
    ("uc-eku-purpose", ("CallManager.csr", "CallManager-server-only.pem"), CALLMANAGER),
    ("uc-ku-dropped", GOOD),
    # Tomcat needs neither Key Agreement nor IPSec End System (12.5(1)SU3 Admin Guide).
    ("uc-ku-dropped", CUCM_14_TOMCAT),
    ("uc-ku-dropped", ("tomcat-ECDSA.csr", "tomcat-ECDSA-ku-dropped.pem")),
    ("uc-ku-dropped", ("tomcat-ECDSA.csr", "tomcat-ECDSA.pem")),
    ("uc-ku-dropped", ("capf.csr", "capf-not-ca.pem")),
    ("uc-capf-not-ca", ("capf.csr", "capf.pem")),
    ("uc-capf-not-ca", GOOD),
    ("uc-critical-extension", GOOD),
    ("uc-critical-extension", ("capf.csr", "capf.pem", "inter.pem", "root.pem")),
    ("uc-sha1", GOOD),
    ("uc-cn-changed", GOOD),
    ("uc-cn-changed", ("tomcat-ms.csr", "tomcat-ms.pem")),
    ("uc-cn-not-in-san", GOOD),
    ("uc-cn-not-in-san", ("tomcat-ms.csr", "tomcat-ms.pem")),
    ("uc-cn-not-in-san", ("capf.csr", "capf.pem")),
    ("uc-ou-dropped", GOOD),
    ("uc-chain-incomplete", GOOD),
    ("uc-chain-incomplete", ("tomcat.csr", "tomcat-self-signed.pem")),
    ("uc-chain-incomplete", ("tomcat.csr", "tomcat-chain.p7b")),
    ("uc-chain-incomplete", ("tomcat.csr",)),
    ("uc-duplicate-subject", GOOD),
    ("uc-duplicate-subject", (*GOOD, "root.pem")),  # the same root twice is one root
    ("uc-bundle", GOOD),
    ("uc-ca-as-leaf", GOOD),
    ("uc-ca-as-leaf", ("capf.csr", "capf.pem", "inter.pem", "root.pem")),
    ("uc-ca-as-leaf", ("tomcat.csr",)),
    ("uc-multi-server-ip", ("tomcat-ip.csr", "tomcat-ip.pem")),
    ("uc-multi-server-ip", ("tomcat-ms.csr", "tomcat-ms.pem")),
    ("uc-expressway-content", ("expe01.csr", "expe01.pem", "inter.pem", "root.pem")),
    ("uc-expressway-content", ("expe01.csr", "expe01-ev.pem", "inter.pem", "root.pem")),
    ("uc-expressway-content", ("tomcat.csr", "tomcat-no-ou.pem", "inter.pem", "root.pem")),
    ("uc-expressway-content", ("expe01.csr", "expe01-2051.pem", "inter.pem", "root.pem"), UCCX),
]

# The severity each code carries (issue 5's table, corrected by issue 14).
SEVERITY = {
    "uc-key-mismatch": Severity.ERROR,
    "uc-san-mismatch": Severity.ERROR,
    "uc-expired": Severity.ERROR,
    "uc-trust-expired": Severity.WARNING,
    "uc-not-yet-valid": Severity.WARNING,
    "uc-wildcard": Severity.ERROR,
    "uc-ecdsa": Severity.ERROR,
    "uc-eku-server-missing": Severity.ERROR,
    "uc-eku-client-dropped": Severity.WARNING,
    "uc-eku-purpose": Severity.ERROR,
    "uc-capf-not-ca": Severity.WARNING,
    "uc-critical-extension": Severity.WARNING,
    "uc-sha1": Severity.WARNING,
    "uc-cn-changed": Severity.WARNING,
    "uc-cn-not-in-san": Severity.WARNING,
    "uc-ou-dropped": Severity.INFO,
    "uc-chain-incomplete": Severity.WARNING,
    "uc-duplicate-subject": Severity.WARNING,
    "uc-bundle": Severity.INFO,
    "uc-ca-as-leaf": Severity.ERROR,
    "uc-multi-server-ip": Severity.INFO,
    "uc-expressway-content": Severity.WARNING,
}
# Severity depends on the case: error over the product's limit, warning for the risks.
VARYING = {"uc-ku-dropped", "uc-key-size"}


def _id(case: Case) -> str:
    extra = "".join(f"[{v}]" for v in (case[2] if len(case) == 3 else {}).values())
    return f"{case[0]}:{'+'.join(case[1])}{extra}"


def _options(case: Case) -> Options:
    return case[2] if len(case) == 3 else {}


@pytest.mark.parametrize("case", FIRES, ids=_id)
def test_rule_fires_on_its_vector(case: Case) -> None:
    assert case[0] in codes(*case[1], **_options(case))


@pytest.mark.parametrize("case", SILENT, ids=_id)
def test_rule_stays_silent_where_it_does_not_apply(case: Case) -> None:
    assert case[0] not in codes(*case[1], **_options(case))


def test_every_code_of_the_issue_has_a_firing_and_a_silent_vector() -> None:
    fired = {case[0] for case in FIRES}
    silent = {case[0] for case in SILENT}
    assert fired == silent == {*SEVERITY, *VARYING}


def test_a_correctly_issued_certificate_with_its_chain_has_no_uc_findings() -> None:
    assert uc_findings(*GOOD) == []


@pytest.mark.parametrize("case", FIRES, ids=_id)
def test_every_finding_has_its_severity_a_hint_and_a_vendor_reference(case: Case) -> None:
    found = uc_findings(*case[1], **_options(case))
    assert any(f.code == case[0] for f in found)
    for finding in found:
        if finding.code.startswith("uc-"):
            assert finding.hint and finding.message
            assert finding.reference, finding.code
            if finding.code in SEVERITY:
                assert finding.severity is SEVERITY[finding.code], finding.code


def test_key_dropped_is_a_warning_for_rsa_and_info_for_ec() -> None:
    assert only("uc-ku-dropped", "tomcat.csr", "tomcat-ku-dropped.pem").severity is Severity.WARNING
    ec = only("uc-ku-dropped", "CallManager-ECDSA.csr", "CallManager-ECDSA-ku-dropped.pem")
    assert ec.severity is Severity.INFO
    assert "Key Agreement" in ec.message


def test_key_mismatch_quotes_cucm_and_blames_a_regenerated_csr() -> None:
    ctx = context("tomcat-regenerated.csr", "tomcat.pem")
    finding = only("uc-key-mismatch", "tomcat-regenerated.csr", "tomcat.pem")
    assert "CSR Public Key and Certificate Public Key Do Not Match" in finding.message
    md5s = [ctx.artifacts[0].key.modulus_md5, ctx.artifacts[1].key.modulus_md5]
    # The hash block lines the two md5s up; the message does not restate them (issue 12 §3).
    assert md5s[0] is not None and md5s[0] not in finding.message
    assert md5s[1] is not None and md5s[1] not in finding.message
    assert "regenerated" in finding.hint
    assert finding.artifacts == (0, 1)


def test_key_mismatch_names_a_certificate_no_csr_belongs_to() -> None:
    finding = only("uc-key-mismatch", "tomcat.csr", "tomcat.pem", "tomcat-ms.pem")
    assert "tomcat-ms.pem" in finding.message
    assert finding.artifacts == (2,)


def test_san_mismatch_names_what_the_ca_added_and_dropped() -> None:
    finding = only("uc-san-mismatch", "tomcat.csr", "tomcat-san-changed.pem")
    # The reply's diff line names them too, so they sit in the hint, not the headline.
    assert "added DNS:www.cucmpub01.example.com" in finding.hint
    assert "dropped DNS:example.com" in finding.hint
    # As TAC 200641 and 118855 quote it.
    assert '"CSR SAN and Certificate SAN does not match"' in finding.message


def test_client_auth_dropped_cites_the_field_notice_of_its_product_and_says_what_breaks() -> None:
    cucm = only("uc-eku-client-dropped", "tomcat.csr", "tomcat-server-only.pem")
    assert "mutual TLS" in cucm.message
    assert "FN74345" in (cucm.reference or "") and "FN74362" not in (cucm.reference or "")
    expressway = only("uc-eku-client-dropped", "expe01.csr", "expe01-server-only.pem")
    assert "Expressway-E refuses it at upload before X15.4" in expressway.message
    assert "FN74362" in (expressway.reference or "")


def test_cn_changed_recognises_a_stripped_multi_server_suffix() -> None:
    finding = only("uc-cn-changed", "tomcat-ms.csr", "tomcat-ms-cn-stripped.pem")
    assert "-ms" in finding.hint and "cucmpub01-ms.example.com" in finding.hint


def test_chain_incomplete_names_the_trust_store_of_the_purpose() -> None:
    assumed = only("uc-chain-incomplete", "tomcat.csr", "tomcat.pem")
    assert "tomcat-trust" in assumed.hint
    assert "CA Certificate is Not Available in the Trust-Store" in assumed.message
    named = only("uc-chain-incomplete", "tomcat.csr", "tomcat.pem", purpose="callmanager")
    assert "CallManager-trust" in named.hint


def test_bundle_names_the_server_certificate_and_the_upload_order() -> None:
    finding = only("uc-bundle", "tomcat.csr", "tomcat-chain.p7b")
    # AD CS order is root, intermediate, leaf: the leaf is the third member.
    assert "the server certificate is tomcat-chain.p7b [3/3]" in finding.message
    root, inter = finding.hint.index("[1/3]"), finding.hint.index("[2/3]")
    assert root < inter < finding.hint.index("tomcat-trust")


def test_sha1_on_the_intermediate_is_reported_but_not_a_roots_self_signature() -> None:
    files = ("tomcat.csr", "tomcat-via-sha1-inter.pem", "inter-sha1.pem", "root.pem")
    finding = only("uc-sha1", *files)
    assert (
        "inter-sha1.pem" in finding.message and "tomcat-via-sha1-inter.pem" not in finding.message
    )
    assert context(*files).artifacts[3].signature_algorithm == "sha256WithRSAEncryption"


def test_expired_ca_certificate_is_told_apart_from_an_expired_server_certificate() -> None:
    server = only("uc-expired", "tomcat.csr", "tomcat-expired.pem")
    chain = ("tomcat.csr", "tomcat-via-expired-inter.pem", "inter-expired.pem", "root.pem")
    ca = only("uc-expired", *chain)
    assert "server certificate" in server.message and "CA certificate" in ca.message
    assert "chain does not validate" in ca.message and "-trust" in ca.hint
    assert "uc-trust-expired" not in codes(*chain)  # one finding per certificate


def test_csr_saved_as_a_certificate_is_reported_as_not_a_certificate() -> None:
    finding = only("uc-ca-as-leaf", "tomcat-csr-as.cer")
    assert "not a certificate" in finding.message


def test_the_clock_decides_validity() -> None:
    later = NOW.replace(year=2046)
    assert "uc-not-yet-valid" not in codes("tomcat.csr", "tomcat-not-yet-valid.pem", now=later)
    assert "uc-expired" in codes(*GOOD, now=later)


# --- purpose -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "purpose"),
    [
        ("tomcat.csr", "tomcat"),
        ("CallManager.csr", "CallManager"),
        ("ipsec.csr", "ipsec"),
        ("capf.csr", "CAPF"),
        ("cup-xmpp.csr", "cup-xmpp"),
        ("expe01.csr", "Expressway"),
        ("tomcat-ECDSA.csr", "tomcat-ECDSA"),
    ],
)
def test_purpose_is_inferred_from_the_csr(file: str, purpose: str) -> None:
    ctx = context(file)
    assert PROFILE.infer_purpose is not None
    assert PROFILE.infer_purpose(ctx) == purpose


@pytest.mark.parametrize(
    ("file", "purpose"),
    [
        # Cisco's tomcat CSR requests IPSec End System too (TAC 212214): it says nothing.
        ("ipsec.csr", "tomcat"),
        ("capf.csr", "CAPF"),
        ("cup-xmpp.csr", "cup-xmpp"),
    ],
)
def test_purpose_is_inferred_from_content_when_the_file_name_says_nothing(
    file: str, purpose: str
) -> None:
    ctx = context(file)
    renamed = record.replace(ctx.artifacts[0], source="request.txt")
    ctx = record.replace(ctx, artifacts=(renamed,))
    assert PROFILE.infer_purpose is not None
    assert PROFILE.infer_purpose(ctx) == purpose


def test_a_named_purpose_overrides_the_inferred_one() -> None:
    assert purpose_of(context("tomcat.csr", purpose="cup-xmpp")) == "cup-xmpp"
    assert purpose_of(context("tomcat.csr", purpose="CALLMANAGER")) == "CallManager"


def test_nothing_to_infer_from_gives_no_purpose() -> None:
    assert purpose_of(context("root.pem")) is None


# --- the profile ---------------------------------------------------------------------


def test_profile_supersedes_exactly_the_generic_codes_it_restates() -> None:
    assert PROFILE.name == "cisco-uc"
    restated = {
        "key-mismatch",
        "ca-as-leaf",
        "san-dropped",
        "san-added",
        "cert-expired",
        "cert-not-yet-valid",
        "eku-dropped",
        "ku-dropped",
        "weak-signature",
        "cn-changed",
        "cn-not-in-san",
        "chain-incomplete",
    }
    assert restated == PROFILE.supersedes
    kept = {"csr-signature-invalid", "weak-key", "private-key-present", "chain-order"}
    assert not kept & PROFILE.supersedes


def test_rules_are_pure_functions_of_the_context() -> None:
    ctx = context("tomcat-regenerated.csr", "tomcat-san-changed.pem", "tomcat-chain.p7b")
    assert cisco_uc.rules(ctx) == cisco_uc.rules(ctx)


# --- end to end: check() and the CLI -------------------------------------------------


def _check_codes(
    *names: str,
    profile: str = "cisco-uc",
    purpose: str | None = None,
    product: str | None = None,
) -> list[str]:
    inputs = [Input(name, (UC / name).read_bytes()) for name in names]
    report = check(inputs, profile=profile, purpose=purpose, product=product, now=NOW)
    return [f.code for f in report.findings]


@pytest.mark.parametrize("case", FIRES, ids=_id)
def test_check_reports_the_code(case: Case) -> None:
    found = _check_codes(*case[1], **_options(case))
    assert case[0] in found
    # The profile reports these generic codes itself for what its own codes do not restate.
    assert not (PROFILE.supersedes - {"eku-dropped", "weak-signature"}) & set(found)


@pytest.mark.parametrize("case", SILENT, ids=_id)
def test_check_stays_silent(case: Case) -> None:
    assert case[0] not in _check_codes(*case[1], **_options(case))


@pytest.mark.parametrize(
    ("files", "generic", "uc"),
    [
        (("tomcat.csr", "tomcat-san-changed.pem"), {"san-dropped", "san-added"}, "uc-san-mismatch"),
        (("tomcat-regenerated.csr", "tomcat.pem"), {"key-mismatch"}, "uc-key-mismatch"),
        (("tomcat.csr", "tomcat-server-only.pem"), {"eku-dropped"}, "uc-eku-client-dropped"),
        (("tomcat.csr", "tomcat-sha1.pem"), {"weak-signature"}, "uc-sha1"),
        (("tomcat.csr", "tomcat.pem"), {"chain-incomplete"}, "uc-chain-incomplete"),
    ],
)
def test_uc_code_replaces_the_generic_one_it_restates(
    files: tuple[str, ...], generic: set[str], uc: str
) -> None:
    plain = set(_check_codes(*files, profile="generic"))
    assert generic <= plain and uc not in plain
    restated = set(_check_codes(*files))
    assert uc in restated and not generic & restated


@pytest.mark.parametrize("case", FIRES, ids=_id)
def test_cli_json_reports_the_code(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--profile", "cisco-uc", "--json", "--now", NOW.isoformat()]
    argv += [arg for name, value in _options(case).items() for arg in (f"--{name}", str(value))]
    main([*argv, *(str(UC / f) for f in case[1])])
    document = json.loads(capsys.readouterr().out)
    assert document["profile"] == "cisco-uc"
    assert case[0] in [f["code"] for f in document["findings"]]


PURPOSE = ("--purpose", "callmanager")


def test_cli_purpose_and_ca_note_flags_work_with_the_profile() -> None:
    files = [str(UC / "tomcat.csr"), str(UC / "tomcat-server-only.pem")]
    run = subprocess.run(
        [sys.executable, "-m", "certmatch", "--profile", "cisco-uc", "--json", *PURPOSE, *files],
        capture_output=True,
        text=True,
        check=False,
    )
    document = json.loads(run.stdout)
    assert run.returncode == 0  # same key: the upload problem is in the findings
    # The report echoes the name as typed; the rules use the store's spelling.
    assert (document["purpose"], document["purpose_assumed"]) == ("CallManager", False)
    codes_ = [f["code"] for f in document["findings"]]
    assert "uc-eku-client-dropped" in codes_ and "uc-chain-incomplete" in codes_
    chain = next(f for f in document["findings"] if f["code"] == "uc-chain-incomplete")
    assert "CallManager-trust" in chain["hint"]
    assert "FN74345" in next(
        f["reference"] for f in document["findings"] if f["code"] == "uc-eku-client-dropped"
    )
    assert "restore clientAuth" in " ".join(document["ca_note"].split())

    text = subprocess.run(
        [sys.executable, "-m", "certmatch", "--profile", "cisco-uc", "--ca-note", *files],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "purpose tomcat (assumed" in text
    assert "please issue a new certificate" in " ".join(text.split())


def test_cli_exit_code_for_a_regenerated_csr_is_mismatch() -> None:
    files = [str(UC / "tomcat-regenerated.csr"), str(UC / "tomcat.pem")]
    run = subprocess.run(
        [sys.executable, "-m", "certmatch", "--profile", "cisco-uc", "--json", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert json.loads(run.stdout)["findings"][0]["code"] == "uc-key-mismatch"


def test_the_engine_registry_serves_this_profile_and_this_note() -> None:
    assert get_profile("cisco-uc") is PROFILE
    ctx = context("tomcat.csr", "tomcat-san-changed.pem")
    findings = PROFILE.rules(ctx)
    assert ca_note_for(ctx, findings) == ca_note(ctx, findings) is not None


def test_a_named_purpose_is_reported_in_the_store_spelling() -> None:
    report = check(
        [
            Input("a.csr", (UC / "tomcat.csr").read_bytes()),
            Input("b.pem", (UC / "tomcat.pem").read_bytes()),
        ],
        profile="cisco-uc",
        purpose="callmanager",
    )
    assert (report.purpose, report.purpose_assumed) == ("CallManager", False)


def test_a_misspelt_purpose_is_refused_with_the_choices_instead_of_flowing_into_hints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ValueError, match=r"tomact.*tomcat"):
        check(
            [Input("a.csr", (UC / "tomcat.csr").read_bytes())], profile="cisco-uc", purpose="tomact"
        )
    status = main(
        ["--json", "--profile", "cisco-uc", "--purpose", "tomact", str(UC / "tomcat.csr")]
    )
    document = json.loads(capsys.readouterr().out)
    assert status == 2 and document["verdict"] == "error"
    assert "unknown purpose 'tomact'" in document["summary"]


def test_cli_product_flag_reaches_the_rules_and_a_wrong_one_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [str(UC / "tomcat-ECDSA.csr"), str(UC / "tomcat-ECDSA.pem")]
    main(["--json", "--profile", "cisco-uc", "--product", "uccx", *files])
    found = json.loads(capsys.readouterr().out)["findings"]
    ecdsa = next(f for f in found if f["code"] == "uc-ecdsa")
    assert "(product: UCCX)" in ecdsa["message"]
    assert main(["--json", "--profile", "cisco-uc", "--product", "cucmm", *files]) == 2
    assert "invalid choice: 'cucmm'" in json.loads(capsys.readouterr().out)["summary"]
    assert main(["--json", "--product", "uccx", *files]) == 2  # generic: no products
    assert "takes no product" in json.loads(capsys.readouterr().out)["summary"]
