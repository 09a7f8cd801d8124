"""Rejected inputs are first-class vectors: each gets a clear message, quickly, never a traceback."""

from __future__ import annotations

import pytest

from certmatch.errors import InputTooLargeError, UnusableInputError
from certmatch.load import Input, contains_material, load
from certmatch.load.limits import DEFAULT_LIMITS, Limits
from certmatch.model import ArtefactKind
from tests.engine_time import engine_seconds
from tests.vector_files import load_vector, read
from tests.vectors.generate import pem_pile, pkcs7_with_certificates

# Vector -> words the message must contain (what went wrong, in a person's terms).
REJECTED = {
    "empty.pem": "empty",
    "whitespace-only.txt": "empty",
    "prose-only.txt": "no certificate, CSR, key or hash line found",
    "random-bytes.bin": "binary data that is neither",
    "random-bytes-der-header.bin": "damaged",
    "truncated-base64.cert.pem": "damaged",
    "truncated-no-end.cert.pem": "cut off",
    "truncated.cert.der": "truncated",
    "corrupted-base64.cert.pem": "damaged",
    "invalid-characters.cert.pem": "characters base64 cannot hold",
    "ocr-damaged.csr.txt": "OCR",
    "missing-begin.csr.txt": "has no BEGIN line",
    "unknown-label.pem": "SOMETHING ELSE",
    "deeply-nested.der": "nested more than",
    "oversized-length.der": "claims 2147483647 bytes",
    "empty.p7b": "holds no certificates",
}


@pytest.mark.parametrize(("name", "words"), REJECTED.items())
def test_rejected_vector_raises_unusable_input_with_a_clear_message(name: str, words: str) -> None:
    started = engine_seconds()
    with pytest.raises(UnusableInputError) as raised:
        load_vector(name)
    assert engine_seconds() - started < 1.0
    message = str(raised.value)
    assert message.startswith(f"{name}")
    assert words in message
    assert "Traceback" not in message


def test_ocr_damaged_csr_says_to_send_the_file_itself() -> None:
    with pytest.raises(UnusableInputError, match="send the file itself"):
        load_vector("ocr-damaged.csr.txt")


def test_damage_in_a_private_key_never_quotes_its_body() -> None:
    text = read("server-pkcs1.key.pem").decode()
    lines = text.splitlines()
    damaged = "\n".join([*lines[:3], lines[3][:-5] + ".....", *lines[4:]])
    with pytest.raises(UnusableInputError) as raised:
        load(Input("key.pem", damaged.encode()))
    message = str(raised.value)
    assert all(line not in message for line in lines[1:-1])


def test_one_damaged_block_among_good_ones_is_a_problem_beside_the_artefacts() -> None:
    result = load_vector("mixed-good-and-damaged.pem")
    assert [a.kind for a in result.artefacts] == [ArtefactKind.CERTIFICATE]
    (problem,) = result.problems
    assert problem.source == "mixed-good-and-damaged.pem [block 2]"
    assert problem.code == "unreadable-input"
    assert "CERTIFICATE REQUEST" in problem.message


def test_six_megabyte_pem_pile_is_refused_before_parsing() -> None:
    data = pem_pile()
    assert len(data) > 6 * 1024 * 1024
    started = engine_seconds()
    with pytest.raises(InputTooLargeError, match=r"over the 4\.0 MiB limit"):
        load(Input("pile.pem", data))
    assert engine_seconds() - started < 0.1


def test_pem_pile_under_the_size_cap_is_refused_by_block_count() -> None:
    data = pem_pile(DEFAULT_LIMITS.max_input_bytes - 10_000)
    started = engine_seconds()
    with pytest.raises(InputTooLargeError, match="PEM blocks is over the limit of 100"):
        load(Input("pile.pem", data))
    assert engine_seconds() - started < 1.5


def test_pkcs7_with_thousands_of_certificates_is_refused_by_count() -> None:
    data = pkcs7_with_certificates(3000)
    started = engine_seconds()
    with pytest.raises(InputTooLargeError, match="3000 certificates in the PKCS#7 bundle"):
        load(Input("huge.p7b", data))
    assert engine_seconds() - started < 1.0


def test_pkcs7_at_the_certificate_cap_still_loads() -> None:
    result = load(Input("big.p7b", pkcs7_with_certificates(DEFAULT_LIMITS.max_certificates)))
    assert len(result.artefacts) == DEFAULT_LIMITS.max_certificates


def test_limits_can_be_tightened_per_call() -> None:
    tight = Limits(max_input_bytes=512)
    with pytest.raises(InputTooLargeError, match="512 bytes"):
        load(Input("server.cert.pem", read("server.cert.pem")), tight)
    with pytest.raises(InputTooLargeError, match="limit of 2"):
        load(Input("fullchain.pem", read("fullchain.pem")), Limits(max_pem_blocks=2))


def test_unwrapped_cryptography_error_keeps_its_cause() -> None:
    with pytest.raises(UnusableInputError) as raised:
        load_vector("corrupted-base64.cert.pem")
    assert raised.value.__cause__ is not None


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("a run of dashes", b"-" * 4_000_000),
        ("lines of dashes", (b"-" * 60 + b"\n") * 65_000),
        ("one base64 line", b"A" * 4_000_000),
        ("base64 runs just too short", (b"A" * 199 + b" ") * 20_000),
        ("quote markers", b"> " * 2_000_000),
        ("HTML entities", b"&amp;" * 800_000),
        ("open parentheses", b"(" * 4_000_000),
        ("md5 prefixes", b"MD5(" * 1_000_000),
        ("a modulus line of markup", b"Modulus=" + b"` " * 2_000_000),
    ],
)
def test_hostile_text_just_under_the_size_cap_is_handled_quickly(label: str, data: bytes) -> None:
    started = engine_seconds()
    with pytest.raises(UnusableInputError):
        load(Input(label, data))
    assert contains_material(data.decode()) in (True, False)
    assert engine_seconds() - started < 3.0


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("hostile-kdf-iterations.key.der", b"throwaway-pkcs8"),
        ("hostile-mac-iterations.p12", None),
        ("hostile-mac-iterations.p12", b"anything"),
    ],
)
def test_file_asking_for_billions_of_kdf_iterations_is_refused_before_decrypting(
    name: str, password: bytes | None
) -> None:
    started = engine_seconds()
    with pytest.raises(InputTooLargeError, match="2147483647 password-hashing iterations"):
        load_vector(name, password)
    assert engine_seconds() - started < 0.5


def test_ordinary_kdf_iterations_are_within_the_default_limit() -> None:
    from certmatch.load.dershape import kdf_costs

    for name in ("server-password.p12", "server-encrypted-pkcs8.key.der"):
        iterations, memory = kdf_costs(read(name))
        assert iterations and max(iterations) <= DEFAULT_LIMITS.max_kdf_iterations
        assert memory == []
