"""The fingerprint lookup returns what one OR over its terms would, newest first, on SQLite and PostgreSQL (issue 17).

The lookup is a UNION of one bounded branch per term (bot.store.fingerprints); these tests
check it against a plain reading of its contract, computed here in Python over the same rows:
every row of the workspace since `since` sharing the probe's key id, modulus hash, SPKI hash,
CN or SAN set, narrowed to one channel or to the probe's channel and public internal ones,
the newest LOOKUP_LIMIT. The rows are built so that every case a branch could get wrong is
there: a key posted more often than the limit, rows matching several terms at once, hash
lines without a key id, rows the privacy filter hides, rows older than `since`, other teams.
"""

from __future__ import annotations

import random
from dataclasses import replace

from sqlalchemy import inspect

from bot.memory import Fingerprint
from bot.store import Store
from bot.store.fingerprints import LOOKUP_LIMIT
from tests.test_store import _migrate_to

KEYS = ("ka", "kb", "kc", "kd")
NAMES = ("cucm01.example.com", "imp01.example.com", "cuc01.example.com")
# (conversation_kind, ext_shared): public internal, Slack Connect, private, DM, unknown.
PLACES = (("channel", False), ("channel", True), ("group", False), ("im", None), (None, None))


def _random_row(rnd: random.Random, n: int) -> Fingerprint:
    key = rnd.choice(KEYS)
    hash_line = rnd.random() < 0.1  # a pasted modulus hash: no key id, no SPKI, no names
    name = rnd.choice(NAMES)
    kind, ext_shared = rnd.choice(PLACES)
    return Fingerprint(
        kind="hash" if hash_line else rnd.choice(("csr", "certificate")),
        spki_sha256=None if hash_line else f"spki-{key}",
        modulus_md5=f"md5-{key}",
        key_id=None if hash_line else f"id-{key}",
        common_name=None if hash_line or rnd.random() < 0.2 else name,
        san_set=()
        if hash_line
        else rnd.choice(((f"dns:{name}",), (), (f"dns:{name}", "ip:10.0.0.1"))),
        is_ca=False,
        team="T1" if rnd.random() < 0.9 else "T2",
        channel=f"C{rnd.randrange(6)}",
        thread_ts=f"{n}.0",
        message_ts=f"{n}.0",
        poster="U1",
        posted_at=1000.0 + n,  # distinct: the order is the contract's, not a tie's
        conversation_kind=kind,
        ext_shared=ext_shared,
    )


def _expected(
    rows: list[Fingerprint],
    probe: Fingerprint,
    *,
    channel: str | None,
    since: float,
    public_elsewhere: bool,
) -> list[Fingerprint]:
    values = {
        "key_id": probe.key_id,
        "modulus_md5": probe.modulus_md5,
        "spki_sha256": probe.spki_sha256,
        "common_name": probe.common_name,
        "san_set": "\n".join(probe.san_set) or None,
    }

    def matches(row: Fingerprint) -> bool:
        own = {
            **{k: getattr(row, k) for k in values if k != "san_set"},
            "san_set": "\n".join(row.san_set),
        }
        return any(value and own[name] == value for name, value in values.items())

    def visible(row: Fingerprint) -> bool:
        public = row.conversation_kind == "channel" and row.ext_shared is False
        return row.channel == probe.channel or public

    found = [
        r
        for r in rows
        if r.team == probe.team
        and r.posted_at >= since
        and matches(r)
        and (channel is None or r.channel == channel)
        and (not public_elsewhere or visible(r))
    ]
    return sorted(found, key=lambda r: r.posted_at, reverse=True)[:LOOKUP_LIMIT]


def test_the_lookup_returns_the_newest_rows_one_or_over_its_terms_would(store: Store) -> None:
    rnd = random.Random(17)
    rows = [_random_row(rnd, n) for n in range(900)]
    store.add_fingerprints(rows)
    probes = [replace(rnd.choice(rows), message_ts="9.9") for _ in range(25)]
    # Probes with fewer terms: a certificate's (no modulus hash), a hash line, names only.
    probes += [
        replace(probes[0], modulus_md5=None),
        replace(probes[1], key_id=None, spki_sha256=None, common_name=None, san_set=()),
        replace(probes[2], key_id=None, spki_sha256=None, modulus_md5=None),
        replace(probes[3], key_id=None, modulus_md5=None),  # an SPKI without a key id
    ]
    checked = 0
    for probe in probes:
        for channel, public_elsewhere in ((None, False), (None, True), (probe.channel, False)):
            for since in (0.0, 1450.0):
                want = _expected(
                    rows, probe, channel=channel, since=since, public_elsewhere=public_elsewhere
                )
                got = store.related_fingerprints(
                    probe, channel=channel, since=since, public_elsewhere=public_elsewhere
                )
                assert got == want, (probe, channel, since, public_elsewhere)
                checked += len(got)
    # The cases the branches' limits could get wrong were there: full lookups, and some cut.
    assert checked > 50 * LOOKUP_LIMIT


def test_migration_0006_gives_a_database_at_0005_the_lookup_indexes(
    store_url: str, prefix: str
) -> None:
    _migrate_to(store_url, prefix, "0005")
    old = Store(store_url, prefix)
    row = _random_row(random.Random(1), 1)
    try:
        old.add_fingerprints([row])  # a row indexed before the upgrade
    finally:
        old.close()
    store = Store.open(store_url, prefix)  # what every process does at start: up to 0006
    try:
        columns = {
            index["name"]: index["column_names"]
            for index in inspect(store.engine).get_indexes(store.tables.fingerprints.name)
        }
        tail = ["posted_at", "channel", "conversation_kind", "ext_shared"]
        assert columns[f"{prefix}fp_key"] == ["team", "key_id", *tail]
        assert columns[f"{prefix}fp_sans"] == ["team", "san_set", *tail]
        assert store.related_fingerprints(replace(row, message_ts="2.0")) == [row]
    finally:
        store.drop_tables()
        store.close()
