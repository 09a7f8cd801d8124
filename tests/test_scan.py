"""`certmatch scan`: pairing a tree of files, its JSON shape, exit codes, problems and expiry."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import pickle
import threading
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from certmatch.check import check
from certmatch.load import Input
from certmatch.load.artefacts import from_certificate
from certmatch.scan import cli as scan_cli
from certmatch.scan import walk as scan_module
from certmatch.scan.progress import Progress
from tests.factory import (
    Pki,
    PrivateKey,
    issue,
    make_cert,
    make_csr,
    make_pki,
    name,
    new_key,
)
from tests.vector_files import VECTORS

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER
TODAY = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki("ec256")


def key_pem(key: PrivateKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, encryption)


def server(
    folder: Path,
    pki: Pki,
    cn: str,
    *,
    kind: str = "ec256",
    with_key: bool = True,
    with_csr: bool = True,
    with_cert: bool = True,
    not_after: dt.datetime | None = None,
) -> tuple[PrivateKey, x509.CertificateSigningRequest, x509.Certificate]:
    """Write host.key / host.csr / host.pem for one server into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    key = new_key(kind)
    csr = make_csr(key, name(CN=cn, O="Example"), sans=[f"DNS:{cn}"])
    end = not_after or TODAY + dt.timedelta(days=365)
    cert = issue(csr, pki, not_before=end - dt.timedelta(days=395), not_after=end)
    if with_key:
        (folder / "host.key").write_bytes(key_pem(key))
    if with_csr:
        (folder / "host.csr").write_bytes(csr.public_bytes(PEM))
    if with_cert:
        (folder / "host.pem").write_bytes(cert.public_bytes(PEM))
    return key, csr, cert


def write_ca(root: Path, pki: Pki) -> None:
    (root / "ca").mkdir(parents=True, exist_ok=True)
    (root / "ca" / "root.pem").write_bytes(pki.root.public_bytes(PEM))
    (root / "ca" / "issuing.pem").write_bytes(pki.intermediate.public_bytes(PEM))


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = scan_cli.main(["--json", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out)


def run_text(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = scan_cli.main(list(argv))
    return code, capsys.readouterr().out


def sources(doc: dict[str, Any], indexes: list[int]) -> list[str]:
    return sorted(Path(doc["artifacts"][i]["source"]).name for i in indexes)


def codes(doc: dict[str, Any]) -> set[str]:
    return {f["code"] for f in doc["findings"]}


def test_complete_tree_pairs_csr_key_and_certificate_and_exits_0(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    write_ca(tmp_path, pki)
    server(tmp_path / "cucm1", pki, "cucm1.example.com")
    server(tmp_path / "cucm2", pki, "cucm2.example.com", kind="rsa2048")
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 0
    assert doc["verdict"] == "match"
    matched = [s for s in doc["sets"] if s["status"] == "matched"]
    assert [s["name"] for s in matched] == ["cucm1.example.com", "cucm2.example.com"]
    for key_set in matched:
        assert len(key_set["csrs"]) == len(key_set["keys"]) == len(key_set["certificates"]) == 1
        # leaf, issuing CA, root: the chain was completed from the ca/ folder
        assert len(key_set["chain"]) == 3
    assert doc["orphans"] == []
    assert all(p["match"] for p in doc["pairs"])
    paired = {
        (doc["artifacts"][p["left"]]["kind"], doc["artifacts"][p["right"]]["kind"])
        for p in doc["pairs"]
    }
    assert paired == {("csr", "certificate"), ("private_key", "certificate")}


def test_json_uses_the_check_commands_artefact_pair_and_finding_shapes(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    _key, _csr, cert = server(tmp_path / "a", pki, "a.example.com")
    server(tmp_path / "b", pki, "b.example.com", with_csr=False, with_key=False)
    _code, doc = run_json(capsys, str(tmp_path))
    artefact_keys = set(from_certificate(cert, "x.pem", "pem").to_dict())
    assert all(set(a) == artefact_keys for a in doc["artifacts"])
    assert all(set(p) == {"left", "right", "match"} for p in doc["pairs"])
    assert doc["findings"]
    assert all(
        set(f) == {"code", "severity", "message", "hint", "artifacts", "reference"}
        for f in doc["findings"]
    )
    assert all(isinstance(i, int) for i in doc["orphans"])
    assert {"verdict", "summary", "sets", "regenerated", "expiring", "expired", "problems"} <= set(
        doc
    )


def test_certificate_with_no_csr_or_key_is_an_orphan_and_exits_1(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    server(tmp_path / "lost", pki, "lost.example.com", with_key=False, with_csr=False)
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 1
    assert doc["verdict"] == "mismatch"
    assert "certificate-orphan" in codes(doc)
    assert sources(doc, doc["orphans"]) == ["host.pem"]
    assert [s["status"] for s in doc["sets"]] == ["orphan"]


def test_csr_waiting_for_its_certificate_is_listed_and_exits_0(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    server(tmp_path / "new", pki, "new.example.com", with_cert=False)
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 0
    assert [s["status"] for s in doc["sets"]] == ["waiting"]
    assert sources(doc, doc["orphans"]) == ["host.csr", "host.key"]
    code, text = run_text(capsys, str(tmp_path))
    assert "CSRs and keys waiting for a certificate (1)" in text
    assert "new.example.com" in text


def test_regenerated_csr_beside_the_certificate_is_a_mismatch_and_is_reported(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    # The vendor note: the CSR went to the CA, then a new key and CSR were generated on the
    # server, and the certificate that came back belongs to the first request.
    folder = tmp_path / "cucm-pub"
    folder.mkdir()
    old_key = new_key("ec256")
    old_csr = make_csr(old_key, name(CN="cucm-pub.example.com"), sans=["DNS:cucm-pub.example.com"])
    (folder / "submitted.csr").write_bytes(old_csr.public_bytes(PEM))
    new = new_key("ec256")
    new_csr = make_csr(new, name(CN="cucm-pub.example.com"), sans=["DNS:cucm-pub.example.com"])
    (folder / "host.key").write_bytes(key_pem(new))
    (folder / "host.csr").write_bytes(new_csr.public_bytes(PEM))
    cert = issue(
        old_csr,
        pki,
        not_before=TODAY - dt.timedelta(days=1),
        not_after=TODAY + dt.timedelta(days=300),
    )
    (folder / "signed.pem").write_bytes(cert.public_bytes(PEM))
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 1
    assert {"csr-regenerated", "key-mismatch"} <= codes(doc)
    assert [r["cn"] for r in doc["regenerated"]] == ["cucm-pub.example.com"]
    assert len(doc["regenerated"][0]["sets"]) == 2
    mismatch = [p for p in doc["pairs"] if not p["match"]]
    assert len(mismatch) == 1
    assert doc["artifacts"][mismatch[0]["right"]]["source"].endswith("signed.pem")
    code, text = run_text(capsys, str(tmp_path))
    assert "Regenerated CSRs: 1 CN(s)" in text
    assert "submitted.csr  (has a certificate)" in text


def test_different_cns_with_their_own_keys_are_not_regenerated(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    server(tmp_path / "a", pki, "a.example.com")
    server(tmp_path / "b", pki, "b.example.com", with_cert=False)
    _code, doc = run_json(capsys, str(tmp_path))
    assert doc["regenerated"] == []
    assert "csr-regenerated" not in codes(doc)


def test_expired_certificate_with_its_key_is_reported_and_exits_3(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 12: the keys pair, an error blocks use: 3, not 1 (a mismatch).
    server(tmp_path / "old", pki, "old.example.com", not_after=TODAY - dt.timedelta(days=3))
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 3
    assert doc["verdict"] == "match"
    assert sources(doc, doc["expired"]) == ["host.pem"]
    assert "cert-expired" in codes(doc)


def test_expired_certificate_replaced_by_a_newer_one_for_the_cn_does_not_fail(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    server(tmp_path / "2025", pki, "pub.example.com", not_after=TODAY - dt.timedelta(days=300))
    server(tmp_path / "2026", pki, "pub.example.com")
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 0
    assert len(doc["expired"]) == 1
    expired = [f for f in doc["findings"] if f["code"] == "cert-expired"]
    assert [f["severity"] for f in expired] == ["info"]


@pytest.mark.parametrize(("window", "listed"), [("30", True), ("5", False)])
def test_expiring_window_follows_the_expiring_option(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str], window: str, listed: bool
) -> None:
    server(tmp_path / "soon", pki, "soon.example.com", not_after=TODAY + dt.timedelta(days=10))
    code, doc = run_json(capsys, "--expiring", window, str(tmp_path))
    assert code == 0  # expiring is a warning, not a failure
    assert doc["expiring_days"] == int(window)
    assert (sources(doc, doc["expiring"]) == ["host.pem"]) is listed
    assert ("cert-expiring" in codes(doc)) is listed


def test_unreadable_files_are_listed_with_the_reason_and_do_not_stop_the_scan(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    server(tmp_path / "ok", pki, "ok.example.com")
    (tmp_path / "notes.txt").write_text("waiting on the CA, ticket CHG0001\n")
    (tmp_path / "broken.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nMIIBroken==\n-----END CERTIFICATE-----\n"
    )
    (tmp_path / "locked.key").write_bytes(key_pem(new_key("ec256"), b"secret"))
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 0
    problems = {Path(p["source"]).name: p for p in doc["problems"]}
    assert set(problems) == {"notes.txt", "broken.pem", "locked.key"}
    assert all(p["message"] for p in problems.values())
    assert problems["locked.key"]["code"] == "key-encrypted"
    assert [s["status"] for s in doc["sets"]] == ["matched"]
    _code, text = run_text(capsys, str(tmp_path))
    assert "Unreadable files (3)" in text


def test_nothing_readable_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("nothing here\n")
    code, doc = run_json(capsys, str(tmp_path), str(tmp_path / "missing"))
    assert code == 2
    assert doc["verdict"] == "error"
    assert {Path(p["source"]).name for p in doc["problems"]} == {"notes.txt", "missing"}


def test_hash_line_file_pairs_with_the_rsa_certificate_by_modulus_md5(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    key, _csr, _cert = server(
        tmp_path / "rsa", pki, "rsa.example.com", kind="rsa2048", with_key=False, with_csr=False
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    line = f"Modulus={key.public_key().public_numbers().n:X}\n"
    md5 = hashlib.md5(line.encode(), usedforsecurity=False).hexdigest()
    (tmp_path / "rsa" / "csr-hash.txt").write_text(f"MD5(stdin)= {md5}\n")
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 0
    (key_set,) = doc["sets"]
    assert key_set["status"] == "matched"
    assert sources(doc, key_set["hashes"]) == ["csr-hash.txt"]


def test_pkcs7_bundle_gives_the_chain_without_separate_ca_files(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    _key, _csr, cert = server(tmp_path / "s", pki, "s.example.com", with_cert=False)
    bundle = pkcs7.serialize_certificates(
        [cert, pki.intermediate, pki.root], serialization.Encoding.DER
    )
    (tmp_path / "s" / "signed.p7b").write_bytes(bundle)
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 0
    (key_set,) = [s for s in doc["sets"] if s["status"] == "matched"]
    assert len(key_set["chain"]) == 3
    assert "chain-incomplete" not in codes(doc)


def test_missing_issuer_is_reported_as_chain_incomplete(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    server(tmp_path / "s", pki, "s.example.com")
    _code, doc = run_json(capsys, str(tmp_path))
    assert "chain-incomplete" in codes(doc)


def test_private_key_material_never_appears_in_the_output(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    key, _csr, _cert = server(tmp_path / "k", pki, "k.example.com", kind="rsa2048")
    secret_line = key_pem(key).decode().splitlines()[3]
    _code, doc = run_json(capsys, str(tmp_path))
    _code, text = run_text(capsys, str(tmp_path))
    assert secret_line not in json.dumps(doc)
    assert secret_line not in text


def test_worker_processes_give_the_same_answer_as_one_process(tmp_path: Path, pki: Pki) -> None:
    # Copies of a few servers' files past the parallel threshold, so the pool really runs.
    for n in range(4):
        server(tmp_path / f"src{n}", pki, f"h{n}.example.com")
    sources_ = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    copies = tmp_path / "copies"
    for n in range(scan_module.PARALLEL_MIN_FILES // len(sources_) + 1):
        for path in sources_:
            target = copies / f"{n:03d}" / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    now = TODAY
    serial = scan_module.scan([str(copies)], workers=1, now=now).to_dict()
    parallel = scan_module.scan([str(copies)], workers=2, now=now).to_dict()
    assert parallel["files"] >= scan_module.PARALLEL_MIN_FILES
    assert parallel == serial
    assert len([s for s in parallel["sets"] if s["status"] == "matched"]) == 4


def test_progress_bar_is_silent_when_stderr_is_not_a_terminal(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    server(tmp_path / "a", pki, "a.example.com")
    run_text(capsys, str(tmp_path))
    assert capsys.readouterr().err == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_and_erases_itself() -> None:
    stream = _Terminal()
    progress = Progress(100, stream, delay=0.0)
    progress.advance(50)
    assert "50/100 files" in stream.getvalue()
    progress.close()
    assert stream.getvalue().endswith("\r\033[K")


def test_csr_with_a_broken_signature_fails_the_scan(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    key = new_key("rsa2048")
    der = bytearray(make_csr(key, name(CN="edited.example.com")).public_bytes(DER))
    der[-1] ^= 0x01  # last byte of the signature: structure intact, signature wrong
    (tmp_path / "edited.csr").write_bytes(bytes(der))
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 3  # issue 12: not a key mismatch, an error that blocks use
    assert "csr-signature-invalid" in codes(doc)


def test_sha1_signed_certificate_is_a_weak_signature_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # cryptography no longer signs with SHA-1, so this uses the committed UC vectors.
    for vector in ("tomcat.csr", "tomcat-sha1.pem"):
        (tmp_path / vector).write_bytes((VECTORS / "uc" / vector).read_bytes())
    _code, doc = run_json(capsys, str(tmp_path))
    weak = [f for f in doc["findings"] if f["code"] == "weak-signature"]
    assert [f["severity"] for f in weak] == ["warning"]
    assert "SHA-1" in weak[0]["message"]


def test_certificate_is_compared_with_its_own_request_when_a_key_serves_two_names(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    key = new_key("ec256")
    for host in ("a", "b"):
        cn = f"{host}.example.com"
        csr = make_csr(key, name(CN=cn), sans=[f"DNS:{cn}"])
        (tmp_path / host).mkdir()
        (tmp_path / host / "host.csr").write_bytes(csr.public_bytes(PEM))
        (tmp_path / host / "host.pem").write_bytes(issue(csr, pki).public_bytes(PEM))
    _code, doc = run_json(capsys, str(tmp_path))
    assert len(doc["sets"]) == 1  # one key, one set
    assert not {"cn-changed", "san-dropped", "san-added"} & codes(doc)


def test_ca_changing_the_requested_cn_is_reported(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    key = new_key("ec256")
    csr = make_csr(key, name(CN="asked.example.com"), sans=["DNS:asked.example.com"])
    cert = issue(csr, pki, subject=name(CN="given.example.com"))
    (tmp_path / "host.csr").write_bytes(csr.public_bytes(PEM))
    (tmp_path / "host.pem").write_bytes(cert.public_bytes(PEM))
    _code, doc = run_json(capsys, str(tmp_path))
    (changed,) = [f for f in doc["findings"] if f["code"] == "cn-changed"]
    assert "asked.example.com -> given.example.com" in changed["message"]


def test_version_control_folders_are_skipped_and_special_files_listed(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    server(tmp_path / "s", pki, "s.example.com")
    (tmp_path / ".git" / "objects").mkdir(parents=True)
    (tmp_path / ".git" / "objects" / "ab1234").write_bytes(b"x\x9c compressed object")
    os.mkfifo(tmp_path / "s" / "pipe.pem")  # reading it would block the scan forever
    (tmp_path / "s" / "dangling.pem").symlink_to(tmp_path / "nowhere.pem")
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 0
    problems = {Path(p["source"]).name for p in doc["problems"]}
    assert problems == {"pipe.pem", "dangling.pem"}
    assert doc["files"] == 5  # host.key, host.csr, host.pem, pipe.pem, dangling.pem


def test_worker_records_carry_no_parsed_objects_pem_or_key_material(
    tmp_path: Path, pki: Pki
) -> None:
    key, _csr, _cert = server(tmp_path, pki, "w.example.com", kind="rsa2048")
    secret_line = key_pem(key).decode().splitlines()[3].encode()
    for path in ("host.key", "host.csr", "host.pem"):
        record = scan_module.read_file(str(tmp_path / path), 1 << 20)
        assert record.artefacts and not record.problems
        assert all(a.native is None and a.public_pem == "" for a in record.artefacts)
        wire = pickle.dumps(record)
        assert b"cryptography" not in wire  # no parsed x509 object rides along
        assert secret_line not in wire
        assert pickle.loads(wire) == record


def test_worker_pool_from_a_threaded_host_gives_the_same_answer(tmp_path: Path, pki: Pki) -> None:
    # With another thread alive the pool uses forkserver instead of fork; same answer expected.
    for n in range(scan_module.PARALLEL_MIN_FILES // 3 + 1):
        server(tmp_path / f"h{n:03d}", pki, f"h{n:03d}.example.com")
    serial = scan_module.scan([str(tmp_path)], workers=1, now=TODAY).to_dict()
    release = threading.Event()
    host_thread = threading.Thread(target=release.wait)
    host_thread.start()
    try:
        parallel = scan_module.scan([str(tmp_path)], workers=2, now=TODAY).to_dict()
    finally:
        release.set()
        host_thread.join()
    assert parallel["files"] >= scan_module.PARALLEL_MIN_FILES
    assert parallel == serial


# --- the scan runs the check's rules ------------------------------------------------------


def test_dsa_key_is_a_weak_key_in_the_scan_as_in_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The scan used to judge only RSA sizes; the rule it shares with the check covers DSA too.
    for vector in ("dsa.csr.pem", "dsa.cert.pem"):
        (tmp_path / vector).write_bytes((VECTORS / vector).read_bytes())
    _code, doc = run_json(capsys, str(tmp_path))
    (weak,) = [f for f in doc["findings"] if f["code"] == "weak-key"]
    assert weak["severity"] == "warning"
    assert "DSA" in weak["message"] and "DSA" in weak["hint"]


def test_a_scan_finding_says_what_the_check_says_for_the_same_files(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    key = new_key("ec256")
    csr = make_csr(
        key, name(CN="asked.example.com"), sans=["DNS:asked.example.com", "DNS:b.example.com"]
    )
    cert = issue(csr, pki, subject=name(CN="given.example.com"), sans=["DNS:asked.example.com"])
    paths = [tmp_path / "host.csr", tmp_path / "host.pem"]
    paths[0].write_bytes(csr.public_bytes(PEM))
    paths[1].write_bytes(cert.public_bytes(PEM))
    _code, doc = run_json(capsys, str(tmp_path))
    report = check([Input(str(p), p.read_bytes()) for p in paths], now=TODAY)
    shared = {"san-dropped", "cn-changed", "cn-not-in-san", "chain-incomplete"}
    in_scan = {(f["code"], f["severity"], f["message"]) for f in doc["findings"]}
    in_check = {(f.code, f.severity.value, f.message) for f in report.findings}
    assert {c for c, _s, _m in in_scan} >= shared
    assert {x for x in in_scan if x[0] in shared} == {x for x in in_check if x[0] in shared}


def test_scan_with_the_cisco_uc_profile_runs_the_profiles_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for vector in ("tomcat.csr", "tomcat-san-changed.pem", "inter.pem", "root.pem"):
        (tmp_path / vector).write_bytes((VECTORS / "uc" / vector).read_bytes())
    _code, generic = run_json(capsys, str(tmp_path))
    _code, uc = run_json(capsys, "--profile", "cisco-uc", str(tmp_path))
    assert uc["profile"] == "cisco-uc"
    assert "uc-san-mismatch" in codes(uc)
    assert "san-dropped" in codes(generic) and "san-dropped" not in codes(uc)  # superseded
    assert not {c for c in codes(generic) if c.startswith("uc-")}
    # The root is self-issued in the scan's slim records too: no chain is reported missing.
    assert "uc-chain-incomplete" not in codes(uc)


def expired_intermediate(pki: Pki) -> x509.Certificate:
    """A copy of the issuing CA (its key and name) that expired five days ago."""
    return make_cert(
        pki.intermediate_key.public_key(),
        pki.intermediate.subject,
        pki.root,
        pki.root_key,
        ku=("keyCertSign", "cRLSign"),
        ca=True,
        not_before=TODAY - dt.timedelta(days=400),
        not_after=TODAY - dt.timedelta(days=5),
    )


def test_expired_intermediate_in_two_chains_is_one_finding_indexed_from_both_sets(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same CA key in a copy that has expired: both servers' chains run through it.
    expired = expired_intermediate(pki)
    (tmp_path / "ca").mkdir()
    (tmp_path / "ca" / "root.pem").write_bytes(pki.root.public_bytes(PEM))
    (tmp_path / "ca" / "issuing-old.pem").write_bytes(expired.public_bytes(PEM))
    server(tmp_path / "a", pki, "a.example.com")
    server(tmp_path / "b", pki, "b.example.com")
    _code, doc = run_json(capsys, str(tmp_path))
    found = [n for n, f in enumerate(doc["findings"]) if f["code"] == "cert-expired"]
    assert len(found) == 1
    assert sources(doc, doc["findings"][found[0]]["artifacts"]) == ["issuing-old.pem"]
    matched = [s for s in doc["sets"] if s["status"] == "matched"]
    assert len(matched) == 2 and all(found[0] in s["findings"] for s in matched)


def test_expired_ca_copy_beside_its_renewal_is_not_taken_for_the_chains_ca(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CA re-issued with its key: the old, expired copy still lies in the folder, sorted first.
    old = expired_intermediate(pki)
    write_ca(tmp_path, pki)
    (tmp_path / "ca" / "issuing-2020.pem").write_bytes(old.public_bytes(PEM))
    server(tmp_path / "a", pki, "a.example.com")
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 0
    assert "cert-expired" not in codes(doc)
    (matched,) = [s for s in doc["sets"] if s["status"] == "matched"]
    assert sources(doc, matched["chain"][1:2]) == ["issuing.pem"]
