"""The loader's fast path for clean files gives exactly what the general path gives.

`load()` reads a file that is nothing but PEM blocks as a tool wrote them without the text
repairs and the armour scan (certmatch.load.pem.clean_scan, issue 18). These tests load every
committed vector, a bench-like folder's variety of files (bench/corpus.py's kinds) and damaged
variants of each PEM text both ways and compare the outcomes field by field: a divergence in
any artefact field, note, problem or error message fails.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from certmatch.errors import CertMatchError
from certmatch.load import Input, LoadResult, load, loader, names, pem
from certmatch.load import artefacts as artefact_builder
from certmatch.load.textrepair import repair
from certmatch.model import Artefact
from certmatch.record import field_names
from tests.factory import NOW, issue, make_csr, make_pki, name, new_key

VECTORS = Path(__file__).parent / "vectors"
_PEM = serialization.Encoding.PEM
_DER = serialization.Encoding.DER


BENCH_KINDS = ("ec256", "ec384", "rsa2048")
_BENCH_SUFFIXES = (".key", ".csr", ".pem", "-expired.pem", ".cer", ".p7b", ".p7b.pem")
BENCH_FILES = (
    "ca/root.pem",
    "ca/issuing-ca.cer",
    "notes.txt",
    "broken.pem",
    *(f"cucm-{k}/cucm-{k}{suffix}" for k in BENCH_KINDS for suffix in _BENCH_SUFFIXES),
    *(f"cucm-{k}/cucm-{k}-fullchain.pem" for k in BENCH_KINDS),
)


@functools.cache
def _bench_like() -> dict[str, bytes]:
    """One file of each kind bench/corpus.py writes into a server's folder."""
    pki = make_pki("ec256")
    files: dict[str, bytes] = {
        "ca/root.pem": pki.root.public_bytes(_PEM),
        "ca/issuing-ca.cer": pki.intermediate.public_bytes(_DER),
        "notes.txt": b"renewal ticket CHG0012345: waiting on the CA\n",
        "broken.pem": b"-----BEGIN CERTIFICATE-----\nMIIBroken==\n-----END CERTIFICATE-----\n",
    }
    for kind in BENCH_KINDS:
        key = new_key(kind)
        host = f"cucm-{kind}"
        cn = f"{host}.uc.example.com"
        csr = make_csr(key, name(CN=cn, OU="UC", O="Example"), sans=(f"DNS:{cn}",))
        cert = issue(csr, pki)
        expired = issue(
            csr,
            pki,
            not_before=NOW - dt.timedelta(days=400),
            not_after=NOW - dt.timedelta(days=20),
        )
        files[f"{host}/{host}.key"] = key.private_bytes(
            _PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        files[f"{host}/{host}.csr"] = csr.public_bytes(_PEM)
        files[f"{host}/{host}.pem"] = cert.public_bytes(_PEM)
        files[f"{host}/{host}-expired.pem"] = expired.public_bytes(_PEM)
        files[f"{host}/{host}.cer"] = cert.public_bytes(_DER)
        files[f"{host}/{host}.p7b"] = pkcs7.serialize_certificates(
            [cert, pki.intermediate, pki.root], _DER
        )
        files[f"{host}/{host}.p7b.pem"] = pkcs7.serialize_certificates(
            [cert, pki.intermediate], _PEM
        )
        files[f"{host}/{host}-fullchain.pem"] = b"".join(
            c.public_bytes(_PEM) for c in (cert, pki.intermediate, pki.root)
        )
    return files


VARIANTS = (
    "crlf",
    "no-final-newline",
    "two-final-newlines",
    "blank-line-between-blocks",
    "glued-blocks",
    "trailing-spaces",
    "indented",
    "prose-before",
    "bom",
    "end-label-changed",
    "four-dashes",
    "lowercase-label",
    "nul",
    "line-cut",
    "padding-lost",
    "character-changed",
    "line-dropped",
    "wrapped-at-76",
)


def _variant(data: bytes, variant: str) -> bytes:
    """A text as people and tools damage it: the general path's business, or the fast path's
    when the change leaves the text clean (it may then be the text itself)."""
    lines = data.split(b"\n")
    body = [i for i, line in enumerate(lines) if line and not line.startswith(b"-----")]
    first = body[0] if body else 0
    end = data.find(b"-----END ")
    wrapped = b"\n".join(lines[i] for i in body[:3])
    joined = wrapped.replace(b"\n", b"")
    changed: dict[str, Callable[[], bytes]] = {
        "crlf": lambda: data.replace(b"\n", b"\r\n"),
        "no-final-newline": lambda: data.rstrip(b"\n"),
        "two-final-newlines": lambda: data + b"\n",
        "blank-line-between-blocks": lambda: data.replace(b"-----\n-----B", b"-----\n\n-----B"),
        "glued-blocks": lambda: data.replace(b"-----\n-----BEGIN", b"----------BEGIN"),
        "trailing-spaces": lambda: data.replace(b"\n", b"  \n", 3),
        "indented": lambda: b"\n".join(b"    " + line if line else line for line in lines),
        "prose-before": lambda: b"here is the certificate:\n" + data,
        "bom": lambda: b"\xef\xbb\xbf" + data,
        "end-label-changed": lambda: data[:end] + data[end:].replace(b"END ", b"END X", 1),
        "four-dashes": lambda: data.replace(b"-----BEGIN", b"----BEGIN", 1),
        "lowercase-label": lambda: data.replace(b"BEGIN CERTIFICATE", b"BEGIN certificate", 1),
        "nul": lambda: data + b"\x00",
        "line-cut": lambda: b"\n".join(lines[: len(lines) // 2]) + b"\n",
        "padding-lost": lambda: data.replace(b"=\n-----END", b"\n-----END", 1),
        "character-changed": lambda: b"\n".join(
            line[:-3] + b"!!!" if i == first else line for i, line in enumerate(lines)
        ),
        "line-dropped": lambda: b"\n".join(line for i, line in enumerate(lines) if i != first),
        "wrapped-at-76": lambda: data.replace(wrapped, joined[:76] + b"\n" + joined[76:], 1),
    }
    return changed[variant]()


def _vector_files() -> list[str]:
    return [
        str(path.relative_to(VECTORS))
        for path in sorted(VECTORS.rglob("*"))
        if path.is_file() and path.name != "README.md"
    ]


def _names() -> list[str]:
    """Every original input by name. Names only: every xdist worker must collect the same
    ones, and the bench-like files (new keys each run) are built when a test first needs them."""
    return _vector_files() + [f"bench/{p}" for p in BENCH_FILES]


def _data(original: str) -> bytes:
    if original.startswith("bench/"):
        return _bench_like()[original.removeprefix("bench/")]
    return (VECTORS / original).read_bytes()


def _with_variants(original: str) -> dict[str, bytes]:
    """The input and, for a PEM text, its damaged variants, by name."""
    data = _data(original)
    inputs = {original: data}
    if b"-----BEGIN " in data:
        inputs.update({f"{original} ({v})": _variant(data, v) for v in VARIANTS})
    return inputs


def _native_der(artefact: Artefact) -> bytes | None:
    native = artefact.native
    if isinstance(native, x509.Certificate | x509.CertificateSigningRequest):
        return native.public_bytes(_DER)
    return None


def _fields(artefact: Artefact) -> dict[str, Any]:
    fields = {f: getattr(artefact, f) for f in field_names(Artefact) if f != "native"}
    fields["native"] = (type(artefact.native).__name__, _native_der(artefact))
    return fields


def _outcome(read: Callable[[], LoadResult]) -> tuple[Any, ...]:
    # The loader's caches start empty each time, so neither path is answered from what the
    # other one built (a note dropped by a cached answer would otherwise go unseen).
    names._NAMES.clear()
    artefact_builder._KEYS.clear()
    try:
        result = read()
    except CertMatchError as exc:
        return ("raised", type(exc).__name__, str(exc))
    return ("loaded", [_fields(a) for a in result.artefacts], result.problems)


@pytest.mark.parametrize("original", _names())
def test_fast_path_loads_what_the_general_path_loads(original: str) -> None:
    for source, data in _with_variants(original).items():
        inp = Input(name=source, data=data)
        fast = _outcome(functools.partial(load, inp))
        general = _outcome(functools.partial(loader.load_general, inp))
        assert fast[0] == general[0], (source, fast, general)
        if fast[0] == "raised":
            assert fast == general, source
            continue
        assert len(fast[1]) == len(general[1]), source
        for fast_fields, general_fields in zip(fast[1], general[1], strict=True):
            for field in general_fields:
                assert fast_fields[field] == general_fields[field], (source, field)
        assert fast[2] == general[2], source


def test_clean_scan_is_the_armour_scan_of_every_clean_text() -> None:
    clean = 0
    texts = [data for original in _names() for data in _with_variants(original).values()]
    for data in texts:
        if not data.isascii():
            continue
        text = data.decode("ascii")
        found = pem.clean_scan(text, max_blocks=100)
        if found is not None:
            clean += 1
            assert found == pem.scan(repair(text).text)
    # The vectors and the bench-like files are mostly clean PEM: the fast path must apply to
    # them, or the comparisons above would test the general path against itself.
    assert clean >= 100


def test_clean_scan_leaves_what_it_does_not_match_to_the_general_path() -> None:
    block = make_csr(new_key("ec256")).public_bytes(_PEM).decode("ascii")
    assert pem.clean_scan(block, max_blocks=100) is not None
    assert pem.clean_scan(block * 3, max_blocks=3) is not None
    assert pem.clean_scan(block * 4, max_blocks=3) is None  # the general path counts them
    assert pem.clean_scan(block.replace("\n", "\r\n"), max_blocks=100) is None
    assert pem.clean_scan("note\n" + block, max_blocks=100) is None
    assert pem.clean_scan(block + "\n", max_blocks=100) is None
    assert pem.clean_scan("", max_blocks=100) is None
