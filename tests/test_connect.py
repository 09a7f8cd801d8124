"""`certmatch connect` against real TLS servers on loopback, started by the tests with generated chains."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certmatch.cli import main
from tests.factory import NOW, Pki, PrivateKey, issue, make_csr, make_pki, new_key
from tests.tls_servers import (
    closed_port,
    ipv6_loopback,
    silent_server,
    tls_server,
    trickling_server,
    write_chain,
)

WHEN = "--now=2026-06-01T12:00:00Z"
NAME = "cucm1.example.com"


@dataclass(frozen=True)
class Site:
    """One server's PKI: the CSR on file, the certificate issued for it, and the files."""

    pki: Pki
    key: PrivateKey
    csr: x509.CertificateSigningRequest
    leaf: x509.Certificate
    folder: Path

    def pem(self, name: str, obj: x509.Certificate | x509.CertificateSigningRequest) -> str:
        path = self.folder / name
        path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
        return str(path)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    pki = make_pki("ec256")
    key = new_key("ec256")
    csr = make_csr(key)
    leaf = issue(csr, pki)
    return Site(pki, key, csr, leaf, tmp_path_factory.mktemp("site"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["connect", *argv, "--json", WHEN])
    return code, json.loads(capsys.readouterr().out)


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def finding(doc: dict[str, Any], code: str) -> dict[str, Any]:
    return next(f for f in doc["findings"] if f["code"] == code)


@pytest.fixture
def good_server(site: Site) -> Iterator[int]:
    chain, key = write_chain(site.folder, "good", [site.leaf, site.pki.intermediate], site.key)
    with tls_server(chain, key) as port:
        yield port


def test_served_leaf_matching_the_csr_is_a_match_with_the_endpoint(
    site: Site, good_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = run(
        capsys, f"127.0.0.1:{good_server}", "--servername", NAME, site.pem("a.csr", site.csr)
    )
    assert (code, doc["verdict"]) == (0, "match")
    endpoint = doc["endpoint"]
    assert endpoint["host"] == "127.0.0.1" and endpoint["port"] == good_server
    assert endpoint["servername"] == NAME and endpoint["address"] == "127.0.0.1"
    assert endpoint["tls_version"].startswith("TLSv1") and endpoint["cipher"]
    assert endpoint["served_order"] == [0, 1]
    assert doc["artifacts"][0]["source"] == f"127.0.0.1:{good_server} [served 1/2]"
    assert doc["leaf"] == 0 and doc["chain"] == [0, 1]
    assert not [c for c in codes(doc) if c.startswith("served-") or c == "host-not-covered"]
    assert "chain-incomplete" not in codes(doc)  # the root is rightly not served


def test_regenerated_csr_is_a_mismatch_against_what_is_served(
    site: Site, good_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    regenerated = make_csr(new_key("ec256"))
    code, doc = run(capsys, f"127.0.0.1:{good_server}", site.pem("new.csr", regenerated))
    assert (code, doc["verdict"]) == (1, "mismatch")
    assert "regenerated" in finding(doc, "key-mismatch")["message"]


def test_previous_certificate_still_served_is_reported(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    old = issue(
        site.csr,
        site.pki,
        not_before=NOW - dt.timedelta(days=400),
        not_after=NOW + dt.timedelta(days=10),
    )
    new_key_ = new_key("ec256")
    new_csr = make_csr(new_key_)
    new = issue(new_csr, site.pki, not_before=NOW - dt.timedelta(days=1))
    chain, key = write_chain(site.folder, "old", [old, site.pki.intermediate], site.key)
    with tls_server(chain, key) as port:
        code, doc = run(
            capsys, f"127.0.0.1:{port}", site.pem("new.csr", new_csr), site.pem("new.crt", new)
        )
    assert (code, doc["verdict"]) == (1, "mismatch")
    old_served = finding(doc, "served-old-certificate")
    assert (
        old_served["severity"] == "error" and "still serves the previous" in old_served["message"]
    )


def test_reversed_chain_and_served_root_are_reported(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    chain, key = write_chain(
        site.folder, "rev", [site.leaf, site.pki.root, site.pki.intermediate], site.key
    )
    with tls_server(chain, key) as port:
        _, doc = run(capsys, f"127.0.0.1:{port}", site.pem("a.csr", site.csr))
    assert doc["verdict"] == "match"
    assert doc["endpoint"]["served_order"] == [0, 1, 2]
    order = finding(doc, "served-chain-order")
    assert order["severity"] == "warning" and "out of order" in order["message"]
    assert finding(doc, "served-root-included")["severity"] == "info"
    assert "served-chain-incomplete" not in codes(doc)


def test_missing_intermediate_is_named_when_it_is_given(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    chain, key = write_chain(site.folder, "bare", [site.leaf], site.key)
    with tls_server(chain, key) as port:
        _, known = run(
            capsys,
            f"127.0.0.1:{port}",
            site.pem("a.csr", site.csr),
            site.pem("inter.crt", site.pki.intermediate),
            site.pem("root.crt", site.pki.root),
        )
        _, unknown = run(capsys, f"127.0.0.1:{port}", site.pem("a.csr", site.csr))
    gap = finding(known, "served-chain-incomplete")
    assert gap["severity"] == "error" and "Example Issuing CA" in gap["message"]
    assert finding(unknown, "served-chain-incomplete")["severity"] == "warning"
    assert known["verdict"] == unknown["verdict"] == "match"


def test_expired_served_leaf_is_reported(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    expired = issue(
        site.csr,
        site.pki,
        not_before=NOW - dt.timedelta(days=400),
        not_after=NOW - dt.timedelta(days=1),
    )
    chain, key = write_chain(site.folder, "expired", [expired, site.pki.intermediate], site.key)
    with tls_server(chain, key) as port:
        code, doc = run(
            capsys, f"127.0.0.1:{port}", "--servername", NAME, site.pem("a.csr", site.csr)
        )
    # The keys match, but the expired certificate blocks use: exit 3, as for files.
    assert (code, doc["verdict"], doc["usable"]) == (3, "match", False)
    expired_at = [f["code"] for f in doc["findings"]].index("cert-expired")
    assert finding(doc, "cert-expired")["artifacts"] == [0]
    assert doc["blocking"] == [expired_at]


def test_host_not_covered_by_the_served_leaf(
    site: Site, good_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc = run(
        capsys, f"127.0.0.1:{good_server}", "--servername", "other.example.com", "--host", NAME
    )
    missed = [f for f in doc["findings"] if f["code"] == "host-not-covered"]
    assert [m["message"].split(" ")[0] for m in missed] == ["other.example.com"]
    assert missed[0]["severity"] == "error"
    _, by_ip = run(capsys, f"127.0.0.1:{good_server}")
    assert "IP SANs" in finding(by_ip, "host-not-covered")["hint"]
    assert by_ip["endpoint"]["servername"] is None


@pytest.mark.parametrize("protocol", ["xmpp", "smtp"])
def test_starttls_server_serves_its_chain(
    site: Site, protocol: str, capsys: pytest.CaptureFixture[str]
) -> None:
    chain, key = write_chain(site.folder, protocol, [site.leaf, site.pki.intermediate], site.key)
    with tls_server(chain, key, starttls=protocol) as port:
        code, doc = run(
            capsys,
            f"127.0.0.1:{port}",
            "--starttls",
            protocol,
            "--servername",
            NAME,
            site.pem("a.csr", site.csr),
        )
    assert (code, doc["verdict"]) == (0, "match"), doc["summary"]
    assert doc["endpoint"]["starttls"] == protocol and doc["endpoint"]["served_order"] == [0, 1]


def test_plain_tls_client_on_a_starttls_port_times_out_with_a_hint(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    chain, key = write_chain(site.folder, "xmpp2", [site.leaf], site.key)
    with tls_server(chain, key, starttls="xmpp") as port:
        code, doc = run(capsys, f"127.0.0.1:{port}", "--timeout", "0.5")
    assert (code, doc["verdict"]) == (2, "error")
    assert doc["problems"][0]["code"] == "connect-failed"


def test_server_that_never_answers_times_out_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    with silent_server() as port:
        code, doc = run(capsys, f"127.0.0.1:{port}", "--timeout", "0.3")
    assert (code, doc["verdict"]) == (2, "error")
    message = finding(doc, "connect-failed")["message"]
    assert "accepted the connection but the TLS handshake timed out after 0.3 s" in message


def test_refused_connection_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run(capsys, f"127.0.0.1:{closed_port()}")
    assert (code, doc["verdict"]) == (2, "error")
    assert "refused" in finding(doc, "connect-failed")["message"]
    assert doc["endpoint"]["address"] is None


def test_name_that_does_not_resolve_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run(capsys, "https://cucm.example.invalid:8443/ccmadmin")
    assert (code, doc["verdict"]) == (2, "error")
    assert doc["endpoint"]["port"] == 8443
    assert "does not resolve" in finding(doc, "connect-failed")["message"]


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_ipv6_endpoint(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    chain, key = write_chain(site.folder, "v6", [site.leaf, site.pki.intermediate], site.key)
    with tls_server(chain, key, host="::1") as port:
        code, doc = run(capsys, f"[::1]:{port}", "--servername", NAME, site.pem("a.csr", site.csr))
    assert (code, doc["verdict"]) == (0, "match")
    assert doc["endpoint"]["address"] == "::1"


def test_trust_path_for_the_served_chain(
    site: Site, good_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    root = site.pem("root.pem", site.pki.root)
    _, trusted = run(capsys, f"127.0.0.1:{good_server}", "--servername", NAME, "--ca-file", root)
    ok = finding(trusted, "chain-ok")
    assert ok["severity"] == "info" and "Example Root CA (trust anchor)" in ok["message"]
    other = make_pki("ec256")
    stranger = site.pem("other-root.pem", other.root)
    _, untrusted = run(capsys, f"127.0.0.1:{good_server}", "--ca-file", stranger)
    bad = finding(untrusted, "chain-untrusted")
    assert bad["severity"] == "error" and "Example Root CA" in bad["message"]


def test_text_output_ends_with_the_endpoint(
    good_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["connect", f"127.0.0.1:{good_server}", "--servername", NAME, WHEN])
    out = capsys.readouterr().out
    assert f"Endpoint 127.0.0.1:{good_server}" in out
    assert "1. CN=cucm1.example.com" in out or "cucm1.example.com" in out


@pytest.mark.parametrize("target", ["", "host:0", "host:99999", "ftp://host/", "[::1"])
def test_bad_targets_are_usage_errors(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["connect", target, "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["problems"][0]["code"] == "usage"


def test_served_command_prints_the_same_hash_as_the_report(
    good_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc = run(capsys, f"127.0.0.1:{good_server}", "--servername", NAME)
    command = doc["commands"][0]
    assert command.startswith(f"openssl s_client -connect 127.0.0.1:{good_server} -servername")
    printed = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=20, check=True
    ).stdout
    assert printed.split()[-1] == doc["artifacts"][0]["key"]["spki_sha256"]
    assert not any("[served" in c for c in doc["commands"])


def test_a_server_that_trickles_bytes_cannot_stretch_the_timeout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with trickling_server() as port:
        started = time.monotonic()
        code, doc = run(capsys, f"127.0.0.1:{port}", "--timeout", "0.5")
        took = time.monotonic() - started
    assert (code, doc["verdict"]) == (2, "error")
    assert "timed out after 0.5 s" in finding(doc, "connect-failed")["message"]
    assert took < 2.0


def test_server_requiring_a_client_certificate_still_shows_its_chain(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    chain, key = write_chain(site.folder, "mtls", [site.leaf, site.pki.intermediate], site.key)
    client_ca = Path(site.pem("client-ca.pem", site.pki.root))
    with tls_server(chain, key, client_ca=client_ca) as port:
        code, doc = run(
            capsys, f"127.0.0.1:{port}", "--servername", NAME, site.pem("a.csr", site.csr)
        )
    assert (code, doc["verdict"]) == (0, "match"), doc["summary"]
    assert doc["endpoint"]["handshake_error"] and doc["endpoint"]["tls_version"] is None
    assert doc["endpoint"]["served_order"] == [0, 1]
    assert finding(doc, "handshake-aborted")["severity"] == "info"


def test_cisco_profile_does_not_ask_a_server_to_send_its_root(
    site: Site, good_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc = run(
        capsys,
        f"127.0.0.1:{good_server}",
        "--servername",
        NAME,
        "--profile",
        "cisco-uc",
        site.pem("a.csr", site.csr),
    )
    assert not {"chain-incomplete", "uc-chain-incomplete"} & set(codes(doc))
