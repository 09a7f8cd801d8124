"""`scan --json` streamed: the same document as the one built whole, and exact copies of repeats."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from certmatch.scan import cli as scan_cli
from certmatch.scan import jsonout
from certmatch.scan import walk as scan_module
from certmatch.scan.records import renamed
from tests.factory import Pki, issue, make_csr, make_pki, name, new_key
from tests.vector_files import VECTORS

PEM = serialization.Encoding.PEM
TODAY = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki("ec256")


def fixture_tree(root: Path, pki: Pki) -> Path:
    """Servers in every state, a CA folder, a bundle, junk, and copies of it all (a backup)."""
    live = root / "live"
    (live / "ca").mkdir(parents=True)
    (live / "ca" / "root.pem").write_bytes(pki.root.public_bytes(PEM))
    for n, state in enumerate(("complete", "waiting", "orphan", "expired", "regenerated")):
        folder = live / f"srv{n}"
        folder.mkdir()
        key = new_key("ec256")
        cn = f"srv{n}.example.com"
        csr = make_csr(key, name(CN=cn, O="Example"), sans=[f"DNS:{cn}"])
        end = TODAY + dt.timedelta(days=-5 if state == "expired" else 200)
        cert = issue(csr, pki, not_before=end - dt.timedelta(days=300), not_after=end)
        if state != "orphan":
            (folder / "host.key").write_bytes(
                key.private_bytes(
                    PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            (folder / "host.csr").write_bytes(csr.public_bytes(PEM))
        if state == "regenerated":
            again = make_csr(new_key("ec256"), name(CN=cn, O="Example"), sans=[f"DNS:{cn}"])
            (folder / "host-new.csr").write_bytes(again.public_bytes(PEM))
        if state == "waiting":
            continue
        if n % 2:
            bundle = pkcs7.serialize_certificates(
                [cert, pki.intermediate], serialization.Encoding.DER
            )
            (folder / "host.p7b").write_bytes(bundle)
        else:
            (folder / "host.pem").write_bytes(cert.public_bytes(PEM))
    (live / "notes.txt").write_text("ticket CHG0012345\n")
    (live / "broken.pem").write_bytes(
        b"-----BEGIN CERTIFICATE-----\nMIIB==\n-----END CERTIFICATE-----\n"
    )
    for copy in ("backup-1", "backup-2"):
        shutil.copytree(live, root / copy)
    return root


def streamed(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = scan_cli.main(["--json", *argv])
    return code, capsys.readouterr().out


def test_streamed_document_is_the_document_built_whole(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = fixture_tree(tmp_path, pki)
    code, out = streamed(capsys, str(tree))
    whole = scan_module.scan([str(tree)]).to_dict()
    assert out.count("\n") == 1 and out.endswith("}\n")  # one compact document
    doc = json.loads(out)
    assert doc == json.loads(json.dumps(whole))
    assert next(iter(doc)) == "artifacts"  # written first, as the files are read
    assert code == 1  # the orphan
    assert {"csr-regenerated", "certificate-orphan", "cert-expired"} <= {
        f["code"] for f in doc["findings"]
    }


def test_streamed_document_with_the_worker_pool_is_the_same(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = fixture_tree(tmp_path / "t", pki)
    for n in range(scan_module.PARALLEL_MIN_FILES // 20):
        shutil.copytree(tree / "live", tree / f"more-{n:02d}")
    serial = scan_module.scan([str(tree)], workers=1, now=TODAY).to_dict()
    _code, out = streamed(capsys, str(tree))
    doc = json.loads(out)
    assert doc["files"] >= scan_module.PARALLEL_MIN_FILES
    assert doc["artifacts"] == serial["artifacts"]
    assert doc["findings"] == serial["findings"]
    assert doc == json.loads(json.dumps(serial))


def test_copies_past_the_memory_bounds_stream_the_same_document(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every first record kept without its JSON and a worker's digest cache cleared every
    few files (a tree of 100,000 distinct files), copies are encoded by the parent or loaded
    again: the document must not change."""
    tree = fixture_tree(tmp_path, pki)
    _code, within = streamed(capsys, str(tree))
    monkeypatch.setattr(scan_module, "_FIRSTS_WITH_JSON", 0)
    monkeypatch.setattr(scan_module, "_SEEN_MAX", 3)
    _code, past = streamed(capsys, str(tree))
    assert json.loads(past)["files"] > 3 * 3  # enough files for the cache to be cleared
    assert json.loads(past) == json.loads(within)


def test_an_internal_error_still_ends_the_streamed_document(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = fixture_tree(tmp_path, pki)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("pairing broke")

    monkeypatch.setattr(scan_module, "build_inventory", broken)
    code, out = streamed(capsys, str(tree))
    doc = json.loads(out)
    assert code == 2
    assert doc["verdict"] == "error" and "pairing broke" in doc["summary"]
    assert doc["artifacts"]  # what was read before the error stays


@pytest.mark.parametrize(
    "vector", sorted(p.name for p in VECTORS.iterdir() if p.is_file() and p.suffix != ".md")
)
def test_a_renamed_record_is_what_loading_the_copy_gives(tmp_path: Path, vector: str) -> None:
    first = scan_module.read_file(str(VECTORS / vector), 4 << 20)
    copy = tmp_path / "elsewhere" / vector
    copy.parent.mkdir()
    copy.write_bytes((VECTORS / vector).read_bytes())
    expected = scan_module.read_file(str(copy), 4 << 20)
    again = renamed(first, str(copy))
    assert again is None or again == expected


def test_an_error_while_the_lists_are_written_still_ends_the_document(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = fixture_tree(tmp_path, pki)

    def broken(_key_set: Any) -> dict[str, Any]:
        raise RuntimeError("a set would not encode")

    monkeypatch.setattr(jsonout, "set_dict", broken)
    code, out = streamed(capsys, str(tree))
    doc = json.loads(out)
    assert code == 2
    assert doc["verdict"] == "error" and "a set would not encode" in doc["summary"]
    assert doc["findings"] and doc["sets"] == [] and doc["problems"] == []
