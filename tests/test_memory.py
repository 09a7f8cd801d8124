"""The workspace-memory rules in bot.memory: fingerprints, partners, the regenerated-CSR rule, sentences."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.memory import (
    Fingerprint,
    earlier_pending_csr,
    fingerprint,
    partner_of,
    pending_sentence,
    regenerated_after,
    regenerated_sentence,
    regenerated_suspect,
    same_key,
    suspect_sentence,
    where,
)
from certmatch.check import check
from certmatch.load import Input
from certmatch.model import Artefact, ArtefactKind
from tests.vector_files import VECTORS

DAY = 86400.0


def _row(
    kind: str,
    key: str,
    *,
    cn: str | None = "cucm01.example.com",
    sans: tuple[str, ...] = ("dns:cucm01.example.com",),
    at: float = 0.0,
    channel: str = "C1",
    thread: str = "1.1",
    ts: str | None = None,
    is_ca: bool = False,
) -> Fingerprint:
    return Fingerprint(
        kind=kind,
        spki_sha256="s-" + key,
        modulus_md5="m-" + key,
        key_id="k-" + key,
        common_name=cn,
        san_set=sans,
        is_ca=is_ca,
        team="T1",
        channel=channel,
        thread_ts=thread,
        message_ts=ts or f"{at:.0f}.000100",
        poster="U1",
        posted_at=at,
    )


def _artefacts(*names: str) -> dict[str, Artefact]:
    report = check([Input(n, (VECTORS / n).read_bytes()) for n in names])
    return {a.source: a for a in report.artifacts}


# -- fingerprints from real artefacts -----------------------------------------------------------


def test_fingerprints_of_a_csr_and_its_certificate_share_the_key_and_the_name() -> None:
    arts = _artefacts("server.csr.pem", "server.cert.pem")
    place: dict[str, Any] = {
        "team": "T1",
        "channel": "C1",
        "thread_ts": "1.1",
        "message_ts": "1.1",
        "poster": "U1",
    }
    csr = fingerprint(arts["server.csr.pem"], posted_at=1.0, **place)
    cert = fingerprint(arts["server.cert.pem"], posted_at=2.0, **place)
    assert (csr.kind, cert.kind) == ("csr", "certificate")
    assert same_key(csr, cert)
    assert csr.common_name == cert.common_name and csr.common_name is not None
    assert csr.modulus_md5 is not None and len(csr.spki_sha256 or "") == 64
    assert not cert.is_ca and cert.is_leaf and csr.is_requester


def test_regenerated_csr_fingerprint_has_the_same_name_and_another_key() -> None:
    arts = _artefacts("server.csr.pem", "server-regenerated.csr.pem")
    place: dict[str, Any] = {
        "team": "T1",
        "channel": "C1",
        "thread_ts": "1.1",
        "message_ts": "1.1",
        "poster": "U1",
    }
    old = fingerprint(arts["server.csr.pem"], posted_at=1.0, **place)
    new = fingerprint(arts["server-regenerated.csr.pem"], posted_at=2.0, **place)
    assert old.common_name == new.common_name
    assert not same_key(old, new)


def test_private_key_fingerprint_keeps_only_the_public_identity() -> None:
    arts = _artefacts("server.key.pem")
    (key,) = arts.values()
    assert key.kind is ArtefactKind.PRIVATE_KEY
    row = fingerprint(
        key,
        team="T1",
        channel="C1",
        thread_ts="1.1",
        message_ts="1.1",
        poster="U1",
        posted_at=1.0,
    )
    assert row.kind == "private_key" and row.key_id and row.modulus_md5
    assert row.common_name is None and row.san_set == ()
    assert "PRIVATE" not in repr(row)


def test_hash_line_matches_a_certificate_by_modulus_md5() -> None:
    cert = _row("certificate", "a")
    pasted = replace(_row("hash", "a", cn=None, sans=()), key_id=None, spki_sha256=None)
    assert same_key(cert, pasted)
    assert not same_key(cert, replace(pasted, modulus_md5="m-other"))


# -- partners ------------------------------------------------------------------------------------


def test_certificate_partner_is_the_newest_csr_with_its_key() -> None:
    cert = _row("certificate", "a", at=10 * DAY)
    older = _row("csr", "a", at=1 * DAY)
    newer = _row("csr", "a", at=2 * DAY)
    other = _row("csr", "b", at=3 * DAY)
    assert partner_of(cert, [older, newer, other]) == newer


def test_certificate_partner_prefers_a_csr_over_a_key_hash() -> None:
    cert = _row("certificate", "a", at=10 * DAY)
    md5 = _row("hash", "a", cn=None, sans=(), at=5 * DAY)
    csr = _row("csr", "a", at=1 * DAY)
    assert partner_of(cert, [md5, csr]) == csr
    assert partner_of(cert, [md5]) == md5


def test_csr_partner_is_a_leaf_certificate_never_a_ca() -> None:
    csr = _row("csr", "a", at=10 * DAY)
    ca = _row("certificate", "a", at=1 * DAY, is_ca=True)
    leaf = _row("certificate", "a", at=2 * DAY)
    assert partner_of(csr, [ca]) is None
    assert partner_of(csr, [ca, leaf]) == leaf


def test_nothing_with_another_key_is_a_partner() -> None:
    cert = _row("certificate", "a")
    assert partner_of(cert, [_row("csr", "b"), _row("hash", "c")]) is None


# -- the regenerated-CSR rule ---------------------------------------------------------------------


def test_newer_csr_for_the_same_cn_with_another_key_means_regenerated() -> None:
    cert = _row("certificate", "a", at=12 * DAY)
    original = _row("csr", "a", at=1 * DAY)
    regenerated = _row("csr", "b", at=3 * DAY, sans=("dns:other.example.com",))
    assert regenerated_after(cert, original, [original, regenerated]) == regenerated


def test_newer_csr_with_the_same_san_set_but_another_cn_means_regenerated() -> None:
    cert = _row("certificate", "a", at=12 * DAY)
    original = _row("csr", "a", at=1 * DAY)
    regenerated = _row("csr", "b", at=3 * DAY, cn="CUCM01 renamed")
    assert regenerated_after(cert, original, [original, regenerated]) == regenerated


def test_older_csr_with_another_key_is_not_a_regeneration() -> None:
    cert = _row("certificate", "a", at=12 * DAY)
    original = _row("csr", "a", at=5 * DAY)
    earlier = _row("csr", "b", at=1 * DAY)
    assert regenerated_after(cert, original, [original, earlier]) is None


def test_newer_csr_for_another_name_is_not_a_regeneration() -> None:
    cert = _row("certificate", "a", at=12 * DAY)
    original = _row("csr", "a", at=1 * DAY)
    unrelated = _row("csr", "b", at=3 * DAY, cn="imp01.example.com", sans=("dns:imp01",))
    assert regenerated_after(cert, original, [original, unrelated]) is None


def test_newer_csr_with_the_same_key_is_a_resubmission_not_a_regeneration() -> None:
    cert = _row("certificate", "a", at=12 * DAY)
    original = _row("csr", "a", at=1 * DAY)
    resubmitted = _row("csr", "a", at=3 * DAY)
    assert regenerated_after(cert, original, [original, resubmitted]) is None


def test_newer_csr_whose_certificate_was_seen_is_a_renewal_not_a_regeneration() -> None:
    cert = _row("certificate", "a", at=12 * DAY)
    original = _row("csr", "a", at=1 * DAY)
    renewal = _row("csr", "b", at=3 * DAY)
    renewed_cert = _row("certificate", "b", at=4 * DAY)
    assert regenerated_after(cert, original, [original, renewal, renewed_cert]) is None


def test_certificate_matching_nothing_points_at_a_csr_for_its_name_with_another_key() -> None:
    cert = _row("certificate", "a", at=12 * DAY)
    regenerated = _row("csr", "b", at=3 * DAY)
    unrelated = _row("csr", "c", at=4 * DAY, cn="imp01", sans=())
    assert regenerated_suspect(cert, [regenerated, unrelated]) == regenerated
    assert regenerated_suspect(cert, [unrelated]) is None


def test_new_csr_after_an_unanswered_csr_for_the_same_name_is_flagged() -> None:
    first = _row("csr", "a", at=1 * DAY)
    second = _row("csr", "b", at=2 * DAY)
    assert earlier_pending_csr(second, [first]) == first


def test_new_csr_after_a_csr_whose_certificate_came_back_is_a_renewal() -> None:
    first = _row("csr", "a", at=1 * DAY)
    issued = _row("certificate", "a", at=2 * DAY)
    renewal = _row("csr", "b", at=3 * DAY)
    assert earlier_pending_csr(renewal, [first, issued]) is None


def test_new_csr_with_the_same_key_or_another_name_is_not_flagged() -> None:
    second = _row("csr", "b", at=2 * DAY)
    same_key_again = _row("csr", "b", at=1 * DAY, ts="1.5")
    other_name = _row("csr", "c", at=1 * DAY, cn="imp01", sans=())
    assert earlier_pending_csr(second, [same_key_again, other_name]) is None


# -- sentences -------------------------------------------------------------------------------------


def test_location_names_channel_poster_date_and_link_but_no_content() -> None:
    here = _row("certificate", "a", channel="C2", thread="9.9", at=12 * DAY)
    there = _row("csr", "a", channel="C1", at=1_763_000_000.0)
    text = where(there, here, "https://example.slack.com/archives/C1/p1")
    assert "<#C1>" in text and "<@U1>" in text
    assert "<!date^1763000000^{date_short_pretty}|13 Nov 2025>" in text
    assert "<https://example.slack.com/archives/C1/p1|message>" in text
    assert "cucm01" not in text


def test_location_in_the_same_thread_says_so() -> None:
    here = _row("certificate", "a", at=12 * DAY)
    there = _row("csr", "a", at=1 * DAY)
    assert where(there, here, None).startswith("earlier in this thread by <@U1> on ")


def test_regenerated_sentences_say_regenerated_and_what_to_do() -> None:
    for text in (
        regenerated_sentence("cucm01.example.com", "in <#C1>", "in <#C2>"),
        suspect_sentence("cucm01.example.com", "in <#C2>"),
        pending_sentence("cucm01.example.com", "in <#C1>"),
    ):
        assert "regenerated" in text
        assert "newer CSR" in text and "older key if it still exists" in text


def test_a_hostile_common_name_cannot_become_a_mention() -> None:
    text = regenerated_sentence("<!channel> `x`", "a", "b")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


# -- configuration -----------------------------------------------------------------------------


def _settings(**env: str) -> Settings:
    return load_settings({"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s", **env}, None)


def test_memory_scope_defaults_to_the_workspace_and_accepts_channel_and_thread() -> None:
    assert _settings().memory_scope == "workspace"
    assert _settings(CERTMATCH_MEMORY_SCOPE="Channel").memory_scope == "channel"
    assert _settings(CERTMATCH_MEMORY_SCOPE="thread").memory_scope == "thread"


def test_unknown_memory_scope_stops_start_up_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="CERTMATCH_MEMORY_SCOPE must be one of workspace"):
        _settings(CERTMATCH_MEMORY_SCOPE="everywhere")
