"""The fingerprint lookup on a repost-heavy index: the store's UNION against the OR it replaced, same run.

    .venv/bin/python -m bench.lookup_bench [--posts 50,300,1000] [--keys 200] [--postgres URL]

For each N it fills a fresh table set with `--keys` keys posted N times each (a CSR or a
certificate, same names, in 64 public channels), then times 800 workspace-wide lookups of
probes taken from the rows, best of five: `Store.related_fingerprints` (the UNION of bounded
branches, bot/store/fingerprints.py) and, as the baseline, the OR over the same terms on the
same tables with ORDER BY posted_at DESC LIMIT 50, the statement before migration 0006 (run
here on 0006's indexes, which it reads the same way: every row of every term). It prints
milliseconds a lookup and the ratio, and checks that both return the same rows.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import and_, bindparam, or_, text

from bot.memory import Fingerprint
from bot.store import Store
from bot.store.fingerprints import LOOKUP_LIMIT, fingerprint, fingerprint_select

PROBES = 800


def _rows(keys: int, posts: int, now: float) -> list[Fingerprint]:
    rnd = random.Random(posts)
    rows = []
    for k in range(keys):
        digest = hashlib.sha256(f"key{k}".encode()).hexdigest()
        name = f"host{k}.example.com"
        for i in range(posts):
            ts = f"{int(now) - 600}.{len(rows):06d}"
            rows.append(
                Fingerprint(
                    kind="csr" if i % 2 == 0 else "certificate",
                    spki_sha256="s" + digest[1:],
                    modulus_md5=digest[:32],
                    key_id=digest,
                    common_name=name,
                    san_set=(f"dns:{name}",),
                    is_ca=False,
                    team="T0",
                    channel=f"C0PKI{rnd.randrange(64):02d}",
                    thread_ts=ts,
                    message_ts=ts,
                    poster="U0ALICE",
                    posted_at=now - 600 + rnd.random() * 600,
                    conversation_kind="channel",
                    ext_shared=False,
                )
            )
    return rows


def _or_lookup(store: Store) -> Any:
    """The lookup before migration 0006: one OR of the team-qualified terms, newest 50."""
    f = store.tables.fingerprints
    names = ("key_id", "modulus_md5", "spki_sha256", "common_name", "san_set")
    terms = [and_(f.c.team == bindparam("team"), f.c[n] == bindparam(n)) for n in names]
    public = or_(
        f.c.channel == bindparam("here"),
        and_(f.c.conversation_kind == "channel", f.c.ext_shared.is_(False)),
    )
    stmt = fingerprint_select(f).where(f.c.posted_at >= bindparam("since"), or_(*terms), public)
    stmt = stmt.order_by(f.c.posted_at.desc()).limit(LOOKUP_LIMIT)

    def look_up(probe: Fingerprint, since: float) -> list[Fingerprint]:
        params = {
            "team": probe.team,
            "key_id": probe.key_id,
            "modulus_md5": probe.modulus_md5,
            "spki_sha256": probe.spki_sha256,
            "common_name": probe.common_name,
            "san_set": "\n".join(probe.san_set),
            "since": since,
            "here": probe.channel,
        }
        with store.connect() as conn:
            return [fingerprint(r) for r in conn.execute(stmt, params)]

    return look_up


def _best_ms(run: Any, probes: list[Fingerprint]) -> float:
    best = float("inf")
    for _ in range(6):  # the first warms the caches and is dropped
        started = time.perf_counter()
        for probe in probes:
            run(probe)
        best = min(best, time.perf_counter() - started)
    return best / len(probes) * 1000


def measure(url: str, keys: int, posts: int) -> tuple[float, float]:
    store = Store.open(url, f"lb{uuid.uuid4().hex[:8]}_")
    try:
        now = time.time()
        rows = _rows(keys, posts, now)
        for start in range(0, len(rows), 5000):
            store.add_fingerprints(rows[start : start + 5000])
        if store.backend == "postgresql":
            # As autovacuum leaves a running database: without statistics the OR's plan walks
            # posted_at's index and its figures say more about that than about the reposts.
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f"ANALYZE {store.tables.fingerprints.name}"))
        since = now - 30 * 86400
        probes = random.Random(1).sample(rows, PROBES)
        old = _or_lookup(store)
        for probe in probes[:50]:
            got = store.related_fingerprints(probe, since=since, public_elsewhere=True)
            assert sorted(got, key=repr) == sorted(old(probe, since), key=repr), probe
        union_ms = _best_ms(
            lambda p: store.related_fingerprints(p, since=since, public_elsewhere=True), probes
        )
        or_ms = _best_ms(lambda p: old(p, since), probes)
        return union_ms, or_ms
    finally:
        store.drop_tables()
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", default="50,300,1000", help="posts of each key, comma-separated")
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--postgres", help="also on this PostgreSQL database (a URL)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        databases = [("sqlite", f"sqlite:///{Path(tmp) / 'lookup.sqlite3'}")]
        if args.postgres:
            databases.append(("postgresql", args.postgres))
        print("| database | posts of a key | union (ms a lookup) | OR, before (ms) | OR / union |")
        print("|---|---|---|---|---|")
        for name, url in databases:
            for posts in (int(n) for n in args.posts.split(",")):
                union_ms, or_ms = measure(url, args.keys, posts)
                print(
                    f"| {name} | {posts} | {union_ms:.2f} | {or_ms:.2f} | {or_ms / union_ms:.2f}x |"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
