"""The pure parts of connect: targets, RFC 6125 host names, trust paths and served-chain rules on files."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certmatch.cli import main
from certmatch.connect.target import Target, parse_target
from certmatch.rules.hostname import covers
from tests.factory import NOW, issue, make_cert, make_csr, make_pki, name, new_key

WHEN = "--now=2026-06-01T12:00:00Z"


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("cucm1.example.com", Target("cucm1.example.com", 443)),
        ("cucm1.example.com:8443", Target("cucm1.example.com", 8443)),
        ("https://cucm1.example.com/ccmadmin", Target("cucm1.example.com", 443)),
        ("https://cucm1.example.com:8443/x?y", Target("cucm1.example.com", 8443)),
        ("[2001:db8::1]:5061", Target("2001:db8::1", 5061)),
        ("[::1]", Target("::1", 443)),
        ("2001:db8::1", Target("2001:db8::1", 443)),
        ("192.0.2.7:5222", Target("192.0.2.7", 5222)),
    ],
)
def test_targets_are_parsed(text: str, target: Target) -> None:
    assert parse_target(text) == target


@pytest.mark.parametrize(
    "text", ["", ":443", "host:", "host:x", "host:70000", "ldap://h/", "[::1]x"]
)
def test_bad_targets_say_what_to_write(text: str) -> None:
    with pytest.raises(ValueError, match=r"HOST|port|https|IPv6"):
        parse_target(text)


@pytest.mark.parametrize(
    ("sans", "host", "covered"),
    [
        (["DNS:cucm1.example.com"], "CUCM1.Example.com.", True),
        (["DNS:*.example.com"], "cucm1.example.com", True),
        (["DNS:*.example.com"], "example.com", False),  # a wildcard needs its label
        (["DNS:*.example.com"], "a.b.example.com", False),  # and covers one label only
        (["DNS:cucm*.example.com"], "cucm1.example.com", False),  # no partial wildcards
        (["DNS:a.*.example.com"], "a.b.example.com", False),  # left-most label only
        (["DNS:*.com"], "example.com", False),  # not a whole top-level domain
        (["DNS:10.0.0.1"], "10.0.0.1", False),  # an IP matches IP SANs only
        (["IP:10.0.0.1"], "10.0.0.1", True),
        (["IP:2001:db8::1"], "[2001:DB8:0::1]", True),
        (["DNS:*.example.com"], "10.0.0.1", False),
        (["DNS:xn--bcher-kva.example"], "bücher.example", True),
        ([], "cucm1.example.com", False),
    ],
)
def test_host_names_follow_rfc_6125(sans: list[str], host: str, covered: bool) -> None:
    assert covers(sans, host) is covered


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("trust")
    pki, other = make_pki("ec256"), make_pki("ec256")
    key = new_key("ec256")
    csr = make_csr(key)
    root_key = new_key("ec256")
    weak_root = make_cert(root_key.public_key(), name(CN="Old Root"), None, root_key)
    out: dict[str, str] = {}
    made: dict[str, x509.Certificate | x509.CertificateSigningRequest] = {
        "csr": csr,
        "leaf": issue(csr, pki),
        "inter": pki.intermediate,
        "root": pki.root,
        "other-root": other.root,
        "expired": issue(csr, pki, not_after=NOW - dt.timedelta(days=2)),
        "weak-root": weak_root,  # a root without basicConstraints (RFC 5280 refuses it)
        "weak-leaf": make_cert(key.public_key(), name(CN="x"), weak_root, root_key, sans=["DNS:x"]),
    }
    for label, obj in made.items():
        path = folder / f"{label}.pem"
        path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
        out[label] = str(path)
    bundle = Path(folder / "bundle.pem")
    bundle.write_text(Path(out["other-root"]).read_text() + Path(out["root"]).read_text())
    out["bundle"] = str(bundle)
    return out


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    main([*argv, "--json", WHEN])
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


def _codes(doc: dict[str, object]) -> dict[str, dict[str, str]]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return {f["code"]: f for f in findings}


def test_without_trust_options_nothing_changes(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = check(capsys, files["csr"], files["leaf"], files["inter"])
    assert not {"chain-ok", "chain-untrusted", "host-not-covered"} & set(_codes(doc))
    assert "endpoint" not in doc


def test_chain_ok_names_the_path(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    doc = check(capsys, files["csr"], files["leaf"], files["inter"], "--ca-file", files["bundle"])
    ok = _codes(doc)["chain-ok"]
    assert ok["severity"] == "info"
    assert "leaf.pem (CN=cucm1.example.com) -> " in ok["message"]
    assert "inter.pem (CN=Example Issuing CA) -> Example Root CA (trust anchor)" in ok["message"]
    assert doc["verdict"] == "match"


@pytest.mark.parametrize("form", ["pkcs7-der", "pkcs7-pem", "der"])
def test_trust_anchors_in_pkcs7_and_der(
    form: str, files: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs7

    root = x509.load_pem_x509_certificate(Path(files["root"]).read_bytes())
    data = {
        "pkcs7-der": lambda: pkcs7.serialize_certificates([root], serialization.Encoding.DER),
        "pkcs7-pem": lambda: pkcs7.serialize_certificates([root], serialization.Encoding.PEM),
        "der": lambda: root.public_bytes(serialization.Encoding.DER),
    }[form]()
    anchors = tmp_path / "anchors.p7b"
    anchors.write_bytes(data)
    doc = check(capsys, files["leaf"], files["inter"], "--ca-file", str(anchors))
    assert "chain-ok" in _codes(doc)


def test_chain_untrusted_names_the_missing_intermediate(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = check(capsys, files["csr"], files["leaf"], "--ca-file", files["root"])
    bad = _codes(doc)["chain-untrusted"]
    assert bad["severity"] == "error"
    assert "leaf.pem (CN=cucm1.example.com): O=Example,CN=Example Issuing CA" in bad["message"]


def test_chain_untrusted_when_the_root_is_not_an_anchor(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = check(
        capsys, files["leaf"], files["inter"], files["root"], "--ca-file", files["other-root"]
    )
    assert (
        "root.pem (CN=Example Root CA) is a root CA certificate"
        in _codes(doc)["chain-untrusted"]["message"]
    )


def test_expired_leaf_still_has_a_path(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = check(capsys, files["expired"], files["inter"], "--ca-file", files["root"])
    found = _codes(doc)
    assert "cert-expired" in found and "validity dates" in found["chain-ok"]["message"]


def test_a_path_rfc_5280_refuses_says_why(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = check(capsys, files["weak-leaf"], "--ca-file", files["weak-root"])
    message = _codes(doc)["chain-untrusted"]["message"]
    assert "-> Old Root (trust anchor)), but RFC 5280 validation refuses it" in message
    assert "CA certificate has no basicConstraints" in message


def test_system_trust_reads_the_store_ssl_names(
    files: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", files["root"])
    doc = check(capsys, files["leaf"], files["inter"], "--system-trust")
    assert files["root"] in _codes(doc)["chain-ok"]["message"]


def test_unreadable_ca_file_is_a_usage_error(
    files: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    for bad in (str(junk), str(tmp_path / "missing.pem")):
        doc = check(capsys, files["leaf"], "--ca-file", bad)
        assert doc["verdict"] == "error"
        problems = doc["problems"]
        assert isinstance(problems, list) and problems[0]["code"] == "usage"


def test_host_option_for_files(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    doc = check(
        capsys,
        files["csr"],
        files["leaf"],
        "--host",
        "cucm1.example.com",
        "--host",
        "cucm2.example.com",
    )
    missed = [f for f in doc["findings"] if f["code"] == "host-not-covered"]  # type: ignore[attr-defined]
    assert [m["message"].split()[0] for m in missed] == ["cucm2.example.com"]


def test_a_file_check_imports_no_connect_or_ssl_module(files: dict[str, str]) -> None:
    # socket itself comes with the stdlib's email package (via cryptography), before certmatch.
    code = (
        "import sys, io, contextlib\n"
        "from certmatch.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main([{files['csr']!r}, {files['leaf']!r}])\n"
        "print(sorted(m for m in sys.modules if m in ('ssl', '_ssl', 'certmatch.anchors') "
        "or m.startswith(('certmatch.connect', 'certmatch.rules.trust', "
        "'certmatch.rules.served', 'certmatch.rules.hostname'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
