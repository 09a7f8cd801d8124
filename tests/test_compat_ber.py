"""Issue 11, class 4: PKCS#7 and PKCS#12 written with BER indefinite lengths (Java, NSS)."""

from __future__ import annotations

from tests.compat_vectors import COMPAT, PASSWORD, load_compat, openssl, path, pins_of_certificates


def test_ber_vectors_use_indefinite_lengths() -> None:
    for name in ("chain-ber.p7b", "server-ber.p12"):
        assert (COMPAT / name).read_bytes()[1] == 0x80


def test_ber_pkcs7_bundle_yields_openssls_certificates_in_file_order() -> None:
    result = load_compat("chain-ber.p7b")
    assert not result.problems
    expected = pins_of_certificates(
        openssl("pkcs7", "-inform", "DER", "-in", path("chain-ber.p7b"), "-print_certs")
    )
    assert [a.key.spki_sha256 for a in result.artefacts] == expected
    assert [a.source for a in result.artefacts] == ["chain-ber.p7b [1/2]", "chain-ber.p7b [2/2]"]


def test_ber_pkcs12_yields_openssls_key_and_certificates() -> None:
    result = load_compat("server-ber.p12", PASSWORD)
    assert not result.problems
    out = openssl(
        "pkcs12", "-in", path("server-ber.p12"), "-nodes", "-passin", "pass:throwaway-compat"
    )
    expected_certs = pins_of_certificates(out)
    kinds = [a.kind.value for a in result.artefacts]
    assert kinds == ["private_key", "certificate", "certificate"]
    assert sorted(str(a.key.spki_sha256) for a in result.artefacts[1:]) == sorted(expected_certs)
    assert result.artefacts[0].key.spki_sha256 == result.artefacts[1].key.spki_sha256
