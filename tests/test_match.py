"""Pairing by key, leaf and chain by signature (certmatch.analysis.match), on throwaway artefacts."""

from __future__ import annotations

import pytest

from certmatch.analysis.match import match
from certmatch.load.artefacts import from_hash_line
from certmatch.model import Artefact, Pair
from tests.engine_time import engine_seconds
from tests.factory import (
    KEY_KINDS,
    cert_artefact,
    csr_artefact,
    issue,
    key_artefact,
    make_cert,
    make_csr,
    make_pki,
    name,
    new_key,
)


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_csr_key_and_issued_certificate_pair_for_every_key_type(kind: str) -> None:
    pki = make_pki()
    key = new_key(kind)
    csr = make_csr(key)
    arts = [csr_artefact(csr), key_artefact(key), cert_artefact(issue(csr, pki))]
    m = match(arts)
    assert set(m.pairs) == {Pair(0, 2, True), Pair(1, 2, True)}
    assert m.leaf == 2 and m.leaf_by_key
    assert m.unmatched_requesters == () and m.unmatched_servers == ()


@pytest.mark.parametrize("kind", ["rsa2048", "ec256", "ed25519"])
def test_other_key_never_pairs(kind: str) -> None:
    pki = make_pki()
    csr = make_csr(new_key(kind))
    other = make_csr(new_key(kind))
    arts = [csr_artefact(csr), cert_artefact(issue(other, pki))]
    m = match(arts)
    assert m.pairs == (Pair(0, 1, False),)
    assert m.unmatched_requesters == (0,)
    assert m.unmatched_servers == (1,)


def test_hash_line_pairs_by_modulus_md5() -> None:
    pki = make_pki()
    key = new_key("rsa2048")
    cert = cert_artefact(issue(make_csr(key), pki))
    assert cert.key.modulus_md5 is not None
    line = f"MD5(stdin)= {cert.key.modulus_md5}"
    m = match([from_hash_line(cert.key.modulus_md5, "pasted text [1]", line), cert])
    assert m.pairs == (Pair(0, 1, True),)


def _chain_artefacts(order: list[str]) -> tuple[list[Artefact], dict[str, int]]:
    pki = make_pki()
    key = new_key("ec256")
    csr = make_csr(key)
    pieces = {
        "csr": csr_artefact(csr),
        "leaf": cert_artefact(issue(csr, pki), "leaf.pem"),
        "inter": cert_artefact(pki.intermediate, "inter.pem"),
        "root": cert_artefact(pki.root, "root.pem"),
    }
    return [pieces[p] for p in order], {p: i for i, p in enumerate(order)}


@pytest.mark.parametrize(
    "order",
    [
        ["csr", "leaf", "inter", "root"],
        ["csr", "root", "inter", "leaf"],
        ["inter", "root", "csr", "leaf"],
        ["leaf", "root", "csr", "inter"],
    ],
)
def test_chain_is_ordered_leaf_to_root_by_signature_whatever_the_file_order(
    order: list[str],
) -> None:
    arts, at = _chain_artefacts(order)
    m = match(arts)
    assert m.leaf == at["leaf"]
    assert m.chain == (at["leaf"], at["inter"], at["root"])
    assert m.missing_issuer is None


def test_missing_intermediate_is_named() -> None:
    arts, at = _chain_artefacts(["csr", "leaf", "root"])
    m = match(arts)
    assert m.chain == (at["leaf"],)
    assert m.missing_issuer is not None and "CN=Example Issuing CA" in m.missing_issuer


def test_same_name_but_different_key_is_not_the_issuer() -> None:
    pki = make_pki()
    impostor_key = new_key("ec256")
    impostor = make_cert(
        impostor_key.public_key(), pki.intermediate.subject, None, impostor_key, ca=True
    )
    csr = make_csr(new_key("ec256"))
    arts = [csr_artefact(csr), cert_artefact(issue(csr, pki)), cert_artefact(impostor)]
    m = match(arts)
    assert m.chain == (1,)
    assert m.missing_issuer == pki.intermediate.subject.rfc4514_string()


def test_ca_certificate_given_instead_of_server_certificate() -> None:
    pki = make_pki()
    csr = make_csr(new_key("rsa2048"))
    m = match([csr_artefact(csr), cert_artefact(pki.intermediate, "fromca.cer")])
    assert m.ca_as_leaf == (1,)
    assert m.leaf is None
    assert m.pairs == (Pair(0, 1, False),)


def test_ca_chain_without_server_certificate_flags_the_bottom_ca() -> None:
    pki = make_pki()
    csr = make_csr(new_key("rsa2048"))
    arts = [csr_artefact(csr), cert_artefact(pki.root), cert_artefact(pki.intermediate)]
    assert match(arts).ca_as_leaf == (2,)


def test_csr_matching_a_ca_certificate_is_a_match_not_ca_as_leaf() -> None:
    pki = make_pki()
    m = match([key_artefact(pki.intermediate_key), cert_artefact(pki.intermediate)])
    assert m.ca_as_leaf == ()
    assert m.pairs == (Pair(0, 1, True),)
    assert m.leaf == 1


def test_regenerated_csr_is_compared_with_the_certificate_of_the_same_cn() -> None:
    pki = make_pki()
    old = make_csr(new_key("ec256"))
    unrelated = make_csr(new_key("ec256"), name(CN="other.example.com"))
    new = make_csr(new_key("ec256"))
    arts = [csr_artefact(unrelated), csr_artefact(new), cert_artefact(issue(old, pki))]
    m = match(arts)
    assert m.leaf == 2 and not m.leaf_by_key
    assert m.requested == 1


def test_pairing_many_unrelated_certificates_stays_bounded() -> None:
    pki = make_pki()
    certs = [cert_artefact(issue(make_csr(new_key("ec256")), pki)) for _ in range(20)]
    m = match([csr_artefact(make_csr(new_key("ec256"))), *certs])
    assert 0 < len(m.pairs) <= 8
    assert len(m.unmatched_servers) == 20


def test_pairing_cost_is_linear_in_the_number_of_artefacts() -> None:
    """20,000 keys and 20,000 certificates pair through the index, not pairwise comparison."""

    from certmatch.model import ArtefactKind, KeyInfo

    def fake(kind: ArtefactKind, n: int) -> Artefact:
        key = KeyInfo("RSA", 2048, None, f"{n:032x}", f"{n:064x}", f"rsa:{n:x}:10001")
        return Artefact(f"f{n}", kind, key, "pem", basic_constraints_ca=False)

    arts = [fake(ArtefactKind.PRIVATE_KEY, n) for n in range(20_000)]
    arts += [fake(ArtefactKind.CERTIFICATE, n) for n in range(20_000)]
    started = engine_seconds()
    m = match(arts)
    assert engine_seconds() - started < 2.0
    assert len(m.pairs) == 20_000 and all(p.match for p in m.pairs)


def test_key_matched_leaf_is_still_diffed_against_the_csr_of_the_same_cn() -> None:
    pki = make_pki()
    key = new_key("ec256")
    cert = cert_artefact(issue(make_csr(key), pki))
    regenerated = csr_artefact(make_csr(new_key("ec256")))
    m = match([key_artefact(key), regenerated, cert])
    assert m.leaf == 2 and m.requested == 1
