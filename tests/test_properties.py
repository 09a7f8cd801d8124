"""Property tests: for every supported key type, key + CSR + issued certificate always match, another key never does, and neither input order nor chat mangling changes the verdict."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certmatch.check import check
from certmatch.load import Input
from certmatch.model import Verdict
from tests.factory import (
    KEY_KINDS,
    NOW,
    Pki,
    PrivateKey,
    issue,
    make_csr,
    make_pki,
    name,
    new_key,
)
from tests.vector_files import read

# Every key type the engine supports: the factory's kinds plus RSA-PSS (cryptography cannot
# generate PSS keys, so that kind comes from the committed vectors, made by openssl).
KINDS = (*KEY_KINDS, "rsa-pss")
PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER
PKCS8 = serialization.PrivateFormat.PKCS8
NO_PASSWORD = serialization.NoEncryption()
PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@dataclass(frozen=True)
class KeySet:
    """One key and what a person would hand certmatch for it, as PEM and DER."""

    kind: str
    key_pem: bytes
    key_der: bytes
    csr_pem: bytes
    csr_der: bytes
    cert_pem: bytes
    cert_der: bytes


@functools.cache
def _pki() -> Pki:
    return make_pki("ec256")


@functools.cache
def key_set(kind: str, index: int) -> KeySet:
    """Two distinct keys per kind (index 0 and 1), generated once per test session."""
    if kind == "rsa-pss":
        assert index == 0, "one committed RSA-PSS key"
        pem = {n: read(f"rsa-pss.{n}.pem") for n in ("key", "csr", "cert")}
        der = {n: read(f"rsa-pss.{n}.der") for n in ("key", "csr", "cert")}
        return KeySet(
            kind, pem["key"], der["key"], pem["csr"], der["csr"], pem["cert"], der["cert"]
        )
    key: PrivateKey = new_key(kind)
    csr = make_csr(key, name(CN=f"{kind}-{index}.example.test", O="Example"))
    cert = issue(csr, _pki(), not_before=NOW.replace(year=2026, month=1))
    return KeySet(
        kind,
        key.private_bytes(PEM, PKCS8, NO_PASSWORD),
        key.private_bytes(DER, PKCS8, NO_PASSWORD),
        csr.public_bytes(PEM),
        csr.public_bytes(DER),
        cert.public_bytes(PEM),
        cert.public_bytes(DER),
    )


def _indices(kind: str) -> int:
    return 1 if kind == "rsa-pss" else 2


# -- chat mangling: each takes PEM text and returns what arrived after chat or e-mail -------------

_BODY = re.compile(r"(-----BEGIN [A-Z ]+-----\n)(.*?)(-----END [A-Z ]+-----)", re.DOTALL)


def rewrap(width: int) -> Callable[[str], str]:
    def apply(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            body = re.sub(r"\s", "", match.group(2))
            lines = [body[i : i + width] for i in range(0, len(body), width)]
            return match.group(1) + "\n".join(lines) + "\n" + match.group(3)

        return _BODY.sub(one, text)

    return apply


MANGLERS: dict[str, Callable[[str], str]] = {
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "fence": lambda t: "```\n" + t + "\n```",
    "fence-with-language": lambda t: "```pem\n" + t + "```",
    "quote": lambda t: "".join("> " + line for line in t.splitlines(keepends=True)),
    "nested-quote": lambda t: "".join(">> " + line for line in t.splitlines(keepends=True)),
    "indent": lambda t: "".join("    " + line for line in t.splitlines(keepends=True)),
    "prose": lambda t: "Here is what the CA sent back:\n\n" + t + "\nThanks, Alice\n",
    "trailing-spaces": lambda t: t.replace("\n", "  \n"),
    "en-dashes": lambda t: t.replace("-----", "\u2013\u2013\u2013\u2013\u2013"),
    "nbsp-in-label": lambda t: t.replace("BEGIN ", "BEGIN\u00a0").replace("END ", "END\u00a0"),
    "zero-width": lambda t: t.replace("\n", "\u200b\n", 3),
}


@st.composite
def mangling(draw: st.DrawFn) -> tuple[Callable[[str], str], str]:
    """A wrap width (or one line), then a random subset of the manglers in a random order."""
    width = draw(st.one_of(st.just(64), st.integers(16, 120), st.just(10_000)))
    names = draw(st.lists(st.sampled_from(sorted(MANGLERS)), unique=True, max_size=4))
    steps = [rewrap(width), *(MANGLERS[n] for n in names)]

    def apply(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return apply, f"wrap {width}, then {names}"


def _text(data: bytes) -> str:
    return data.decode("ascii")


# -- inputs ---------------------------------------------------------------------------------------


def _files(ks: KeySet, which: tuple[str, ...], der: list[bool]) -> list[Input]:
    """The chosen artefacts as separate files, each PEM or DER."""
    out = []
    for item, as_der in zip(which, der, strict=True):
        data = getattr(ks, f"{item}_der" if as_der else f"{item}_pem")
        out.append(Input(f"{item}.{'der' if as_der else 'pem'}", data))
    return out


def _verdict(inputs: list[Input]) -> Verdict:
    return check(inputs, now=NOW).verdict


kinds = st.sampled_from(KINDS)
requesters = st.sampled_from([("key",), ("csr",), ("key", "csr")])


@PROPERTY_SETTINGS
@given(kind=kinds, who=requesters, data=st.data())
def test_key_csr_and_issued_certificate_always_match_in_any_order_and_form(
    kind: str, who: tuple[str, ...], data: st.DataObject
) -> None:
    ks = key_set(kind, data.draw(st.integers(0, _indices(kind) - 1)))
    which = (*who, "cert")
    der = data.draw(st.lists(st.booleans(), min_size=len(which), max_size=len(which)))
    inputs = data.draw(st.permutations(_files(ks, which, der)))
    assert _verdict(inputs) is Verdict.MATCH


@PROPERTY_SETTINGS
@given(kind=kinds, other_kind=kinds, who=requesters, data=st.data())
def test_a_certificate_never_matches_another_key_or_its_csr(
    kind: str, other_kind: str, who: tuple[str, ...], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, _indices(kind) - 1))
    if other_kind == kind:
        if _indices(kind) == 1:
            other_kind = "ec256" if kind != "ec256" else "ed25519"
            other_index = 0
        else:
            other_index = 1 - index
    else:
        other_index = data.draw(st.integers(0, _indices(other_kind) - 1))
    mine, other = key_set(kind, index), key_set(other_kind, other_index)
    der = data.draw(st.lists(st.booleans(), min_size=len(who) + 1, max_size=len(who) + 1))
    inputs = [*_files(other, who, der[:-1]), *_files(mine, ("cert",), der[-1:])]
    inputs = data.draw(st.permutations(inputs))
    report = check(inputs, now=NOW)
    assert report.verdict is Verdict.MISMATCH
    assert "key-mismatch" in {f.code for f in report.findings}


@PROPERTY_SETTINGS
@given(kind=kinds, who=requesters, mangle=mangling(), matching=st.booleans(), data=st.data())
def test_verdict_survives_chat_mangling_of_one_pasted_text(
    kind: str,
    who: tuple[str, ...],
    mangle: tuple[Callable[[str], str], str],
    matching: bool,
    data: st.DataObject,
) -> None:
    apply, _description = mangle
    ks = key_set(kind, 0)
    requester = ks if matching else key_set("ec384" if kind != "ec384" else "ed448", 0)
    blocks = [_text(getattr(requester, f"{w}_pem")) for w in who] + [_text(ks.cert_pem)]
    blocks = data.draw(st.permutations(blocks))
    pasted = apply("\n".join(blocks))
    expected = Verdict.MATCH if matching else Verdict.MISMATCH
    assert _verdict([Input("pasted text", pasted.encode("utf-8"))]) is expected


@PROPERTY_SETTINGS
@given(kind=kinds, mangle=mangling(), data=st.data())
def test_adding_the_ca_chain_in_any_order_keeps_the_match(
    kind: str, mangle: tuple[Callable[[str], str], str], data: st.DataObject
) -> None:
    ks = key_set(kind, 0)
    pki = _pki()
    chain = [c.public_bytes(PEM) for c in (pki.intermediate, pki.root)]
    if kind == "rsa-pss":
        # The committed PSS certificate comes from the committed CA, not this test's.
        chain = [read("intermediate-ca.pem"), read("root-ca.pem")]
    pieces = data.draw(st.permutations([ks.csr_pem, ks.cert_pem, *chain]))
    apply, _description = mangle
    pasted = apply("\n".join(_text(p) for p in pieces))
    report = check([Input("pasted text", pasted.encode("utf-8"))], now=NOW)
    assert report.verdict is Verdict.MATCH
    assert report.leaf is not None
    assert (
        report.artifacts[report.leaf].key.spki_sha256
        == check([Input("cert.der", ks.cert_der)], now=NOW).artifacts[0].key.spki_sha256
    )


@PROPERTY_SETTINGS
@given(kind=st.sampled_from(["rsa2048", "rsa-pss"]), matching=st.booleans())
def test_an_openssl_modulus_md5_line_matches_exactly_its_own_rsa_certificate(
    kind: str, matching: bool
) -> None:
    ks = key_set(kind, 0)
    target = ks if matching else key_set("rsa2048", 1)
    public = serialization.load_pem_private_key(target.key_pem, None).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    modulus = public.public_numbers().n
    md5 = hashlib.md5(f"Modulus={modulus:X}\n".encode(), usedforsecurity=False).hexdigest()
    line = f"MD5(stdin)= {md5}\n".encode()
    verdict = _verdict([Input("hash.txt", line), Input("cert.der", ks.cert_der)])
    assert verdict is (Verdict.MATCH if matching else Verdict.MISMATCH)


def test_every_supported_key_type_is_covered() -> None:
    loaded = {
        kind: check([Input("k.pem", key_set(kind, 0).key_pem)], now=NOW).artifacts[0].key.algorithm
        for kind in KINDS
    }
    assert {"RSA", "EC", "Ed25519", "Ed448", "DSA"} <= set(loaded.values()), loaded
