"""Block Kit rendering of a hand-built Report, asserted as plain data."""

from __future__ import annotations

import json

from certmatch.model import (
    Artefact,
    ArtefactKind,
    DiffEntry,
    Finding,
    InputProblem,
    KeyInfo,
    Pair,
    Report,
    Severity,
    Verdict,
)
from handlers.blocks import (
    ACTION_SHOW_CA_NOTE,
    ACTION_SHOW_DETAIL,
    MODAL_CALLBACK_ID,
    build_check_modal,
    build_home_view,
    build_report_blocks,
    build_text_view,
    fallback_text,
)
from handlers.ports import About

KEY_A = KeyInfo("RSA", 2048, None, "0f" * 16, "ab" * 32, "rsa:a:10001")
KEY_B = KeyInfo("RSA", 2048, None, "1e" * 16, "cd" * 32, "rsa:b:10001")


def _report(**overrides: object) -> Report:
    csr = Artefact("tomcat.csr", ArtefactKind.CSR, KEY_A, "pem", subject="CN=cucm01.example.com")
    cert = Artefact(
        "certnew.cer", ArtefactKind.CERTIFICATE, KEY_B, "der", subject="CN=cucm01.example.com"
    )
    fields: dict[str, object] = {
        "verdict": Verdict.MISMATCH,
        "artifacts": (csr, cert),
        "pairs": (Pair(0, 1, False),),
        "diff": (DiffEntry("san.removed", ["DNS:example.com"], None),),
        "findings": (
            Finding("san-dropped", Severity.WARNING, "The CA dropped a SAN", "Ask for it back"),
            Finding("key-mismatch", Severity.ERROR, "Different keys", "The CSR was regenerated"),
        ),
        "summary": "certnew.cer was not issued for tomcat.csr",
    }
    fields.update(overrides)
    return Report(**fields)  # type: ignore[arg-type]


def _all_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_verdict_line_comes_first_and_says_mismatch() -> None:
    blocks = build_report_blocks(_report())
    first = blocks[0]["text"]["text"]
    assert first.startswith(":x: *Mismatch*")
    assert "certnew.cer was not issued for tomcat.csr" in first


def test_modulus_md5_is_shown_as_openssl_prints_it_and_spki_sha256_too() -> None:
    text = _all_text(build_report_blocks(_report()))
    assert f"MD5(stdin)= {'0f' * 16}" in text
    assert f"MD5(stdin)= {'1e' * 16}" in text
    assert "ab" * 32 in text and "cd" * 32 in text


def test_findings_are_ordered_by_severity_with_hints() -> None:
    blocks = build_report_blocks(_report())
    findings = next(b for b in blocks if "Different keys" in json.dumps(b))["text"]["text"]
    assert findings.index("Different keys") < findings.index("The CA dropped a SAN")
    assert "_The CSR was regenerated_" in findings


def test_condensed_diff_names_requested_and_issued() -> None:
    text = _all_text(build_report_blocks(_report()))
    assert "Requested (CSR) → issued (certificate)" in text
    assert "san.removed: `DNS:example.com` → _(none)_" in text


def test_detail_button_carries_the_detail_key_and_ca_note_button_needs_a_note() -> None:
    without_note = build_report_blocks(_report(), detail_key="k1")
    actions = next(b for b in without_note if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == [ACTION_SHOW_DETAIL]
    assert actions[0]["value"] == "k1"
    with_note = build_report_blocks(_report(ca_note="Please re-issue"), detail_key="k2")
    actions = next(b for b in with_note if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == [ACTION_SHOW_DETAIL, ACTION_SHOW_CA_NOTE]


def test_user_controlled_names_cannot_ping_the_channel() -> None:
    csr = Artefact("<!channel>.csr", ArtefactKind.CSR, KEY_A, "pem", subject="CN=<@U1>")
    text = _all_text(build_report_blocks(_report(artifacts=(csr,), diff=(), findings=())))
    assert "<!channel>" not in text and "<@U1>" not in text
    assert "&lt;!channel&gt;.csr" in text


def test_private_key_report_carries_the_exposure_warning() -> None:
    key = Artefact("server.key", ArtefactKind.PRIVATE_KEY, KEY_A, "pem")
    report = _report(artifacts=(key,), verdict=Verdict.INCOMPLETE, diff=(), findings=())
    text = _all_text(build_report_blocks(report))
    assert "treat it as exposed" in text
    assert "openssl rsa -noout -modulus -in key.pem | openssl md5" in text
    assert "exposed" in fallback_text(report)


def test_fallback_text_is_plain_and_escaped() -> None:
    text = fallback_text(_report(summary="a <b> & c"))
    assert text == "certmatch: Mismatch: a &lt;b&gt; &amp; c"


def test_fetch_notes_appear_as_context_and_problems_only_once_as_findings() -> None:
    report = _report(problems=(InputProblem("junk.bin", "not a certificate"),))
    blocks = build_report_blocks(report, notes=["big.p7b was too large"])
    context = [b for b in blocks if b["type"] == "context"][-1]["elements"][0]["text"]
    assert "big.p7b was too large" in context
    assert "not a certificate" not in json.dumps(blocks)  # the engine made it a finding already


def test_long_reports_stay_within_block_kit_limits() -> None:
    many = tuple(Finding(f"c{i}", Severity.INFO, "x" * 500, "y" * 500) for i in range(40))
    blocks = build_report_blocks(_report(findings=many), detail_key="k")
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000


def test_text_view_splits_long_text_and_escapes_it() -> None:
    view = build_text_view("Details", "<x>" + "a" * 7000)
    assert view["type"] == "modal" and len(view["blocks"]) == 3
    assert view["blocks"][0]["text"]["text"].startswith("```&lt;x&gt;")


def test_check_modal_keeps_channel_and_response_url_in_private_metadata() -> None:
    view = build_check_modal("C0PKI", "https://hooks.slack.com/commands/1")
    assert view["callback_id"] == MODAL_CALLBACK_ID
    assert json.loads(view["private_metadata"]) == {
        "channel": "C0PKI",
        "response_url": "https://hooks.slack.com/commands/1",
    }
    kinds = [b["element"]["type"] for b in view["blocks"] if b["type"] == "input"]
    assert kinds == ["file_input", "plain_text_input"]


def test_home_view_states_retention_and_that_keys_are_not_stored() -> None:
    text = json.dumps(build_home_view(About(30, "cisco-uc", "workspace", ("generic", "cisco-uc"))))
    assert "30 days" in text and "Private keys are never stored" in text and "cisco-uc" in text


def test_the_engine_summary_verdict_word_is_not_repeated() -> None:
    report = _report(verdict=Verdict.MATCH, summary="match: a.cer carries the key of a.csr")
    first = build_report_blocks(report)[0]["text"]["text"]
    assert first == ":white_check_mark: *Match*: a.cer carries the key of a.csr"
    assert fallback_text(report) == "certmatch: Match: a.cer carries the key of a.csr"
