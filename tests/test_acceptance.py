"""Acceptance checks of issue 2 and issue 5 claims that the per-module tests left open."""

from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from certmatch import record
from certmatch.analysis.match import match
from certmatch.check import check
from certmatch.cli import main
from certmatch.errors import InputTooLargeError
from certmatch.load import Input, contains_material, load
from certmatch.load.limits import DEFAULT_LIMITS
from certmatch.model import Verdict
from certmatch.report.text import render_text
from tests.engine_time import engine_seconds
from tests.vector_files import VECTORS, openssl, read
from tests.vectors.generate import pem_pile, pkcs7_with_certificates

# tracemalloc's peak for one hostile input at the 4 MiB cap (the input itself is 4 MiB).
MEMORY_BOUND_BYTES = 64 * 1024 * 1024


def _tlv(tag: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        return bytes([tag, size]) + value
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + value


_NULLS = b"\x05\x00" * 1_500_000  # 3 MB of the smallest DER element there is
_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")


def test_a_4_mib_modulus_dump_line_stays_within_the_memory_bound() -> None:
    # A greedy regex group kept state per "00:" and re.sub a piece per colon: 280 MiB.
    tracemalloc.start()
    try:
        report = check([Input("hostile", b"Modulus:\n    " + b"00:" * 1_300_000)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.problems, "refused with a reason"
    assert peak < MEMORY_BOUND_BYTES, f"{peak / 2**20:.0f} MiB"


# The process's peak resident memory for one check (about 45 MiB with the interpreter and
# cryptography loaded); measured in a child process because tracemalloc makes a walk over a
# million DER elements take tens of seconds.
RSS_BOUND_KIB = 120 * 1024
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest itself).
_PEAK_RSS = (
    "import re, sys\n"
    "from certmatch.check import check\n"
    "from certmatch.load import Input\n"
    "report = check([Input('hostile', sys.stdin.buffer.read())])\n"
    "assert report.problems\n"
    "status = open('/proc/self/status').read()\n"
    "print(re.search(r'VmHWM:\\s*(\\d+) kB', status).group(1))\n"
)


@pytest.mark.parametrize(
    "data",
    [
        _tlv(0x30, _NULLS),
        _tlv(0x30, _SIGNED_DATA_OID + _NULLS),
        _tlv(0x30, _SIGNED_DATA_OID + _tlv(0xA0, _tlv(0x30, b"\x02\x01\x01" + _NULLS))),
    ],
    ids=[
        "a DER SEQUENCE of a million elements",
        "a PKCS#7 ContentInfo of a million elements",
        "a PKCS#7 SignedData of a million elements",
    ],
)
def test_der_of_a_million_tiny_elements_stays_within_the_memory_bound(data: bytes) -> None:
    # The DER kind check and the PKCS#7 certificate count kept a tuple per element before any
    # limit applied: 200 MiB.
    root = VECTORS.parent.parent
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS],
        input=data,
        capture_output=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=60,
        check=True,
    )
    peak_kib = int(result.stdout)
    assert peak_kib < RSS_BOUND_KIB, f"{peak_kib // 1024} MiB"


def test_match_summary_names_only_what_shares_the_named_certificates_key() -> None:
    # Two servers checked at once: the RSA certificate must not be said to carry the EC key.
    names = ("server.csr.pem", "ec-p256.csr.pem", "server.cert.pem", "ec-p256.cert.pem")
    report = check([Input(n, read(n)) for n in names])
    assert report.verdict is Verdict.MATCH
    assert report.summary.startswith(
        "match: server.cert.pem carries the key of server.csr.pem (RSA 2048,"
    )
    assert "ec-p256.csr.pem" not in report.summary
    assert "1 more certificate matches its CSR/key" in report.summary


def test_a_file_over_the_size_cap_is_not_called_as_large_as_the_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CLI reads one byte past the cap; "4.0 MiB is over the 4.0 MiB limit" contradicted itself.
    pile = tmp_path / "pile.pem"
    pile.write_bytes(pem_pile())
    assert main(["--json", str(pile)]) == 2
    message = json.loads(capsys.readouterr().out)["problems"][0]["message"]
    assert "over the 4.0 MiB limit" in message
    assert "4.0 MiB is over" not in message


def test_match_summary_does_not_count_the_same_certificate_given_twice_as_another() -> None:
    names = ("server.cert.pem", "server.cert.der", "server.csr.pem")
    report = check([Input(n, read(n)) for n in names])
    assert report.verdict is Verdict.MATCH
    assert "more certificate" not in report.summary


def test_an_abbreviated_json_option_is_refused_not_half_honoured(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # main() looks for the exact "--json" to answer failures in JSON; argparse took "--js" too.
    assert main(["--js", str(VECTORS / "server.csr.pem")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unrecognized arguments: --js" in captured.err


def test_pkcs7_with_the_server_certificate_in_the_middle_is_ordered_by_signature(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "middle.p7b"
    members = ("root-ca.pem", "server.cert.pem", "intermediate-ca.pem")
    certfiles = [arg for name in members for arg in ("-certfile", str(VECTORS / name))]
    openssl("crl2pkcs7", "-nocrl", *certfiles, "-outform", "DER", "-out", str(bundle))
    report = check(
        [Input("tomcat.csr", read("server.csr.pem")), Input("b.p7b", bundle.read_bytes())]
    )
    assert report.verdict is Verdict.MATCH
    sources = [a.source for a in report.artifacts]
    assert report.leaf is not None and sources[report.leaf] == "b.p7b [2/3]"
    assert [sources[i] for i in report.chain] == ["b.p7b [2/3]", "b.p7b [3/3]", "b.p7b [1/3]"]


def test_an_rsa_pss_certificate_matches_an_rsa_encryption_csr_for_the_same_key() -> None:
    # DESIGN.md: "same key" compares the public numbers, not the SPKI's algorithm identifier.
    key = serialization.load_pem_private_key(read("rsa-pss.key.pem"), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rsapss.example.test")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    csr_pem = csr.public_bytes(serialization.Encoding.PEM)
    assert b"rsaEncryption" in openssl("req", "-noout", "-text", stdin=csr_pem)
    report = check([Input("plain.csr", csr_pem), Input("pss.cer", read("rsa-pss.cert.der"))])
    csr_art, cert_art = report.artifacts
    assert (csr_art.key.algorithm, cert_art.key.algorithm) == ("RSA", "RSA-PSS")
    assert csr_art.key.spki_sha256 != cert_art.key.spki_sha256
    assert csr_art.key.modulus_md5 == cert_art.key.modulus_md5
    assert report.verdict is Verdict.MATCH


@pytest.mark.parametrize("profile", ["generic", "cisco-uc"])
def test_a_csr_handed_over_as_the_certificate_leads_the_summary(profile: str) -> None:
    uc = VECTORS / "uc"
    inputs = [Input(n, (uc / n).read_bytes()) for n in ("tomcat.csr", "tomcat-csr-as.cer")]
    report = check(inputs, profile=profile)
    assert report.verdict is Verdict.INCOMPLETE
    assert report.summary.startswith("incomplete: tomcat-csr-as.cer ")
    assert "certificate request" in report.summary or "signing request" in report.summary


@pytest.mark.parametrize("padding", [b"\n", b"\r\n", b"\x00\x00\x00", b"\x1a"])
def test_der_followed_by_line_ends_or_nuls_is_read_as_openssl_reads_it(padding: bytes) -> None:
    der = read("server.cert.der") + padding
    assert b"cucm-pub" in openssl("x509", "-inform", "DER", "-noout", "-subject", stdin=der)
    report = check([Input("certnew.cer", der), Input("tomcat.csr", read("server.csr.pem"))])
    assert report.verdict is Verdict.MATCH, report.summary


@pytest.mark.parametrize(
    ("files", "exit_code", "code"),
    [
        (["server.key.pem", "root-ca.pem"], 1, "ca-as-leaf"),
        (["hash-md5-stdin.txt", "intermediate-ca.der"], 1, "ca-as-leaf"),
        (["server.csr.pem", "server.cert.pem", "ec-p256.cert.pem"], 1, "key-mismatch"),
        (["ec-p256.cert.pem", "server.csr.pem", "ec-p256.key.pem", "server.cert.der"], 0, None),
        (
            ["ec-p256.key.pem", "ec-p256.cert.pem", "hash-not-modulus-x509.txt"],
            2,
            "hash-not-modulus",
        ),
        (["server.csr.pem", "ec-p256.key.pem"], 2, "nothing-to-compare"),
    ],
)
def test_exit_code_in_each_design_case(
    capsys: pytest.CaptureFixture[str], files: list[str], exit_code: int, code: str | None
) -> None:
    assert main(["--json", *(str(VECTORS / f) for f in files)]) == exit_code
    document = json.loads(capsys.readouterr().out)
    assert code is None or code in {f["code"] for f in document["findings"]}


def _cli(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    root = VECTORS.parent.parent
    return subprocess.run(
        [sys.executable, "-m", "certmatch", *argv],
        input=stdin,
        capture_output=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=60,
        check=False,
    )


def test_every_failure_path_prints_one_json_document_and_nothing_on_stderr(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(read("random-bytes.bin"))
    pile = tmp_path / "pile.pem"
    pile.write_bytes(pem_pile())
    cases = [
        (("--json", str(tmp_path / "missing.pem")), b""),
        (("--json", str(tmp_path)), b""),
        (("--json", "-"), b""),
        (("--json", "-"), read("random-bytes.bin")),
        (("--json", str(garbage)), b""),
        (("--json", str(pile)), b""),
        (("--json",), b""),
        (("--json", "--profile", "nope", "x"), b""),
    ]
    for argv, stdin in cases:
        result = _cli(*argv, stdin=stdin)
        assert result.returncode == 2, argv
        assert result.stderr == b"", argv
        document = json.loads(result.stdout)  # exactly one document, or this raises
        assert document["verdict"] == "error" and document["problems"], argv


def _key_variants(pem: bytes) -> list[bytes]:
    lines = pem.split(b"\n")
    return [
        pem,
        b"\n".join(lines[: len(lines) // 2]),  # cut short
        b"\n".join(lines[1:]),  # BEGIN line lost
        pem.replace(b"A", b"*", 3),  # characters base64 cannot hold
        pem[:200] + pem[200:].replace(b"O", b"0").replace(b"l", b"1"),  # OCR'd
        b"here is the key, sorry:\n> " + pem.replace(b"\n", b"\n> ") + b"\nthanks",
    ]


@pytest.mark.parametrize("name", sorted(p.name for p in VECTORS.glob("*.key.pem")))
def test_no_private_key_material_reaches_any_output(name: str) -> None:
    pem = read(name)
    body = "".join(
        line
        for line in pem.decode().splitlines()
        if line and "-----" not in line and ":" not in line
    )
    windows = {body[i : i + 16] for i in range(0, len(body) - 16, 8)}
    for variant in _key_variants(pem):
        for profile in ("generic", "cisco-uc"):
            inputs = [Input("key.pem", variant), Input("cert.pem", read("server.cert.pem"))]
            report = check(inputs, profile=profile)
            outputs = json.dumps(report.to_dict()) + render_text(report, ca_note=True)
            assert "PRIVATE KEY-----" not in outputs
            assert not [w for w in windows if w in outputs]


def _same_name_certificates(count: int, name: x509.Name) -> list[bytes]:
    """CA certificates all with subject and issuer `name`, each signed by an unrelated key:
    every one is a candidate issuer of every other (and of anything `name` issued), and none is."""
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    out = []
    for serial in range(1, count + 1):
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        )
        signer = ec.generate_private_key(ec.SECP256R1())
        out.append(builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    return out


def test_many_certificates_sharing_one_name_do_not_make_chain_building_quadratic() -> None:
    # Five files at the 100-block cap, all one issuer name: 250 000 signature checks (30 s)
    # before the issuer search was bounded per certificate.
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Same CA")])
    pems = _same_name_certificates(500, name)
    inputs = [Input(f"pile-{i}.pem", b"".join(pems[i * 100 : (i + 1) * 100])) for i in range(5)]
    started = engine_seconds()
    report = check([*inputs, Input("tomcat.csr", read("server.csr.pem"))])
    assert engine_seconds() - started < 10.0
    assert report.verdict is Verdict.MISMATCH


def test_the_issuer_the_certificate_names_is_found_behind_many_with_its_name() -> None:
    # The bound on signature checks must not hide the real issuer: the server certificate's
    # authority key identifier names it, so it is tried first.
    real = read("intermediate-ca.pem")
    decoys = _same_name_certificates(20, x509.load_pem_x509_certificate(real).subject)
    report = check(
        [
            Input("decoys.pem", b"".join(decoys)),
            Input("intermediate.pem", real),
            Input("server.cer", read("server.cert.der")),
            Input("tomcat.csr", read("server.csr.pem")),
        ]
    )
    assert report.leaf is not None
    assert [report.artifacts[i].source for i in report.chain] == [
        "server.cer",
        "intermediate.pem",
    ]


def test_text_output_to_a_console_that_cannot_show_the_subject_is_escaped_not_an_error(
    tmp_path: Path,
) -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "zürich.example.com")])
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    (tmp_path / "zurich.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    root = VECTORS.parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "certmatch", str(tmp_path / "zurich.csr")],
        capture_output=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), "PYTHONIOENCODING": "ascii"},
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (2, b"")  # one CSR: nothing to compare
    assert b"CN=z\\xfcrich.example.com" in result.stdout


@pytest.mark.parametrize("suffix", ["  -", " *stdin"], ids=["md5sum", "openssl md5 -r"])
def test_md5sum_and_openssl_md5_r_lines_are_hash_targets(suffix: str) -> None:
    # `openssl x509 -noout -modulus -in CERT | md5sum`, as many guides write it.
    modulus = openssl("x509", "-noout", "-modulus", "-in", str(VECTORS / "server.cert.pem"))
    digest = subprocess.run(["md5sum"], input=modulus, capture_output=True, check=True).stdout
    line = digest.split()[0].decode() + suffix
    assert contains_material(f"on the server:\n{line}\n")
    report = check(
        [Input("hash.txt", f"{line}\n".encode()), Input("c.pem", read("server.cert.pem"))]
    )
    assert report.verdict is Verdict.MATCH


def test_issuer_search_does_not_list_every_namesake_for_every_certificate() -> None:
    # 20 000 copies of one self-signed root (what ten PKCS#7-packed inputs can hold): each finds
    # its issuer at the first try, but building the candidate list per certificate was 4e8 steps.
    root = load(Input("root.pem", read("root-ca.pem"))).artefacts[0]
    copies = [record.replace(root, source=f"root {i}") for i in range(20_000)]
    started = engine_seconds()
    result = match(copies)
    assert engine_seconds() - started < 5.0
    assert result.issuers  # the copies were linked to each other, each at its first try


def test_bare_base64_bodies_are_bounded_like_pem_blocks() -> None:
    cap = DEFAULT_LIMITS.max_pem_blocks
    body = base64.b64encode(read("server.cert.der"))
    assert len(load(Input("at-cap.txt", b"\n\n".join([body] * cap))).artefacts) == cap
    with pytest.raises(InputTooLargeError, match=f"{cap + 1} base64 bodies is over the limit"):
        load(Input("over.txt", b"\n\n".join([body] * (cap + 1))))


def test_certificates_in_one_text_are_bounded_across_its_pkcs7_blocks() -> None:
    # 100 blocks of 100-certificate bundles made 10 000 certificates from 3.6 MiB (6 s).
    cap = DEFAULT_LIMITS.max_certificates
    bundle = pkcs7_with_certificates(cap)
    block = b"-----BEGIN PKCS7-----\n" + base64.encodebytes(bundle) + b"-----END PKCS7-----\n"
    assert len(load(Input("one.pem", block)).artefacts) == cap
    with pytest.raises(InputTooLargeError, match="certificates is over the limit of 100"):
        load(Input("two.pem", block * 2))
