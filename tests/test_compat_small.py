"""Issue 11, class 6, and the differential tool that compares certmatch with openssl."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from certmatch.errors import UnsupportedInputError
from fuzz import differential
from tests.compat_vectors import (
    COMPAT,
    load_compat,
    only,
    openssl,
    openssl_pin,
    path,
    pins_of_certificates,
)


def test_empty_pkcs7_in_pem_holds_no_certificates() -> None:
    with pytest.raises(UnsupportedInputError) as raised:
        load_compat("empty.p7b.pem")
    assert "holds no certificates" in str(raised.value)
    assert "damaged" not in str(raised.value)


def test_pkcs12_holding_only_a_certificate_is_read_as_that_certificate() -> None:
    artefact = only("cert-only.p12")
    assert artefact.kind.value == "certificate"
    out = openssl("pkcs12", "-in", path("cert-only.p12"), "-nodes", "-passin", "pass:")
    assert [artefact.key.spki_sha256] == pins_of_certificates(out)


def test_control_bytes_in_a_text_preamble_do_not_make_the_file_binary() -> None:
    artefact = only("text-preamble-control.cert.pem")
    assert artefact.kind.value == "certificate"
    assert artefact.key.spki_sha256 == openssl_pin("text-preamble-control.cert.pem")


def test_differential_prints_each_disagreement_and_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("server.cert.pem", "rsa-no-null.pub.pem", "legacy-aria256.key.pem"):
        shutil.copy(COMPAT / name, tmp_path / name)
    status = differential.main([str(tmp_path), "--password", "throwaway-compat"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert lines[-1] == "2/3 files agree"
    assert len(lines) == 2 and lines[0].startswith("legacy-aria256.key.pem: openssl reads 1 key")
    known = ["--known", "legacy-aria256.key.pem"]
    assert differential.main([str(tmp_path), "--password", "throwaway-compat", *known]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2/3 files agree"
