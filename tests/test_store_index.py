"""The fingerprint index in bot.store, on SQLite and on this machine's PostgreSQL: lookups, forget, purge, schema."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from bot.memory import Fingerprint
from bot.store import Store
from bot.store.fingerprints import LOOKUP_LIMIT
from tests.conftest import POSTGRES_URL
from tests.fingerprint_rows import watched_row


@pytest.fixture
def prefix() -> str:
    return f"i{uuid.uuid4().hex[:12]}_"


def _row(
    kind: str = "csr",
    key: str = "a",
    *,
    cn: str | None = "cucm01.example.com",
    sans: tuple[str, ...] = ("dns:cucm01.example.com", "ip:10.0.0.1"),
    channel: str = "C1",
    team: str = "T1",
    ts: str = "100.000100",
    at: float = 1000.0,
) -> Fingerprint:
    return Fingerprint(
        kind=kind,
        spki_sha256="s" * 63 + key,
        modulus_md5="m" * 31 + key,
        key_id="k" * 63 + key,
        common_name=cn,
        san_set=sans,
        is_ca=False,
        team=team,
        channel=channel,
        thread_ts="100.000100",
        message_ts=ts,
        poster="U0ALICE",
        posted_at=at,
    )


def test_index_rows_round_trip_with_every_field(store: Store) -> None:
    row = _row()
    assert store.add_fingerprints([row]) == 1
    assert store.channel_fingerprints("T1", "C1") == [row]


@pytest.mark.parametrize("sans", [("dns:a.example.com", "dns:b.example.com"), ()])
def test_each_field_comes_back_in_its_own_place(store: Store, sans: tuple[str, ...]) -> None:
    # The row is read back positionally (bot.store.fingerprints.fingerprint): every field
    # holds a value no other field holds, so two fields swapped would not compare equal.
    row = Fingerprint(
        kind="certificate",
        spki_sha256="spki",
        modulus_md5="md5",
        key_id="keyid",
        common_name="cn.example.com",
        san_set=sans,
        is_ca=True,
        team="T1",
        channel="C1",
        thread_ts="100.000100",
        message_ts="100.000200",
        poster="U0ALICE",
        posted_at=1234.5,
        conversation_kind="group",
        ext_shared=False,
    )
    assert store.add_fingerprints([row]) == 1
    [back] = store.channel_fingerprints("T1", "C1")
    assert back == row
    assert store.related_fingerprints(replace(row, message_ts="200.0")) == [row]


def test_the_same_artefact_in_the_same_message_is_indexed_once(store: Store) -> None:
    assert store.add_fingerprints([_row(), _row()]) == 1
    assert store.add_fingerprints([_row()]) == 0
    # The same CSR posted again in another message is a new row (another place to point at).
    assert store.add_fingerprints([_row(ts="200.000100")]) == 1
    assert len(store.channel_fingerprints("T1", "C1")) == 2


def test_lookup_finds_rows_by_key_by_cn_and_by_san_set(store: Store) -> None:
    same_key = _row(key="a", cn="other", sans=(), ts="1.1")
    same_cn = _row(key="b", sans=(), ts="2.2")
    same_sans = _row(key="c", cn="renamed", ts="3.3")
    unrelated = _row(key="d", cn="imp01", sans=("dns:imp01",), ts="4.4")
    store.add_fingerprints([same_key, same_cn, same_sans, unrelated])
    found = store.related_fingerprints(_row(kind="certificate", key="a", ts="9.9"))
    assert {r.message_ts for r in found} == {"1.1", "2.2", "3.3"}


def test_lookup_by_modulus_md5_alone_finds_a_pasted_hash_line(store: Store) -> None:
    pasted = replace(_row(kind="hash", cn=None, sans=()), key_id=None, spki_sha256=None)
    store.add_fingerprints([pasted])
    cert = _row(kind="certificate", cn="x", sans=(), ts="9.9")
    assert store.related_fingerprints(cert) == [pasted]


def test_lookup_stays_in_the_workspace_and_narrows_to_a_channel(store: Store) -> None:
    store.add_fingerprints(
        [_row(channel="C1", ts="1.1"), _row(channel="C2", ts="2.2"), _row(team="T2", ts="3.3")]
    )
    probe = _row(kind="certificate", channel="C1", ts="9.9")
    assert {r.message_ts for r in store.related_fingerprints(probe)} == {"1.1", "2.2"}
    assert [r.message_ts for r in store.related_fingerprints(probe, channel="C1")] == ["1.1"]


def test_lookup_ignores_rows_older_than_since(store: Store) -> None:
    store.add_fingerprints([_row(ts="1.1", at=10.0), _row(ts="2.2", at=5000.0)])
    found = store.related_fingerprints(_row(kind="certificate", ts="9.9"), since=1000.0)
    assert [r.message_ts for r in found] == ["2.2"]


def test_purge_deletes_index_rows_older_than_the_cutoff(store: Store) -> None:
    store.add_fingerprints([_row(ts="1.1", at=10.0), _row(ts="2.2", at=5000.0)])
    assert store.purge(older_than=1000.0) == 1
    assert [r.message_ts for r in store.channel_fingerprints("T1", "C1")] == ["2.2"]


def test_purge_from_several_processes_at_once_is_safe(store_url: str, prefix: str) -> None:
    stores = [Store.open(store_url, prefix) for _ in range(3)]
    try:
        stores[0].add_fingerprints([_row(ts=f"{n}.1", at=float(n)) for n in range(60)])
        errors: list[BaseException] = []
        removed: list[int] = []

        def purge(store: Store) -> None:
            try:
                removed.append(store.purge(older_than=40.0))
            except BaseException as exc:  # asserted below
                errors.append(exc)

        threads = [threading.Thread(target=purge, args=(s,)) for s in stores * 2]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sum(removed) == 40  # every old row deleted exactly once, by someone
        assert len(stores[1].channel_fingerprints("T1", "C1")) == 20
    finally:
        stores[0].drop_tables()


def test_forget_deletes_index_rows_and_details_of_that_channel_only(store: Store) -> None:
    store.add_fingerprints([_row(channel="C1", ts="1.1"), _row(channel="C2", ts="2.2")])
    store.add_fingerprints([_row(kind="private_key", cn=None, sans=(), channel="C1", ts="3.3")])
    store.save_detail("d1", "decode of C1", None, team="T1", channel="C1")
    store.save_detail("d2", "decode of C2", None, team="T1", channel="C2")
    assert store.forget_channel("T1", "C1") == 2
    assert store.channel_fingerprints("T1", "C1") == []
    assert len(store.channel_fingerprints("T1", "C2")) == 1
    assert _forgotten(store, "d1")
    assert store.detail("d2") is not None


def test_details_table_from_before_the_index_gets_its_new_columns(tmp_path: Path) -> None:
    # A database created by the first bot release: details without team/channel.
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE certmatch_details (detail_key TEXT PRIMARY KEY, detail TEXT NOT NULL, "
            "ca_note TEXT, created_at REAL NOT NULL)"
        )
        db.execute("INSERT INTO certmatch_details VALUES ('old', 'kept', NULL, 1.0)")
    store = Store.open(f"sqlite:///{path}")
    store.save_detail("new", "x", None, team="T1", channel="C1")
    assert store.detail("old") is not None and store.forget_channel("T1", "C1") == 0
    assert _forgotten(store, "new")
    Store.open(f"sqlite:///{path}")  # opening again migrates nothing twice


@pytest.mark.postgres
def test_old_postgres_details_table_is_migrated_by_several_processes_at_once(prefix: str) -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {prefix}details (detail_key TEXT PRIMARY KEY, detail TEXT NOT NULL, "
            "ca_note TEXT, created_at DOUBLE PRECISION NOT NULL)"
        )
    errors: list[BaseException] = []

    def start() -> None:
        try:
            Store.open(POSTGRES_URL, prefix)
        except BaseException as exc:  # asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = Store(POSTGRES_URL, prefix)
    try:
        assert errors == []
        store.save_detail("d", "x", None, team="T1", channel="C1")
        store.add_fingerprints([_row()])
        assert store.forget_channel("T1", "C1") == 1 and _forgotten(store, "d")
    finally:
        store.drop_tables()


def test_sqlite_tables_are_created_by_several_processes_starting_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    errors: list[BaseException] = []

    def start() -> None:
        try:
            Store.open(url)
        except BaseException as exc:  # asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Store(url).add_fingerprints([_row()]) == 1


def _forgotten(store: Store, key: str) -> bool:
    """`/certmatch forget` empties a reply's details and marks the row (issue 13)."""
    detail = store.detail(key)
    return detail is not None and detail.detail == "" and detail.forgotten_at is not None


def test_rows_the_privacy_rule_hides_take_no_place_under_the_lookup_limit(store: Store) -> None:
    # Issue 13: hundreds of newer rows from DMs must not push a public channel's row out.
    public = replace(
        _row(channel="C0PUBLIC", at=1.0), conversation_kind="channel", ext_shared=False
    )
    dms = [
        replace(_row(channel=f"D{i:04d}", ts=f"{i}.1", at=10.0 + i), conversation_kind="im")
        for i in range(250)
    ]
    old = _row(channel="C0OLD", at=5.0)  # stored before kinds were recorded: NULL, private
    store.add_fingerprints([public, old, *dms])
    probe = replace(_row("certificate", channel="C0HERE", at=999.0), conversation_kind="channel")
    found = store.related_fingerprints(probe, public_elsewhere=True)
    assert [r.channel for r in found] == ["C0PUBLIC"]
    assert (found[0].conversation_kind, found[0].ext_shared) == ("channel", False)
    everything = store.related_fingerprints(probe)
    assert len(everything) == LOOKUP_LIMIT and "C0PUBLIC" not in {r.channel for r in everything}


def test_the_renewal_lookup_reads_this_conversations_certificates_of_the_name_newest_first(
    store: Store,
) -> None:
    from bot.store.reminders import ReminderStore

    def watched(n: int, channel: str) -> dict[str, object]:
        return watched_row(f"k{channel}{n}", n, channel, "cucm01.example.com", not_after=2e9 + n)

    # The same name in 250 other channels (a workspace's many clusters called the same),
    # and this channel's two certificates posted among them.
    rows = [watched(n, f"C{n:03d}") for n in range(250)]
    rows += [watched(10, "CHERE"), watched(240, "CHERE")]
    with store.engine.begin() as conn:
        conn.execute(store.tables.watched_certificates.insert(), rows)
    found = ReminderStore(store).same_names(
        "T1", "CHERE", "cucm01.example.com", ["dns:cucm01.example.com"]
    )
    # Before: the workspace's first 200 rows in no order, this channel's left out or mixed in.
    assert [c.cert_key for c in found] == ["kCHERE240", "kCHERE10"]


def test_migration_0007_gives_a_database_at_0006_the_renewal_indexes(
    store_url: str, prefix: str
) -> None:
    from sqlalchemy import inspect

    from bot.store.reminders import ReminderStore
    from tests.test_store import _migrate_to

    _migrate_to(store_url, prefix, "0006")
    old = Store(store_url, prefix)
    try:  # a certificate watched before the upgrade
        with old.engine.begin() as conn:
            row = watched_row("k1", 1, "C1", "cucm01.example.com")
            conn.execute(old.tables.watched_certificates.insert(), [row])
    finally:
        old.close()
    store = Store.open(store_url, prefix)  # what every process does at start: up to 0007
    try:
        indexes = {
            index["name"]: index["column_names"]
            for index in inspect(store.engine).get_indexes(store.tables.watched_certificates.name)
        }
        assert indexes[f"{prefix}wc_cn"] == ["team", "common_name", "channel"]
        assert indexes[f"{prefix}wc_sans"] == ["team", "san_set", "channel"]
        found = ReminderStore(store).same_names("T1", "C1", "cucm01.example.com", [])
        assert [c.cert_key for c in found] == ["k1"]
    finally:
        store.drop_tables()
        store.close()
