"""Store behaviour on SQLite and on this machine's PostgreSQL (CERTMATCH_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.store import Store, StoredArtefact, migrate, storable
from bot.store.profiles import ProfileStore
from certmatch.model import Artefact, ArtefactKind, KeyInfo

POSTGRES_URL = os.environ.get(
    "CERTMATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _stored(
    pem: str = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
    posted_at: float = 1000.0,
) -> StoredArtefact:
    return StoredArtefact(
        kind="csr",
        source="tomcat.csr",
        public_pem=pem,
        spki_sha256="ab" * 32,
        modulus_md5="cd" * 16,
        subject="CN=cucm01.example.com",
        message_ts="1764230400.000100",
        posted_at=posted_at,
    )


def test_claim_is_true_once_per_key(store: Store) -> None:
    assert store.claim("Ev1") is True
    assert store.claim("Ev1") is False
    assert store.claim("Ev2") is True


def test_claim_survives_reopening_the_database(store_url: str, prefix: str) -> None:
    first = Store.open(store_url, prefix)
    try:
        assert first.claim("Ev-restart") is True
        second = Store.open(store_url, prefix)
        assert second.claim("Ev-restart") is False
    finally:
        first.drop_tables()


def test_concurrent_claims_of_one_event_succeed_exactly_once(store_url: str, prefix: str) -> None:
    # Two "processes" (separate Store objects, many threads) race for the same event ids.
    stores = [Store.open(store_url, prefix), Store.open(store_url, prefix)]
    wins: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for n in range(10):
            if stores[index % 2].claim(f"Ev-race-{n}"):
                with lock:
                    wins.append(f"Ev-race-{n}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(wins) == sorted(f"Ev-race-{n}" for n in range(10))
    finally:
        stores[0].drop_tables()


def test_thread_artefacts_are_remembered_once_and_kept_per_thread(store: Store) -> None:
    art = _stored()
    assert store.add_thread_artefacts("T1", "C1", "100.1", [art, art]) == 1
    assert store.add_thread_artefacts("T1", "C1", "100.1", [art]) == 0
    assert store.thread_artefacts("T1", "C1", "100.1") == [art]
    assert store.thread_artefacts("T1", "C1", "999.9") == []
    assert store.thread_artefacts("T1", "C2", "100.1") == []


def test_private_key_material_is_refused(store: Store) -> None:
    bad = _stored(pem="-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ValueError, match="private key"):
        store.add_thread_artefacts("T1", "C1", "1.1", [bad])
    assert store.thread_artefacts("T1", "C1", "1.1") == []


def test_storable_drops_private_keys_and_keeps_public_artefacts() -> None:
    key = KeyInfo("RSA", 2048, None, "cd" * 16, "ab" * 32, "rsa:1:3")
    private = Artefact(
        "key.pem",
        ArtefactKind.PRIVATE_KEY,
        key,
        "pem",
        public_pem="-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n",
    )
    csr = Artefact(
        "a.csr",
        ArtefactKind.CSR,
        key,
        "pem",
        subject="CN=a",
        public_pem="-----BEGIN CERTIFICATE REQUEST-----\nx\n-----END CERTIFICATE REQUEST-----\n",
    )
    assert storable(private, "1.1", 5.0) is None
    kept = storable(csr, "1.1", 5.0)
    assert kept is not None
    assert (kept.kind, kept.source, kept.modulus_md5, kept.subject) == (
        "csr",
        "a.csr",
        "cd" * 16,
        "CN=a",
    )


def test_channel_profile_is_set_and_overwritten_per_channel(store: Store) -> None:
    profiles = ProfileStore(store)
    assert profiles.get("T1", "C1") is None
    profiles.set("T1", "C1", "cisco-uc")
    profiles.set("T1", "C1", "generic")
    profiles.set("T1", "C2", "cisco-uc")
    assert profiles.get("T1", "C1") == "generic"
    assert profiles.get("T1", "C2") == "cisco-uc"


def test_a_takes_profiles_are_read_once_and_each_workspace_keeps_its_own(store: Store) -> None:
    profiles = ProfileStore(store)
    profiles.set("T1", "C1", "cisco-uc")
    profiles.set("T2", "C1", "generic")  # another workspace's channel of the same id
    profiles.set("T1", "C3", "cisco-uc:expressway")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        with profiles.read_once(["C1", "C2"]):
            assert profiles.get("T1", "C1") == "cisco-uc"
            assert profiles.get("T2", "C1") == "generic"
            assert profiles.get("T1", "C2") is None
            assert len(statements) == 1  # the three answers came from one statement
            # A channel outside the take is read as before.
            assert profiles.get("T1", "C3") == "cisco-uc:expressway"
            assert len(statements) == 2
            # A command of the take that changes a profile: the take's later checks see it.
            profiles.set("T1", "C2", "cisco-uc")
            assert profiles.get("T1", "C2") == "cisco-uc"
        assert profiles.get("T1", "C2") == "cisco-uc"  # stored, and read again outside
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def test_details_round_trip(store: Store) -> None:
    store.save_detail("d1", "full decode", "please re-issue")
    store.save_detail("d2", "only detail", None)
    assert store.detail("d1") is not None and store.detail("d1").ca_note == "please re-issue"  # type: ignore[union-attr]
    assert store.detail("d2") is not None and store.detail("d2").detail == "only detail"  # type: ignore[union-attr]
    assert store.detail("missing") is None


def test_purge_removes_only_rows_older_than_the_cutoff(store: Store) -> None:
    store.claim("old-event", now=10.0)
    store.claim("new-event", now=5000.0)
    store.add_thread_artefacts("T1", "C1", "1.1", [_stored(posted_at=10.0)])
    store.add_thread_artefacts("T1", "C1", "2.2", [_stored(posted_at=5000.0)])
    removed = store.purge(older_than=1000.0)
    assert removed == 2
    assert store.thread_artefacts("T1", "C1", "1.1") == []
    assert len(store.thread_artefacts("T1", "C1", "2.2")) == 1
    assert store.claim("old-event") is True
    assert store.claim("new-event") is False


@pytest.mark.postgres
def test_heroku_postgres_scheme_is_accepted(prefix: str) -> None:
    heroku_form = "postgres:" + POSTGRES_URL.split(":", 1)[1]
    opened = Store.open(heroku_form, prefix)
    try:
        assert opened.backend == "postgresql"
        assert opened.claim("Ev-heroku") is True
    finally:
        opened.drop_tables()


@pytest.mark.postgres
def test_tables_are_created_by_several_processes_starting_at_once(prefix: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            Store.open(POSTGRES_URL, prefix)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert Store(POSTGRES_URL, prefix).claim("Ev-after-race") is True
    finally:
        Store(POSTGRES_URL, prefix).drop_tables()


def test_forget_channel_deletes_only_that_channels_artefacts(store: Store) -> None:
    store.add_thread_artefacts("T1", "C1", "1.1", [_stored()])
    store.add_thread_artefacts("T1", "C2", "1.1", [_stored()])
    assert store.forget_channel("T1", "C1") == 1
    assert store.thread_artefacts("T1", "C1", "1.1") == []
    assert len(store.thread_artefacts("T1", "C2", "1.1")) == 1


@pytest.mark.postgres
def test_a_kept_connection_the_server_ended_is_replaced_without_an_error(prefix: str) -> None:
    import psycopg

    opened = Store.open(POSTGRES_URL, prefix)
    try:
        assert opened.claim("Ev-before") is True  # leaves one connection in the pool
        # The pooled connection's server process (its last statement is COMMIT, not the claim).
        kept = opened.engine.raw_connection()
        pid = kept.driver_connection.info.backend_pid  # type: ignore[union-attr]
        kept.close()  # back to the pool
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE pid = %s",
                (pid,),
            ).fetchone()
        assert ended is not None and ended[0] >= 1  # a restart or failover, as the store sees it
        assert opened.claim("Ev-after") is True
        assert opened.claim("Ev-after") is False
    finally:
        opened.drop_tables()
        opened.close()


@pytest.mark.postgres
@pytest.mark.parametrize("prepared", [True, False])
def test_statements_run_again_are_prepared_on_the_server_unless_turned_off(
    prefix: str, prepared: bool
) -> None:
    opened = Store.open(POSTGRES_URL, prefix, prepared_statements=prepared)
    try:
        for n in range(4):
            assert opened.claim(f"Ev-{n}") is True
        with opened.engine.connect() as conn:  # the pool's one kept connection
            rows = conn.exec_driver_sql(
                "SELECT statement FROM pg_prepared_statements WHERE NOT from_sql"
            ).fetchall()
        claims = [r for (r,) in rows if "_events" in r and "INSERT" in r]
        assert len(claims) == (1 if prepared else 0), rows
    finally:
        opened.drop_tables()
        opened.close()


def test_threads_share_the_store_and_each_claim_is_won_once(store: Store) -> None:
    results: list[bool] = []
    lock = threading.Lock()

    def claim_all() -> None:
        for n in range(50):
            won = store.claim(f"Ev-{n}")
            with lock:
                results.append(won)

    threads = [threading.Thread(target=claim_all) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 400 and results.count(True) == 50


def test_the_migrations_build_exactly_the_tables_the_code_defines(store: Store) -> None:
    from sqlalchemy import inspect

    inspector = inspect(store.engine)
    for table in store.tables.metadata.sorted_tables:
        migrated = {c["name"] for c in inspector.get_columns(table.name)}
        assert migrated == {c.name for c in table.columns}, table.name
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes(table.name)}
        declared = {i.name: [c.name for c in i.columns] for i in table.indexes}
        assert declared.items() <= indexes.items(), table.name


def test_a_database_the_hand_written_store_created_is_taken_over(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TABLE certmatch_events (event_key TEXT PRIMARY KEY, seen_at REAL NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE certmatch_details (detail_key TEXT PRIMARY KEY, detail TEXT NOT NULL, "
        "ca_note TEXT, created_at REAL NOT NULL)"
    )
    conn.execute("INSERT INTO certmatch_events VALUES ('event:Ev-old', 1.0)")
    conn.commit()
    conn.close()
    store = Store.open(f"sqlite:///{db}")
    assert store.claim("event:Ev-old") is False  # what it claimed before stays claimed
    store.save_detail("k", "detail", None, team="T1", channel="C1")  # the added columns
    assert store.forget_channel("T1", "C1") == 0
    assert _forgotten(store, "k")
    store.close()


def _forgotten(store: Store, key: str) -> bool:
    """`/certmatch forget` empties a reply's details and marks the row (issue 13)."""
    detail = store.detail(key)
    return detail is not None and detail.detail == "" and detail.forgotten_at is not None


def test_migration_0005_gives_a_database_at_0004_the_purge_indexes(
    store_url: str, prefix: str
) -> None:
    from sqlalchemy import inspect

    _migrate_to(store_url, prefix, "0004")
    purge_indexes = {
        f"{prefix}{name}"
        for name in (
            "events_seen",
            "ta_posted",
            "details_created",
            "replies_claimed",
            "rem_keep",
            "wc_message",
        )
    }
    store = Store.open(store_url, prefix)  # what every process does at start: up to 0005
    try:
        store.claim("Ev1", now=1.0)
        assert store.purge(older_than=2.0, now=2.0) == 1
        inspector = inspect(store.engine)
        found = {
            index["name"]
            for table in store.tables.metadata.sorted_tables
            for index in inspector.get_indexes(table.name)
        }
        assert purge_indexes <= found
    finally:
        store.drop_tables()
        store.close()


def _migrate_to(store_url: str, prefix: str, revision: str) -> None:
    """The database as a release at `revision` left it."""
    from alembic import command
    from alembic.config import Config

    from bot.store.engine import open_engine

    engine = open_engine(store_url)
    config = Config()
    config.set_main_option("script_location", str(Path(migrate.__file__).parent / "migrations"))
    config.attributes["prefix"] = prefix
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    engine.dispose()
