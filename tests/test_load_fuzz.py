"""Whatever bytes arrive, load() returns artefacts or raises a CertMatchError: never anything else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from certmatch.errors import CertMatchError
from certmatch.load import Input, contains_material, load
from tests.vector_files import read

SERVER_PEM = read("server.cert.pem")
SERVER_DER = read("server.cert.der")


def _load_or_refuse(data: bytes) -> None:
    try:
        result = load(Input("fuzz", data))
    except CertMatchError as exc:
        assert str(exc).startswith("fuzz")
    else:
        assert result.artefacts


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_load_or_are_refused_cleanly(data: bytes) -> None:
    _load_or_refuse(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SERVER_DER) - 1), st.integers(0, 255))
def test_der_with_one_byte_changed_loads_or_is_refused_cleanly(position: int, value: int) -> None:
    data = bytearray(SERVER_DER)
    data[position] = value
    _load_or_refuse(bytes(data))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SERVER_PEM) - 1), st.integers(1, 200), st.text(max_size=5))
def test_pem_with_a_slice_replaced_loads_or_is_refused_cleanly(
    start: int, length: int, replacement: str
) -> None:
    data = SERVER_PEM[:start] + replacement.encode() + SERVER_PEM[start + length :]
    _load_or_refuse(data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_contains_material_never_raises(text: str) -> None:
    assert contains_material(text) in (True, False)
