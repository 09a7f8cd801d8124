"""Issue 11, class 2: certificates and CSRs that break a DER rule are read as openssl reads them.

Each vector is openssl's own certificate with one rule broken (tests/vectors/compat/README.md);
openssl reads every one. certmatch must read the same key (pin and modulus md5 as openssl
computes them), pair it with its CSR, and name the rule in a not-strict-der warning.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from certmatch.check import check
from certmatch.load import Input
from certmatch.model import Report, Severity
from tests.compat_vectors import COMPAT, only, openssl_modulus_md5, openssl_pin

# vector -> words the named rule must contain
BROKEN = {
    "explicit-default-version.cert.pem": "DEFAULT value is written out",
    "version-2.cert.pem": "version 2",
    "critical-false.cert.pem": "DEFAULT value is written out",
    "ber-boolean.cert.pem": "BOOLEAN",
    "unsorted-set.cert.pem": "sorted order",
    "printablestring-invalid.cert.pem": "PrintableString",
    "empty-rdn.cert.pem": "empty RDN",
    "negative-pathlen.cert.pem": "negative",
    "pathlen-not-ca.cert.pem": "cA is FALSE",
    "duplicate-extension.cert.pem": "more than once",
    "validity-year-0.cert.pem": "year 0",
    "rsa-params-not-null.cert.pem": "parameters",
    "ecdsa-null-params.cert.pem": "parameters",
    "printablestring-invalid.csr.pem": "PrintableString",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_non_strict_file_is_read_with_openssls_pin_and_modulus(name: str) -> None:
    artefact = only(name)
    assert artefact.key.spki_sha256 == openssl_pin(name)
    assert artefact.key.modulus_md5 == openssl_modulus_md5(name)
    assert artefact.subject is not None and "compat" in artefact.subject


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_non_strict_file_names_the_rule_it_breaks(name: str) -> None:
    (rule,) = only(name).der_violations
    assert BROKEN[name] in rule


@pytest.mark.parametrize("name", sorted(n for n in BROKEN if n.endswith(".cert.pem")))
def test_non_strict_certificate_matches_its_csr_with_a_warning(name: str) -> None:
    report = _check("server.csr.pem", name)
    assert report.verdict.value == "match"
    (finding,) = [f for f in report.findings if f.code == "not-strict-der"]
    assert finding.severity is Severity.WARNING
    assert BROKEN[name] in finding.message
    assert "some servers" in finding.message


def test_non_strict_certificate_keeps_its_names_and_extensions() -> None:
    artefact = only("critical-false.cert.pem")
    assert artefact.sans == ("DNS:compat.example.test", "DNS:compat")
    assert artefact.key_usage == ("digitalSignature", "keyEncipherment")
    assert artefact.extended_key_usage == ("serverAuth",)
    assert artefact.serial == "1234"
    assert only("negative-pathlen.cert.pem").basic_constraints_path_length == -1


def test_non_strict_csr_self_signature_is_checked() -> None:
    assert only("printablestring-invalid.csr.pem").signature_valid is True


def test_strict_files_earn_no_not_strict_der_finding() -> None:
    report = _check("server.csr.pem", "server.cert.pem")
    assert report.verdict.value == "match"
    assert not [f for f in report.findings if f.code == "not-strict-der"]


def test_a_clean_pair_never_imports_the_lenient_parser() -> None:
    code = (
        "import sys\n"
        "from certmatch.check import check\n"
        "from certmatch.load import Input\n"
        f"d = {str(COMPAT)!r}\n"
        "check([Input(n, open(d + '/' + n, 'rb').read()) for n in "
        "('server.csr.pem', 'server.cert.pem')])\n"
        "print('certmatch.load.lenient' in sys.modules, 'asn1crypto' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def _check(*names: str) -> Report:
    return check([Input(n, (COMPAT / n).read_bytes()) for n in names])
