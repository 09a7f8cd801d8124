"""What the store hands back: remembered artefacts and reply details, and the rule for what may be stored."""

from __future__ import annotations

from dataclasses import dataclass

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
