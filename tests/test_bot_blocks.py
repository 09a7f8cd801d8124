"""Block Kit rendering of a hand-built Report, asserted as plain data (handlers.blocks, handlers.views)."""

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
from handlers.blocks import build_report_blocks, escape, fallback_text
from handlers.ports import ACTION_SHOW_CA_NOTE, ACTION_SHOW_DETAIL, MODAL_CALLBACK_ID, About
from handlers.views import build_check_modal, build_home_view, build_text_view

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
    # Issue 12: the cause is the finding that explains the verdict, and is not listed again.
    assert first == ":x: *Mismatch*: Different keys"
    assert _all_text(blocks).count("Different keys") == 1


def test_modulus_md5_is_shown_as_openssl_prints_it_and_spki_sha256_only_without_a_modulus() -> None:
    text = _all_text(build_report_blocks(_report()))
    assert f"MD5(stdin)= {'0f' * 16}" in text
    assert f"MD5(stdin)= {'1e' * 16}" in text
    # Issue 12 §3: the 64-character SPKI line is for keys with no modulus only.
    assert "ab" * 32 not in text and "cd" * 32 not in text
    ec = KeyInfo("EC", 256, "secp256r1", None, "ef" * 32, "ec:x")
    csr = Artefact("expe.csr", ArtefactKind.CSR, ec, "pem")
    assert "SPKI SHA-256 " + "ef" * 32 in _all_text(build_report_blocks(_report(artifacts=(csr,))))


def test_findings_are_ordered_by_severity_with_hints() -> None:
    expired = Finding("cert-expired", Severity.ERROR, "It expired", "Get a new one")
    dropped = Finding("san-dropped", Severity.WARNING, "The CA dropped a SAN", "Ask for it back")
    report = _report(verdict=Verdict.MATCH, findings=(expired, dropped), summary="")
    blocks = build_report_blocks(report)
    findings = next(b for b in blocks if "The CA dropped" in json.dumps(b))["text"]["text"]
    assert "It expired" in blocks[0]["text"]["text"]  # the first blocking finding leads
    assert "_Ask for it back_" in findings and "It expired" not in findings


def test_condensed_diff_names_requested_and_issued_in_words() -> None:
    text = _all_text(build_report_blocks(_report()))
    # Issue 12 §3: the diff in words, not field codes.
    assert "*Requested → issued:* SAN removed: example.com" in text
    assert "san.removed" not in text


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
    text = fallback_text(_report(summary="a <b> & c", findings=()))
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
    report = _report(
        verdict=Verdict.MATCH, summary="match: a.cer carries the key of a.csr", findings=()
    )
    first = build_report_blocks(report)[0]["text"]["text"]
    assert first == ":white_check_mark: *Match*: a.cer carries the key of a.csr"
    assert fallback_text(report) == "certmatch: Match: a.cer carries the key of a.csr"


# -- issue 12 §4: the Details modal at Slack's limit, escaping in fixed texts ----------------------


def _hostile_fifty_file_detail() -> str:
    from certmatch import Input, check, render_text
    from tests.vector_files import VECTORS

    cert = (VECTORS / "server.cert.pem").read_bytes()
    inputs = [Input("tomcat <&> R&D.csr", (VECTORS / "server.csr.pem").read_bytes())]
    inputs += [Input(f"<&&&> {i:02} & <b>&amp;</b>.cer", cert) for i in range(50)]
    return render_text(check(inputs), ca_note=True)


def test_details_modal_is_cut_after_escaping_within_slacks_limits() -> None:
    body = _hostile_fifty_file_detail()
    assert len(body) > 3000 * 3 and body.count("&") > 500
    view = build_text_view("certmatch details", body)
    assert len(view["blocks"]) <= 100
    texts = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    for text in texts:
        assert len(text) <= 3000
        assert text.startswith("```") and text.endswith("```")
        inner = text[3:-3]
        assert "<" not in inner and ">" not in inner
        # Never cut inside an entity: every & starts a whole one.
        assert all(
            inner[i:].startswith(("&amp;", "&lt;", "&gt;")) for i, c in enumerate(inner) if c == "&"
        )
    joined = "\n".join(t[3:-3] for t in texts)
    assert joined.replace("\n", "") == escape(body).replace("\n", "")


def test_details_modal_beyond_a_hundred_blocks_says_the_rest_could_not_be_shown() -> None:
    view = build_text_view("certmatch details", "&" * 700_000)
    assert len(view["blocks"]) == 100
    assert "could not be shown" in json.dumps(view["blocks"][-1])
    assert all(len(b["text"]["text"]) <= 3000 for b in view["blocks"] if b["type"] == "section")


def _unescaped(text: str) -> list[str]:
    """Raw <, > or a bare & in mrkdwn (Slack links and mentions are the only allowed <...>)."""
    import re

    bare_amp = re.findall(r"&(?!amp;|lt;|gt;)", text)
    raw = re.findall(r"<(?![@#!]|https?://)[^>]*>", text)
    return bare_amp + raw


def test_help_app_home_and_profile_texts_are_escaped_mrkdwn() -> None:
    from handlers.views import HELP_TEXT, MENTION_HELP

    home = build_home_view(About(30, "cisco-uc", "workspace", ("generic", "cisco-uc")))
    texts = [HELP_TEXT, MENTION_HELP] + [
        b["text"]["text"] for b in home["blocks"] if b["type"] == "section"
    ]
    for text in texts:
        assert not _unescaped(text), _unescaped(text)
    assert "&lt;pasted PEM&gt;" in HELP_TEXT and "IM&amp;P" in json.dumps(home)


def test_profile_reply_is_escaped_mrkdwn() -> None:
    from handlers.commands import _profile_command

    class Service:
        def about(self) -> About:
            return About(30, "generic", "workspace", ("generic", "cisco-uc"))

        def channel_profile(self, team: str, channel: str) -> str:
            return "generic"

        def set_channel_profile(self, team: str, channel: str, profile: str) -> str | None:
            return None

    for text in ("profile", "profile a b", "profile <!here>", "profile cisco-uc"):
        reply, _ = _profile_command(Service(), "T", "C", text, "U1")  # type: ignore[arg-type]
        assert not _unescaped(reply.replace("<@U1>", "")), (text, reply)


def test_private_key_warning_leads_once_and_names_the_surface() -> None:
    key = Artefact("server.key", ArtefactKind.PRIVATE_KEY, KEY_A, "pem")
    warning = Finding("private-key-present", Severity.WARNING, "server.key contains a key", "x")
    report = _report(artifacts=(key,), verdict=Verdict.INCOMPLETE, diff=(), findings=(warning,))
    posted = build_report_blocks(report)
    assert posted[0]["text"]["text"].startswith(":rotating_light: *A private key was posted here")
    assert "contains a key" not in _all_text(posted)  # said once, by the warning
    sent = build_report_blocks(report, posted=False)
    assert "You sent a private key to certmatch" in _all_text(sent)
    assert "Delete the message" not in _all_text(sent)
    assert fallback_text(report, posted=False).startswith("certmatch: you sent a private key")
