"""What the store hands back: remembered artefacts and reply details, and the rule for what may be stored."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from certmatch import Artefact, ArtefactKind


@dataclass(frozen=True, slots=True)
class StoredArtefact:
    """A public artefact remembered for a thread. `public_pem` never holds private material."""

    kind: str  # ArtefactKind value
    source: str
    public_pem: str
    spki_sha256: str | None
    modulus_md5: str | None
    subject: str | None
    message_ts: str
    posted_at: float


@dataclass(frozen=True, slots=True)
class StoredDetail:
    """The long form of one reply (full decode, chain, commands) and the note to the CA."""

    detail: str
    ca_note: str | None
    forgotten_at: float | None = None  # when `/certmatch forget` emptied it


@dataclass(frozen=True, slots=True)
class NewDetail:
    """A reply's long form to keep (`Store.save_details`); team and channel for `/certmatch forget`."""

    key: str
    detail: str
    ca_note: str | None
    team: str | None
    channel: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class WatchedCertificate:
    """A server certificate seen in a conversation, as its reminders name it."""

    cert_key: str
    team: str
    channel: str
    thread_ts: str
    message_ts: str
    key_id: str | None
    subject: str | None
    common_name: str | None
    san_set: tuple[str, ...]
    serial: str | None
    not_after: float
    csr_where: str | None
    posted_at: float
    csr_channel: str | None = None
    csr_message_ts: str | None = None
    renewed_not_after: float | None = None
    renewed_where: str | None = None


@dataclass(frozen=True, slots=True)
class DueReminder:
    reminder_key: str
    window_days: float | None  # None: the note that a renewal cancelled the remaining ones
    due_at: float
    attempts: int
    certificate: WatchedCertificate


def thread_artefact_row(
    team: str, channel: str, thread_ts: str, art: StoredArtefact
) -> dict[str, Any]:
    """The thread_artefacts row remembering `art` for a thread; refuses private key material."""
    if "PRIVATE KEY" in art.public_pem:
        raise ValueError("refusing to store private key material")
    return {
        "team": team,
        "channel": channel,
        "thread_ts": thread_ts,
        "fingerprint": hashlib.sha256(art.public_pem.encode("utf-8")).hexdigest(),
        "kind": art.kind,
        "source": art.source,
        "subject": art.subject,
        "spki_sha256": art.spki_sha256,
        "modulus_md5": art.modulus_md5,
        "public_pem": art.public_pem,
        "message_ts": art.message_ts,
        "posted_at": art.posted_at,
    }


def storable(artefact: Artefact, message_ts: str, posted_at: float) -> StoredArtefact | None:
    """The row to remember for an artefact, or None: private keys are never stored, not even public halves."""
    if artefact.kind is ArtefactKind.PRIVATE_KEY or not artefact.public_pem:
        return None
    if "PRIVATE KEY" in artefact.public_pem:
        # Defence in depth: the engine promises public material only; refuse anything else.
        return None
    return StoredArtefact(
        kind=artefact.kind.value,
        source=artefact.source,
        public_pem=artefact.public_pem,
        spki_sha256=artefact.key.spki_sha256,
        modulus_md5=artefact.key.modulus_md5,
        subject=artefact.subject,
        message_ts=message_ts,
        posted_at=posted_at,
    )
