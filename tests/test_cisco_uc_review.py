"""The cisco-uc profile says what Cisco's documents say (issue 14, ../shared/research/cisco-uc-sources.md).

Each test pins one correction of the review: a false positive that is gone, a claim, hint or
reference reworded, or a product-dependent limit. The firing and silent vectors of every code
are in test_cisco_uc.py.
"""

from __future__ import annotations

import pytest

from certmatch import record
from certmatch.check import check
from certmatch.load import Input
from certmatch.model import Severity
from certmatch.rules.cisco_uc.products import PRODUCT_NAMES
from certmatch.rules.cisco_uc.profile import PROFILE, RENAMED_CODES
from tests.uc_vectors import NOW, UC, codes, context, load, only, uc_findings

CHAIN = ("inter.pem", "root.pem")
TEMPLATE = ("tomcat.csr", "tomcat-template.pem", *CHAIN)


def _check_codes(*names: str, product: str | None = None) -> list[str]:
    inputs = [Input(name, (UC / name).read_bytes()) for name in names]
    return [f.code for f in check(inputs, profile="cisco-uc", now=NOW, product=product).findings]


# --- fix 1: a CSR without SANs ---------------------------------------------------------


def test_a_csr_without_a_san_extension_accepts_the_sans_the_ca_added() -> None:
    assert load("tomcat-no-san.csr")[0].sans == ()
    assert load("tomcat-no-san.pem")[0].sans
    assert "uc-san-mismatch" not in _check_codes("tomcat-no-san.csr", "tomcat-no-san.pem")


def test_san_mismatch_offers_cisco_s_second_remedy() -> None:
    finding = only("uc-san-mismatch", "tomcat.csr", "tomcat-san-changed.pem")
    assert "without the parent domain" in finding.hint
    assert "200641" in (finding.reference or "") and "118855" in (finding.reference or "")


# --- fix 2: what tomcat does not need ---------------------------------------------------


def test_the_tomcat_csr_vector_requests_what_cucm_requests() -> None:
    csr = load("tomcat.csr")[0]
    assert "keyAgreement" in csr.key_usage and "ipsecEndSystem" in csr.extended_key_usage


def test_a_template_that_drops_key_agreement_and_ipsec_end_system_is_fine_for_tomcat() -> None:
    found = _check_codes(*TEMPLATE)
    assert not {"uc-ku-dropped", "eku-dropped", "ku-dropped"} & set(found)


def test_the_same_certificate_for_callmanager_still_reports_both() -> None:
    found = uc_findings(*TEMPLATE, purpose="CallManager")
    ku = next(f for f in found if f.code == "uc-ku-dropped")
    assert "Key Agreement" in ku.message
    eku = next(f for f in found if f.code == "eku-dropped")
    assert "ipsecEndSystem" in eku.message


# --- fix 3: clientAuth, as FN74345 and TAC 225482 put it ---------------------------------


def test_client_auth_dropped_names_what_fn74345_says_breaks_for_the_purpose() -> None:
    tomcat = only("uc-eku-client-dropped", "tomcat.csr", "tomcat-server-only.pem")
    assert "LDAP" in tomcat.message and "filebeat" in tomcat.message
    assert "upload works" not in tomcat.message and "Expressway" not in tomcat.message
    assert "ILS/UDS" not in tomcat.message
    callmanager = only(
        "uc-eku-client-dropped", "tomcat.csr", "tomcat-server-only.pem", purpose="CallManager"
    )
    assert "SIP trunks" in callmanager.message and "intercluster" in callmanager.message
    xmpp = only(
        "uc-eku-client-dropped", "tomcat.csr", "tomcat-server-only.pem", purpose="cup-xmpp-s2s"
    )
    assert "XMPP federation" in xmpp.message


def test_client_auth_hint_names_google_s_policy_and_its_date() -> None:
    finding = only("uc-eku-client-dropped", "tomcat.csr", "tomcat-server-only.pem")
    assert "Chrome Root Program Policy" in finding.hint and "March 2027" in finding.hint
    assert "2026" not in finding.hint and "CA/Browser" not in finding.hint
    assert "FN74345" in (finding.reference or "")


def test_expressway_e_gets_the_x15_4_switch_and_no_private_ca_advice() -> None:
    finding = only("uc-eku-client-dropped", "expe01.csr", "expe01-server-only.pem")
    assert "Expressway-E refuses it at upload before X15.4" in finding.message
    assert "xConfiguration XCP TLS Certificate CVS EnableServerEkuUpload: On" in finding.message
    assert "X15.5" in finding.message
    assert "(assumed product: Expressway-E)" in finding.message
    assert "not viable" in finding.hint
    assert "225482" in (finding.reference or "") and "FN74362" in (finding.reference or "")


def test_expressway_c_still_refuses_it_on_x15_4() -> None:
    finding = only(
        "uc-eku-client-dropped", "expe01.csr", "expe01-server-only.pem", product="expressway-c"
    )
    assert "Expressway-C refuses it at upload on every release before X15.5" in finding.message
    assert "(product: Expressway-C)" in finding.message


# --- fix 5: the OU ----------------------------------------------------------------------


def test_ou_dropped_names_14su2_and_never_asks_a_public_ca_for_the_ou() -> None:
    finding = only("uc-ou-dropped", "tomcat.csr", "tomcat-no-ou.pem")
    assert "14SU2" in finding.hint and "14SU1" not in finding.hint
    assert "SC47v2" in finding.hint and "keep the OU" not in finding.hint
    assert "multi-value" not in finding.message
    assert "Release Notes" in (finding.reference or "")


# --- fix 6: key size by product ------------------------------------------------------------


def test_uc_rsa_too_large_is_now_uc_key_size() -> None:
    assert RENAMED_CODES == {"uc-rsa-too-large": "uc-key-size"}
    found = codes("rsa4608.csr", "rsa4608.pem")
    assert "uc-key-size" in found and "uc-rsa-too-large" not in found


def test_key_size_over_4096_is_an_error_for_the_assumed_cucm() -> None:
    finding = only("uc-key-size", "rsa4608.csr", "rsa4608.pem")
    assert finding.severity is Severity.ERROR
    assert "at most 4096" in finding.message and "(assumed product: CUCM)" in finding.message


def test_uccx_takes_only_1024_and_2048() -> None:
    finding = only("uc-key-size", "rsa4096.csr", "rsa4096.pem", product="uccx")
    assert finding.severity is Severity.ERROR
    assert "UCCX supports only 1024 and 2048" in finding.message
    assert "(product: UCCX)" in finding.message


def test_a_callmanager_key_over_2048_is_a_warning_about_phones() -> None:
    finding = only("uc-key-size", "rsa4096.csr", "rsa4096.pem", purpose="CallManager")
    assert finding.severity is Severity.WARNING and "phone models" in finding.message
    assert "uc-key-size" not in codes("rsa4096.csr", "rsa4096.pem")  # tomcat: fine


def test_a_4096_bit_ca_certificate_is_a_mixed_mode_warning() -> None:
    finding = only("uc-key-size", "tomcat.csr", "tomcat.pem", *CHAIN, "root-4096.pem")
    assert finding.severity is Severity.WARNING and "mixed mode" in finding.message
    assert finding.artifacts == (4,)


def test_expressway_refuses_8192_bit_keys_only() -> None:
    assert "uc-key-size" not in codes("rsa4608.csr", "rsa4608.pem", product="expressway-e")
    ctx = context("rsa4608.csr", "rsa4608.pem", product="expressway-e")
    big = [record.replace(a, key=record.replace(a.key, size=8192)) for a in ctx.artifacts]
    findings = PROFILE.rules(record.replace(ctx, artifacts=tuple(big)))
    finding = next(f for f in findings if f.code == "uc-key-size")
    assert finding.severity is Severity.ERROR and "SIP TLS zones" in finding.message


# --- fix 7: claims, hints and references ------------------------------------------------


def test_eku_server_missing_cites_the_csr_table_not_the_client_auth_notices() -> None:
    finding = only("uc-eku-server-missing", "tomcat.csr", "tomcat-client-only.pem")
    reference = finding.reference or ""
    assert "Key Usage Extensions" in reference and "RFC 5280" in reference
    assert "FN74345" not in reference and "FN74362" not in reference


def test_sha1_no_longer_claims_fips_mode_refuses_it() -> None:
    finding = only("uc-sha1", "tomcat.csr", "tomcat-sha1.pem", *CHAIN)
    assert "refused in FIPS mode" not in finding.message
    assert "cannot share a trust store" in finding.hint
    assert "no Cisco text found" in (finding.reference or "")


def test_a_stripped_ms_is_fixed_by_removing_it_from_the_csr_as_cisco_advises() -> None:
    finding = only("uc-cn-changed", "tomcat-ms.csr", "tomcat-ms-cn-stripped.pem")
    assert "-ms removed" in finding.hint and "TAC 217138" in finding.hint
    assert "keeps" not in finding.hint
    assert "217138" in (finding.reference or "")


def test_multi_server_ips_cite_217138_and_are_only_info() -> None:
    finding = only("uc-multi-server-ip", "tomcat-ms-ip.csr", "tomcat-ms-ip.pem")
    assert finding.severity is Severity.INFO
    assert "set web-security" in finding.message
    assert "217138" in (finding.reference or "") and "118731" not in (finding.reference or "")


def test_key_mismatch_cites_the_seed_by_its_id_and_the_error_s_source() -> None:
    finding = only("uc-key-mismatch", "tomcat-regenerated.csr", "tomcat.pem")
    assert "TAC 200123" in (finding.reference or "") and "217138" in (finding.reference or "")
    assert "Error reading the certificate" in finding.hint  # older releases' wording


@pytest.mark.parametrize(
    "case",
    [
        ("tomcat.csr", "tomcat-not-yet-valid.pem"),
        ("tomcat.csr", "tomcat-sha1.pem", *CHAIN),
        ("tomcat.csr", "tomcat-cn-changed.pem"),
    ],
)
def test_rules_without_a_cisco_source_say_so_and_stay_at_warning_or_below(
    case: tuple[str, ...],
) -> None:
    unsourced = [f for f in uc_findings(*case) if "no Cisco" in (f.reference or "")]
    assert unsourced
    assert all(f.severity is not Severity.ERROR for f in unsourced)


# --- the new rules ------------------------------------------------------------------------


def test_critical_extension_names_the_extension_and_the_uccx_note() -> None:
    finding = only("uc-critical-extension", "tomcat.csr", "tomcat-critical-eku.pem", *CHAIN)
    assert "tomcat-critical-eku.pem: Extended Key Usage" in finding.message
    assert "118855" in (finding.reference or "")


def test_eku_purpose_for_a_callmanager_certificate_given_alone() -> None:
    finding = only("uc-eku-purpose", "CallManager-server-only.pem", purpose="CallManager")
    assert "lacks clientAuth" in finding.message and "SIP trunks" in finding.message
    assert "tomcat certificate reused for CallManager" in finding.message


def test_duplicate_subject_says_what_cucm_and_expressway_do() -> None:
    cucm = only("uc-duplicate-subject", "tomcat.csr", "tomcat.pem", *CHAIN, "root-twin.pem")
    assert "one certificate per subject" in cucm.message and "G2" in cucm.hint
    expressway = only("uc-duplicate-subject", "expe01.csr", "expe01.pem", *CHAIN, "root-twin.pem")
    assert "same common name" in expressway.message


def test_ecdsa_for_uccx_and_a_non_rsa_ca_for_cuic() -> None:
    uccx = only("uc-ecdsa", "tomcat-ECDSA.csr", "tomcat-ECDSA.pem", product="uccx")
    assert "11.6" in uccx.message
    files = ("tomcat.csr", "tomcat-via-ec-inter.pem", "inter-ec.pem", "root.pem")
    cuic = only("uc-ecdsa", *files, product="cuic")
    assert "RSA-signed" in cuic.message and "ecdsa-with-SHA256" in cuic.message


@pytest.mark.parametrize(
    ("file", "words"),
    [
        ("expe01-2051.pem", "Expiry after 2050"),
        ("expe01-no-cn.pem", "has no CN"),
        ("expe01-unknown-oid.pem", "1.3.6.1.4.1.99999.1"),
    ],
)
def test_expressway_content_rules(file: str, words: str) -> None:
    finding = only("uc-expressway-content", "expe01.csr", file, *CHAIN)
    assert words in finding.message


def test_expressway_wants_basic_constraints_on_every_ca() -> None:
    files = ("expe01.csr", "expe01-via-no-bc.pem", "inter-no-bc.pem", "root.pem")
    finding = only("uc-expressway-content", *files)
    assert "inter-no-bc.pem" in finding.message and "Basic Constraints" in finding.message


def test_trust_expired_names_the_cucm_upgrade_only_for_cucm() -> None:
    cucm = only("uc-trust-expired", "tomcat.csr", "tomcat.pem", *CHAIN, "inter-expired.pem")
    assert "14SU2" in cucm.message and "(assumed product: CUCM)" in cucm.message
    uccx = only(
        "uc-trust-expired", "tomcat.csr", "tomcat.pem", *CHAIN, "inter-expired.pem", product="uccx"
    )
    assert "14SU2" not in uccx.message


# --- the product input --------------------------------------------------------------------


def test_the_profile_lists_the_products_once() -> None:
    assert PROFILE.products == PRODUCT_NAMES
    assert PRODUCT_NAMES == ("cucm", "imp", "cuc", "uccx", "cuic", "expressway-c", "expressway-e")


def test_an_unknown_product_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"'ucxx'.*uccx"):
        check(
            [Input("a.csr", (UC / "tomcat.csr").read_bytes())], profile="cisco-uc", product="ucxx"
        )


def test_the_generic_profile_takes_no_product() -> None:
    with pytest.raises(ValueError, match="takes no product"):
        check([Input("a.csr", (UC / "tomcat.csr").read_bytes())], product="uccx")


def test_a_product_is_read_in_any_case() -> None:
    assert "uc-ecdsa" in _check_codes("tomcat-ECDSA.csr", "tomcat-ECDSA.pem", product="UCCX")


def test_chain_incomplete_quotes_cucm_only_where_cucm_is_the_product() -> None:
    cucm = only("uc-chain-incomplete", "tomcat.csr", "tomcat.pem")
    assert "CA Certificate is Not Available in the Trust-Store" in cucm.message
    expressway = only("uc-chain-incomplete", "expe01.csr", "expe01.pem")
    assert "CUCM" not in expressway.message and "trusted CA list" in expressway.message
