"""Workspace memory rules: which remembered artefact is a partner, whether a CSR was regenerated, and how to say so.

Pure functions over fingerprint rows (no database, no Slack, no engine calls), so the rule in
the vendor note (a CSR regenerated after it went to the CA makes the certificate that comes
back unusable) is unit-tested on its own. A row carries only public fingerprints and where and
when it was posted; replies built here name another channel only by mention, a permalink, the
poster and the date, never by its content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.privacy import Audience, audience, may_mention
from certmatch import Artefact, ArtefactKind, common_name

# Kinds that stand for "the key a certificate should carry" (a private key only by its
# public fingerprint: its PEM is never stored).
REQUESTER_KINDS = frozenset({"csr", "public_key", "hash", "private_key"})
SCOPES = ("workspace", "channel", "thread")

_KIND_WORDS = {
    "csr": "the CSR",
    "certificate": "the certificate",
    "public_key": "the public key",
    "hash": "the modulus md5",
    "private_key": "the private key",
}


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One index row: an artefact's public identity and where it was posted. No key material."""

    kind: str  # ArtefactKind value
    spki_sha256: str | None
    modulus_md5: str | None
    key_id: str | None  # SHA-256 of the engine's match_id (RSA n/e, else canonical SPKI)
    common_name: str | None  # lowercased
    san_set: tuple[str, ...]  # lowercased, sorted, de-duplicated
    is_ca: bool
    team: str
    channel: str
    thread_ts: str
    message_ts: str
    poster: str | None
    posted_at: float
    # Where it was posted, for the privacy rule (bot.privacy): Slack's channel_type
    # (channel, group, im, mpim) and whether the conversation is shared with another
    # organisation. None is unknown (a command, a shortcut, a row stored before issue 13).
    conversation_kind: str | None = None
    ext_shared: bool | None = None

    @property
    def audience(self) -> Audience:
        return audience(self.conversation_kind, self.ext_shared)

    def same_conversation(self, other: Fingerprint) -> bool:
        return (self.team, self.channel) == (other.team, other.channel)

    @property
    def is_requester(self) -> bool:
        return self.kind in REQUESTER_KINDS

    @property
    def is_leaf(self) -> bool:
        return self.kind == "certificate" and not self.is_ca

    def same_place(self, other: Fingerprint) -> bool:
        return (self.team, self.channel, self.message_ts) == (
            other.team,
            other.channel,
            other.message_ts,
        )


def fingerprint(
    artefact: Artefact,
    *,
    team: str,
    channel: str,
    thread_ts: str,
    message_ts: str,
    poster: str | None,
    posted_at: float,
    conversation_kind: str | None = None,
    ext_shared: bool | None = None,
) -> Fingerprint:
    """The index row for an artefact; for a private key only its public identity is taken."""
    key = artefact.key
    key_id = hashlib.sha256(key.match_id.encode("ascii")).hexdigest() if key.match_id else None
    private = artefact.kind is ArtefactKind.PRIVATE_KEY
    cn = None if private else common_name(artefact)
    return Fingerprint(
        kind=artefact.kind.value,
        spki_sha256=key.spki_sha256,
        modulus_md5=key.modulus_md5,
        key_id=key_id,
        common_name=cn.lower() if cn else None,
        san_set=() if private else tuple(sorted({s.lower() for s in artefact.sans})),
        is_ca=artefact.is_ca,
        team=team,
        channel=channel,
        thread_ts=thread_ts,
        message_ts=message_ts,
        poster=poster,
        posted_at=posted_at,
        conversation_kind=conversation_kind,
        ext_shared=ext_shared,
    )


def visible_from(here: Fingerprint, rows: Iterable[Fingerprint]) -> list[Fingerprint]:
    """The rows a reply to `here` may mention (bot.privacy's rule); the others are left out
    before any rule runs, so a hidden row cannot shape the reply either (no "matches nothing"
    that a hidden CSR would have changed into silence, no renewal judged by a hidden
    certificate).
    """
    reader = here.audience
    return [
        r
        for r in rows
        if may_mention(reader, r.audience, same_conversation=r.same_conversation(here))
    ]


def may_see_other_conversations(here: Fingerprint) -> bool:
    """Whether a reply to `here` may name any conversation but its own (public internal ones)."""
    return may_mention(here.audience, Audience.PUBLIC, same_conversation=False)


def same_key(a: Fingerprint, b: Fingerprint) -> bool:
    """The engine's "same key" on fingerprints: key identity, else modulus md5 (hash lines)."""
    if a.key_id is not None and b.key_id is not None:
        return a.key_id == b.key_id
    if a.modulus_md5 is not None and b.modulus_md5 is not None:
        return a.modulus_md5 == b.modulus_md5
    return a.spki_sha256 is not None and a.spki_sha256 == b.spki_sha256


def same_name(a: Fingerprint, b: Fingerprint) -> bool:
    """Same subject CN, or the same (non-empty) SAN set: what a regenerated CSR keeps."""
    if a.common_name and a.common_name == b.common_name:
        return True
    return bool(a.san_set) and a.san_set == b.san_set


def _newest(rows: Iterable[Fingerprint]) -> Fingerprint | None:
    return max(rows, key=lambda r: r.posted_at, default=None)


def partner_of(item: Fingerprint, candidates: Sequence[Fingerprint]) -> Fingerprint | None:
    """The most recent remembered artefact that shares `item`'s key from the other side.

    A leaf certificate's partner is a CSR/key/hash; a CSR/key/hash's partner is a leaf
    certificate. CSRs win over keys and hashes for a certificate: they carry the name the
    regenerated rule needs.
    """
    if item.is_leaf:
        pool = [c for c in candidates if c.is_requester and same_key(item, c)]
        csrs = [c for c in pool if c.kind == "csr"]
        return _newest(csrs or pool)
    if item.is_requester:
        return _newest(c for c in candidates if c.is_leaf and same_key(item, c))
    return None


def regenerated_after(
    certificate: Fingerprint, partner: Fingerprint, candidates: Sequence[Fingerprint]
) -> Fingerprint | None:
    """A newer CSR for the same name with another key, posted after the certificate's own CSR.

    That is the vendor note's failure: the server now holds the newer key, so the certificate
    issued from the older CSR cannot be installed. A newer CSR whose own certificate has been
    seen is a renewal that went through, not a regenerated CSR, and is left out.
    """
    return _newest(
        c
        for c in candidates
        if c.kind == "csr"
        and c.posted_at > partner.posted_at
        and (same_name(c, partner) or same_name(c, certificate))
        and not same_key(c, certificate)
        and not _has_certificate(c, candidates)
    )


def _has_certificate(csr: Fingerprint, candidates: Sequence[Fingerprint]) -> bool:
    return any(d.is_leaf and same_key(d, csr) for d in candidates)


def regenerated_suspect(
    certificate: Fingerprint, candidates: Sequence[Fingerprint]
) -> Fingerprint | None:
    """For a certificate that matches nothing: the newest CSR for its name with another key."""
    return _newest(
        c
        for c in candidates
        if c.kind == "csr" and same_name(c, certificate) and not same_key(c, certificate)
    )


def earlier_pending_csr(csr: Fingerprint, candidates: Sequence[Fingerprint]) -> Fingerprint | None:
    """For a new CSR: the newest older CSR for its name with another key and no certificate yet.

    If that older CSR is already with the CA, the certificate coming back will not fit the key
    behind this new CSR: the vendor note's failure, caught before the certificate arrives.
    """
    return _newest(
        c
        for c in candidates
        if c.kind == "csr"
        and c.posted_at < csr.posted_at
        and same_name(c, csr)
        and not same_key(c, csr)
        and not _has_certificate(c, candidates)
    )


# -- sentences -----------------------------------------------------------------------------------


def utc_date(moment: float) -> str:
    """`1 Dec 2026`: a date in UTC, where Slack cannot render one in the reader's zone."""
    day = datetime.fromtimestamp(moment, UTC)
    return f"{day.day} {day:%b %Y}"


def slack_date(posted_at: float) -> str:
    """Slack renders `<!date^...>` in the reader's time zone; the fallback is UTC."""
    return f"<!date^{int(posted_at)}^{{date_short_pretty}}|{utc_date(posted_at)}>"


def where(row: Fingerprint, here: Fingerprint, permalink: str | None) -> str:
    """Where a row was posted: channel mention (or "earlier in this thread"), poster, date, link.

    Only ids Slack itself renders for the reader (a private channel the reader is not in shows
    as "private channel"), never the other message's content.
    """
    if (row.team, row.channel, row.thread_ts) == (here.team, here.channel, here.thread_ts):
        text = "earlier in this thread"
    elif (row.team, row.channel) == (here.team, here.channel):
        text = f"in another thread of <#{row.channel}>"
    else:
        text = f"in <#{row.channel}>"
    if row.poster:
        text += f" by <@{row.poster}>"
    text += f" on {slack_date(row.posted_at)}"
    if permalink:
        text += f" (<{permalink}|message>)"
    return text


def kind_words(row: Fingerprint) -> str:
    return _KIND_WORDS.get(row.kind, "an artefact")


def partner_sentence(item: Fingerprint, partner: Fingerprint, location: str) -> str:
    subject = "This certificate" if item.is_leaf else f"This {kind_words(item)[4:]}"
    return (
        f":link: {subject} matches {kind_words(partner)} posted {location}. "
        "Post both in one thread (or run `python -m certmatch` on both files) for the full "
        "comparison."
    )


def _called(name: str | None) -> str:
    if not name:
        return " for the same name"
    # The name is the asker's own certificate's CN; escaped so it cannot become a mention.
    safe = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")
    return f" for `{safe}`"


def regenerated_sentence(name: str | None, partner_loc: str, newer_loc: str) -> str:
    called = _called(name)
    return (
        ":warning: *The CSR was regenerated.* This certificate belongs to the CSR posted "
        f"{partner_loc}, but a newer CSR{called} with a different key was posted {newer_loc}. "
        "The server now holds the newer key, so this certificate cannot be installed. Ask the "
        "CA to re-issue the certificate from the newer CSR, or re-use the older key if it still "
        "exists."
    )


def suspect_sentence(name: str | None, newer_loc: str) -> str:
    called = _called(name)
    return (
        ":warning: *Most likely a regenerated CSR.* This certificate matches no CSR or key "
        f"certmatch has seen, but a CSR{called} with a different key was posted {newer_loc}. "
        "The CSR was probably regenerated after this certificate was requested: ask the CA to "
        "re-issue from the newer CSR, or re-use the older key if it still exists."
    )


def pending_sentence(name: str | None, older_loc: str) -> str:
    called = _called(name)
    return (
        f":warning: *This is a regenerated CSR.* A CSR{called} with a different key "
        f"was posted {older_loc}, and no certificate for it has been seen. If that one is "
        "already with the CA, the certificate it returns will not fit the key behind this CSR: "
        "send this newer CSR to the CA instead (ask them to cancel the first request), or keep "
        "using the older key if it still exists."
    )
