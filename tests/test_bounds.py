"""The documented resource bounds (docs/reliability.md), each tested at the limit and one past it, and the time one check may take."""

from __future__ import annotations

import tracemalloc

import pytest

from certmatch.check import check
from certmatch.errors import InputTooLargeError, UnusableInputError
from certmatch.load import Input, load
from certmatch.load.limits import DEFAULT_LIMITS
from certmatch.model import Verdict
from tests.engine_time import engine_seconds
from tests.vector_files import read
from tests.vectors.generate import pkcs7_with_certificates

CERT = read("server.cert.pem")
CSR = read("server.csr.pem")
# Inputs at the 4 MiB cap take about a second on an idle machine; CI machines are shared, so the
# tests allow what tests/test_load_bad.py allows. The fuzzer holds inputs up to 64 KiB to 2 s.
PER_INPUT_SECONDS = 3.0
# tracemalloc's peak for one input at the cap (the input itself is 4 MiB).
MEMORY_BOUND_BYTES = 64 * 1024 * 1024


def _nested(depth: int) -> bytes:
    """`depth` SEQUENCEs inside each other around an INTEGER."""
    der = b"\x02\x01\x00"
    for _ in range(depth):
        length = len(der)
        header = bytes([length]) if length < 0x80 else b"\x82" + length.to_bytes(2, "big")
        der = b"\x30" + header + der
    return der


def test_input_of_exactly_the_size_cap_is_read_and_one_byte_more_is_refused() -> None:
    cap = DEFAULT_LIMITS.max_input_bytes
    padded = CERT + b"\n" * (cap - len(CERT))
    assert len(padded) == cap
    assert len(load(Input("cap.pem", padded)).artefacts) == 1
    with pytest.raises(InputTooLargeError, match=r"over the 4\.0 MiB limit"):
        load(Input("over.pem", padded + b"\n"))


def test_pem_blocks_up_to_the_cap_are_read_and_one_more_is_refused() -> None:
    cap = DEFAULT_LIMITS.max_pem_blocks
    assert len(load(Input("cap.pem", CERT * cap)).artefacts) == cap
    with pytest.raises(InputTooLargeError, match=f"{cap + 1} PEM blocks is over the limit"):
        load(Input("over.pem", CERT * (cap + 1)))


def test_end_lines_without_begin_count_against_the_block_cap() -> None:
    # Each lone END line becomes a block; 4 MiB of them once took 7 s and 420 MiB.
    cap = DEFAULT_LIMITS.max_pem_blocks
    ends = b"-----END CERTIFICATE-----\n"
    with pytest.raises(InputTooLargeError, match=f"{cap + 1} PEM blocks is over the limit"):
        load(Input("ends.pem", ends * (cap + 1)))
    started = engine_seconds()
    with pytest.raises(InputTooLargeError, match="PEM blocks is over the limit"):
        load(Input("ends.pem", ends * 150_000))
    assert engine_seconds() - started < PER_INPUT_SECONDS


def test_pkcs7_one_certificate_over_the_cap_is_refused_before_parsing() -> None:
    cap = DEFAULT_LIMITS.max_certificates
    with pytest.raises(InputTooLargeError, match=f"{cap + 1} certificates in the PKCS#7"):
        load(Input("over.p7b", pkcs7_with_certificates(cap + 1)))


def test_der_nested_to_the_depth_cap_is_walked_and_one_level_more_is_refused() -> None:
    cap = DEFAULT_LIMITS.max_der_depth
    with pytest.raises(UnusableInputError) as at_cap:
        load(Input("cap.der", _nested(cap)))
    assert "nested more than" not in str(at_cap.value)  # refused as "not a certificate"
    with pytest.raises(UnusableInputError, match=f"nested more than {cap} levels"):
        load(Input("over.der", _nested(cap + 1)))


HOSTILE = [
    b"-" * 4_000_000,
    b"A" * 4_000_000,
    (b"A" * 199 + b" ") * 20_000,
    b"> " * 2_000_000,
    b"&amp;" * 800_000,
    b"(" * 4_000_000,
    b"MD5(" * 1_000_000,
    (b"-----BEGIN CERTIFICATE-----\n" + b"A" * 60 + b"\n-----END CERTIFICATE-----\n") * 100,
    CERT * DEFAULT_LIMITS.max_pem_blocks,
    pkcs7_with_certificates(DEFAULT_LIMITS.max_certificates),
]


def test_a_check_of_ten_inputs_at_the_caps_stays_within_the_time_per_input() -> None:
    # The bot hands one check at most Slack's 10 files per message (plus the text).
    inputs = [Input(f"input-{i}", data) for i, data in enumerate(HOSTILE)]
    started = engine_seconds()
    report = check(inputs)
    elapsed = engine_seconds() - started
    assert elapsed < PER_INPUT_SECONDS * len(inputs), elapsed
    assert report.verdict in (Verdict.ERROR, Verdict.INCOMPLETE)
    assert len(report.problems) >= 7  # the hostile texts are refused, each with a message


@pytest.mark.parametrize("index", range(len(HOSTILE)))
def test_each_input_at_the_caps_is_answered_within_the_time_per_input(index: int) -> None:
    started = engine_seconds()
    report = check([Input("input", HOSTILE[index]), Input("tomcat.csr", CSR)])
    assert engine_seconds() - started < PER_INPUT_SECONDS
    assert report.problems or report.verdict is Verdict.MATCH  # refused with a reason, or read


@pytest.mark.parametrize(
    "data",
    [
        b"> " * 2_000_000,
        b"> >" * 1_300_000 + b"\n",
        b"-----BEGIN " + b"A " * 1_999_990 + b"-----",
        b"Modulus:\n" + b"00:" * 1_300_000,
        (b"A" * 40 + b"\n") * 97_000,
    ],
    ids=["quote markers", "nested quote markers", "label words", "modulus dump", "base64 lines"],
)
def test_hostile_text_at_the_cap_stays_within_the_memory_bound(data: bytes) -> None:
    # Each of these once cost 90-550 MiB: re keeps state for every repetition of a group, so a
    # group repeated over one 4 MiB line (or 100 000 lines) grows with the input.
    tracemalloc.start()
    try:
        check([Input("hostile.txt", data)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND_BYTES, f"{peak / 2**20:.0f} MiB"
