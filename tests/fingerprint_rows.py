"""Numbered fingerprint index rows for the plan tests (tests/test_sqlite_plans.py, tests/test_postgres_plans.py): row n has its own key, hashes and names."""

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
