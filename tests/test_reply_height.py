"""Issue 12 §3: a thread reply fits one laptop screen, measured as lines of text at a 60-character wrap.

The Block Kit of each case is rendered to the text a 440-pixel thread pane shows (emoji as
two characters, mrkdwn markers dropped, entities unescaped, every line wrapped at 60, the
button row one line) and counted. Files carry the names people give them in a channel.
"""

from __future__ import annotations

import html
import re
import textwrap
from typing import Any

import pytest

from certmatch import Input, check, headline
from handlers.blocks import build_reply
from handlers.ports import CheckOutcome
from tests.vector_files import VECTORS

WRAP = 60
COMMON_MAX_LINES = 14
ANY_MAX_LINES = 30
UC = "uc/"

# (case, profile, [(vector, name in the channel)], common)
CASES: list[tuple[str, str, list[tuple[str, str]], bool]] = [
    ("match", "generic", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat.pem", "certnew.cer")], True),
    ("match, chain", "generic", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat-chain.p7b", "certnew.p7b")], True),
    ("regenerated", "generic", [(UC + "tomcat-regenerated.csr", "tomcat.csr"), (UC + "tomcat.pem", "certnew.cer")], True),
    ("regenerated, uc", "cisco-uc", [(UC + "tomcat-regenerated.csr", "tomcat.csr"), (UC + "tomcat.pem", "certnew.cer")], True),
    ("old+new csr", "generic", [(UC + "tomcat.csr", "old.csr"), (UC + "tomcat-regenerated.csr", "tomcat.csr"), (UC + "tomcat.pem", "certnew.cer")], True),
    ("old+new csr, uc", "cisco-uc", [(UC + "tomcat.csr", "old.csr"), (UC + "tomcat-regenerated.csr", "tomcat.csr"), (UC + "tomcat.pem", "certnew.cer")], True),
    ("ca given", "generic", [("server.csr.pem", "tomcat.csr"), ("intermediate-ca.pem", "certnew.cer")], True),
    ("md5 line", "generic", [("hash-md5-stdin.txt", "pasted text"), ("server.cert.pem", "certnew.cer")], True),
    ("key", "generic", [("server.key.pem", "server.key"), ("server.cert.pem", "certnew.cer")], True),
    ("expired", "generic", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat-expired.pem", "certnew.cer")], True),
    ("san changed, uc", "cisco-uc", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat-san-changed.pem", "certnew.cer")], True),
    ("no serverAuth, uc", "cisco-uc", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat-client-only.pem", "certnew.cer")], True),
    ("wildcard, uc", "cisco-uc", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat-wildcard-added.pem", "certnew.cer")], True),
    ("4608 bits, uc", "cisco-uc", [(UC + "rsa4608.csr", "tomcat.csr"), (UC + "rsa4608.pem", "certnew.cer")], True),
    ("match, uc chain", "cisco-uc", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat-chain.p7b", "certnew.p7b")], True),
    ("csr alone", "generic", [(UC + "tomcat.csr", "tomcat.csr")], True),
    ("certificate alone", "generic", [(UC + "tomcat.pem", "certnew.cer")], True),
    ("san changed", "generic", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat-san-changed.pem", "certnew.cer")], False),
    ("cn changed", "generic", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat-cn-changed.pem", "certnew.cer")], False),
    ("ec p256", "generic", [("ec-p256.csr.pem", "expe01.csr"), ("ec-p256.cert.pem", "expe01.cer")], False),
    ("ed25519 key", "generic", [("ed25519.key.pem", "ed.key"), ("ed25519.cert.pem", "ed.cer")], False),
    ("rsa-pss", "generic", [("rsa-pss.csr.pem", "pss.csr"), ("rsa-pss.cert.pem", "pss.cer")], False),
    ("sha1 signed, uc", "cisco-uc", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat-sha1.pem", "certnew.cer")], False),
    ("unreadable", "generic", [(UC + "tomcat.csr", "tomcat.csr"), ("random-bytes.bin", "certnew.cer")], False),
    ("encrypted key", "generic", [("server-encrypted-pkcs8.key.pem", "server.key"), ("server.cert.pem", "certnew.cer")], False),
    ("csr as certificate, uc", "cisco-uc", [(UC + "tomcat.csr", "tomcat.csr"), (UC + "tomcat-csr-as.cer", "certnew.cer")], False),
    ("ms template, uc", "cisco-uc", [(UC + "tomcat-ms.csr", "tomcat.csr"), (UC + "tomcat-ms.pem", "certnew.cer")], False),
]  # fmt: skip


def _report(profile: str, files: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    return check([Input(name, (VECTORS / v).read_bytes()) for v, name in files], profile=profile)


def rendered_lines(blocks: list[dict[str, Any]], width: int = WRAP) -> list[str]:
    """The reply as the lines a narrow thread pane shows."""
    out: list[str] = []
    for block in blocks:
        if block["type"] in ("actions", "header", "divider"):
            out.append(f"[{block['type']}]")
            continue
        texts = [block["text"]["text"]] if block["type"] == "section" else []
        if block["type"] == "context":
            texts = [e["text"] for e in block["elements"]]
        for text in texts:
            text = re.sub(r":[a-z0-9_+-]+:", "##", text).replace("```", "")
            text = html.unescape(re.sub(r"[*_`]", "", text))
            for line in text.split("\n"):
                out += textwrap.wrap(line, width, break_on_hyphens=False) or [""]
    return out


def test_there_are_at_least_twenty_varied_cases() -> None:
    assert len(CASES) >= 20
    assert len({c[0] for c in CASES}) == len(CASES)
    verdicts = {_report(p, f).verdict.value for _, p, f, _ in CASES}
    assert verdicts == {"match", "mismatch", "incomplete", "error"}


@pytest.mark.parametrize(("case", "profile", "files", "common"), CASES, ids=[c[0] for c in CASES])
def test_reply_fits_one_screen(
    case: str, profile: str, files: list[tuple[str, str]], common: bool
) -> None:
    report = _report(profile, files)
    reply = build_reply(CheckOutcome(report, detail_key="k"))
    lines = rendered_lines(reply.blocks)
    limit = ANY_MAX_LINES
    if common:
        limit = COMMON_MAX_LINES
    assert len(lines) <= limit, f"{case}: {len(lines)} lines\n" + "\n".join(lines)


@pytest.mark.parametrize(("case", "profile", "files", "common"), CASES, ids=[c[0] for c in CASES])
def test_reply_never_says_a_thing_twice(
    case: str, profile: str, files: list[tuple[str, str]], common: bool
) -> None:
    report = _report(profile, files)
    blocks = build_reply(CheckOutcome(report, detail_key="k")).blocks
    text = "\n".join(rendered_lines(blocks, width=10_000))
    line = headline(report)
    if line.sentence:  # the verdict is not repeated as a finding
        sentence = "\n".join(
            rendered_lines([{"type": "context", "elements": [{"text": line.sentence}]}], 10_000)
        )
        assert text.count(sentence) == 1, case
    assert text.count("treat it as exposed") <= 1, case
    sentences = [s for s in re.split(r"(?<=[.:])\s", text) if len(s) > 40]
    assert len(sentences) == len(set(sentences)), case
