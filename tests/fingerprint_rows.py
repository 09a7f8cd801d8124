"""Numbered rows of one workspace (T1) for the plan and lookup tests: fingerprint index rows (row n has its own key, hashes and names) and watched certificates."""

from __future__ import annotations

from bot.memory import Fingerprint


def numbered_fingerprint(n: int, channel: str, *, ext_shared: bool | None = None) -> Fingerprint:
    """Row n of one workspace (T1), posted at n seconds; a CSR when n is odd."""
    return Fingerprint(
        kind="csr" if n % 2 else "certificate",
        spki_sha256=f"spki{n}",
        modulus_md5=f"md5{n}",
        key_id=f"key{n}",
        common_name=f"host{n}.example.com",
        san_set=(f"host{n}.example.com",),
        is_ca=False,
        team="T1",
        channel=channel,
        thread_ts=f"{n}.0",
        message_ts=f"{n}.0",
        poster="U1",
        posted_at=float(n),
        conversation_kind="channel",
        ext_shared=ext_shared,
    )


def watched_row(
    key: str, n: int, channel: str, name: str, *, not_after: float = 2e9
) -> dict[str, object]:
    """A watched certificate's row named `name` (CN and SAN), posted in message n at 1e6 + n seconds."""
    return {
        "cert_key": key,
        "team": "T1",
        "channel": channel,
        "thread_ts": f"{n}.0",
        "message_ts": f"{n}.0",
        "common_name": name,
        "san_set": f"dns:{name}",
        "not_after": not_after,
        "posted_at": 1e6 + n,
        "keep_until": 3e9,
    }
