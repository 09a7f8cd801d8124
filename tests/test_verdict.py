"""Issue 12 in the engine: the headline every surface shares, the regenerated-CSR story, a diff per CSR, the compact CLI text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from certmatch import Input, check, headline, render_compact
from certmatch.cli import main
from certmatch.model import Severity, Verdict
from tests.vector_files import VECTORS

UC = VECTORS / "uc"


def uc(*names: str, profile: str = "generic"):  # type: ignore[no-untyped-def]
    return check([Input(n, (UC / n).read_bytes()) for n in names], profile=profile)


def regenerated_story(tmp_path: Path) -> list[str]:
    """The seed's case as people name the files: the CSR sent to the CA, the one the server holds, the certificate."""
    shutil.copy(UC / "tomcat.csr", tmp_path / "old.csr")
    shutil.copy(UC / "tomcat-regenerated.csr", tmp_path / "tomcat.csr")
    shutil.copy(UC / "tomcat.pem", tmp_path / "certnew.cer")
    return [str(tmp_path / n) for n in ("old.csr", "tomcat.csr", "certnew.cer")]


@pytest.mark.parametrize("profile", ["generic", "cisco-uc"])
def test_two_csrs_and_the_certificate_of_one_say_which_and_that_the_other_is_later(
    tmp_path: Path, profile: str
) -> None:
    files = regenerated_story(tmp_path)
    report = check([Input(Path(f).name, Path(f).read_bytes()) for f in files], profile=profile)
    assert report.verdict is Verdict.MISMATCH
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    assert errors, "the mismatch must be explained by a finding"  # it vanished under cisco-uc
    first = errors[0]
    assert first.message.startswith("certnew.cer was issued for old.csr; tomcat.csr is a later CSR")
    assert "most likely" not in first.message  # two CSRs and the certificate are the proof
    assert set(first.artifacts) == {0, 1, 2}
    line = headline(report)
    assert str(line).startswith("Mismatch: certnew.cer was issued for old.csr")
    assert line.finding == report.findings.index(first)


def test_regenerated_story_exits_1_in_both_profiles(tmp_path: Path) -> None:
    files = regenerated_story(tmp_path)
    assert main(files) == 1
    assert main(["--profile", "cisco-uc", *files]) == 1


def test_every_csr_is_diffed_against_the_certificate_it_pairs_with() -> None:
    report = uc("tomcat.csr", "tomcat-san-changed.pem", "tomcat-regenerated.csr")
    by_csr = {(d.csr, d.certificate) for d in report.diff}
    assert by_csr == {(0, 1), (2, 1)}
    assert report.diff[0].csr == 0  # the CSR the certificate was issued for comes first
    as_json = report.to_dict()["diff"][0]
    assert (as_json["csr"], as_json["certificate"]) == (0, 1)


def test_missing_issuer_is_named_as_issuer_and_is_information_for_a_lone_certificate() -> None:
    report = uc("tomcat.csr", "tomcat.pem")
    chain = next(f for f in report.findings if f.code == "chain-incomplete")
    assert chain.message == (
        "tomcat.pem was issued by O=certmatch tests,CN=certmatch UC Test Issuing CA; "
        "that CA certificate was not given."
    )
    assert chain.severity is Severity.INFO
    assert report.usable is True


def test_missing_issuer_above_a_given_intermediate_is_a_warning() -> None:
    report = uc("tomcat.csr", "tomcat.pem", "inter.pem")
    chain = next(f for f in report.findings if f.code == "chain-incomplete")
    assert chain.severity is Severity.WARNING
    assert chain.message.startswith("inter.pem was issued by ")


@pytest.mark.parametrize(
    ("profile", "names", "start"),
    [
        ("generic", ("tomcat.csr", "tomcat.pem"), "Match: tomcat.pem carries the key of tomcat.csr"),
        ("generic", ("tomcat.csr", "tomcat-expired.pem"), "Same key, but it will not work: "),
        ("cisco-uc", ("tomcat.csr", "tomcat-san-changed.pem"), "Same key, but it will not work: "),
        ("cisco-uc", ("tomcat.csr", "tomcat-wildcard-added.pem"), "Same key, but it will not work: "),
        ("cisco-uc", ("tomcat.csr", "tomcat-client-only.pem"), "Same key, but it will not work: "),
        ("cisco-uc", ("rsa4608.csr", "rsa4608.pem"), "Same key, but it will not work: "),
        ("generic", ("tomcat-regenerated.csr", "tomcat.pem"), "Mismatch: "),
    ],
)  # fmt: skip
def test_headline_says_match_only_when_usable(
    profile: str, names: tuple[str, ...], start: str
) -> None:
    report = uc(*names, profile=profile)
    line = headline(report)
    assert str(line).startswith(start)
    assert line.usable is (report.usable is True)
    if report.usable is False:  # the first blocking finding, in one sentence
        assert line.finding == report.blocking[0]
        assert not line.sentence.endswith(".")


def test_compact_text_lines_up_the_hashes_and_never_repeats_the_headline() -> None:
    report = uc("tomcat-regenerated.csr", "tomcat.pem")
    text = render_compact(report)
    lines = text.splitlines()
    md5 = [line for line in lines if "MD5(stdin)= " in line]
    assert len(md5) == 2 and md5[0].index("MD5") == md5[1].index("MD5")
    assert md5[1].endswith("DIFFERENT KEY")
    assert text.count("most likely regenerated") == 1
    assert "SPKI SHA-256" not in text  # RSA: the modulus md5 is what people compare


def test_compact_text_gives_the_diff_in_words_and_verbose_the_full_listing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [str(UC / "tomcat.csr"), str(UC / "tomcat-client-only.pem")]
    assert main(files) == 0
    compact = capsys.readouterr().out
    assert "clientAuth dropped" in compact or "serverAuth" in compact
    assert "extended_key_usage" not in compact and "Confirm with openssl" not in compact
    main(["--verbose", *files])
    verbose = capsys.readouterr().out
    assert "Confirm with openssl" in verbose and "SPKI SHA-256" in verbose
    assert len(compact.splitlines()) < len(verbose.splitlines())


def test_non_rsa_keys_show_the_spki_sha256_in_the_hash_block() -> None:
    names = ("ec-p256.csr.pem", "ec-p256.cert.pem")
    report = check([Input(n, (VECTORS / n).read_bytes()) for n in names])
    text = render_compact(report)
    assert text.count("SPKI SHA-256 ") == 2 and "MD5(stdin)" not in text
