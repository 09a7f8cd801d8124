"""The table maintenance on PostgreSQL (bot.store.maintenance): a table that changed by as many rows as it held at its last ANALYZE is analyzed, one whose dead or new rows piled up is vacuumed, the others are left alone, a table another session locks is skipped, one process maintains at a time, and the bot runs it beside its workers (on SQLite the WAL checkpointer instead)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.jobs.queue import JobQueue
from bot.store import Store
from bot.store.checkpoint import WalCheckpointer
from bot.store.engine import sqlalchemy_url
from bot.store.maintenance import Maintained, TableMaintenance
from standin import SlackStandIn
from tests.bot_e2e_support import settings_for, start_bot
from tests.conftest import POSTGRES_URL
from tests.fingerprint_rows import numbered_fingerprint
from tests.upkeep_support import warnings_until


@pytest.fixture
def store_url() -> str:
    """PostgreSQL only, for conftest's `store`: SQLite has neither VACUUM's dead rows nor planner statistics to keep."""
    return POSTGRES_URL


def _upkeep(store: Store) -> TableMaintenance:
    upkeep = store.upkeep()
    assert isinstance(upkeep, TableMaintenance)
    return upkeep


def _add(store: Store, rows: range) -> None:
    store.add_fingerprints([numbered_fingerprint(n, "C1") for n in rows])
    _flush(store)


def _flush(store: Store) -> None:
    with store.engine.connect() as conn:
        # A session reports its counts within seconds; the upkeep reads them. Now, for the test.
        conn.execute(text("SELECT pg_stat_force_next_flush()"))
        conn.commit()


def _stat(store: Store, table: str, counter: str = "analyze_count") -> int:
    with store.engine.connect() as conn:
        count = conn.execute(
            text(f"SELECT {counter} FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}
        )
        return int(count.scalar_one())


def _analyzed(store: Store, table: str) -> int:
    return _stat(store, table, "analyze_count")


@contextmanager
def other_engine_lock(store: Store, key: int) -> Iterator[bool]:
    """Whether another session can take the session advisory lock `key` now (released after)."""
    other = Store(POSTGRES_URL, store.tables.prefix)
    try:
        with other.engine.connect() as conn:
            taken = bool(conn.execute(select(func.pg_try_advisory_lock(key))).scalar())
            yield taken
            if taken:
                conn.execute(select(func.pg_advisory_unlock(key)))
            conn.commit()
    finally:
        other.close()


@pytest.mark.postgres
def test_a_table_that_grew_past_its_size_is_analyzed_and_the_others_are_left_alone(
    store: Store,
) -> None:
    upkeep, fingerprints = _upkeep(store), store.tables.fingerprints.name
    _add(store, range(40))
    assert upkeep.round() == Maintained()  # under autovacuum's base threshold of 50 changes
    _add(store, range(40, 200))
    assert upkeep.round() == Maintained(analyzed=(fingerprints,))
    assert _analyzed(store, fingerprints) == 1
    assert upkeep.round() == Maintained()  # nothing changed since
    _add(store, range(200, 400))  # 200 changes: under 50 + the 200 rows it held
    assert upkeep.round() == Maintained()
    _add(store, range(400, 460))  # 260: past it
    assert upkeep.round() == Maintained(analyzed=(fingerprints,))
    assert _analyzed(store, fingerprints) == 2
    assert _stat(store, fingerprints, "vacuum_count") == 0  # 460 inserted: under 1,000


class TestInADatabaseOfItsOwn:
    """VACUUM keeps the dead rows an open snapshot may still see, and the tests running beside
    these keep snapshots open in the shared database: conftest's `store`, in a database alone."""

    @pytest.fixture
    def store_url(self, fresh_database: str) -> str:
        return fresh_database

    @pytest.mark.postgres
    def test_the_jobs_table_is_vacuumed_once_its_dead_rows_pile_up(self, store: Store) -> None:
        """A job taken and finished leaves two dead versions of its row, in the table and its
        indexes."""
        upkeep, jobs = _upkeep(store), store.tables.jobs.name
        queue = JobQueue(store)
        for n in range(40):
            queue.enqueue(f"job-{n}", "message", "{}")
        _flush(store)
        assert upkeep.round() == Maintained()  # 40 inserted, nothing dead
        queue.finish_many([(job, None) for job in queue.take_many(20)])
        _flush(store)
        # 40 dead versions, 80 changes since no ANALYZE: analyzed, not yet vacuumed (50 + 5 %).
        assert upkeep.round() == Maintained(analyzed=(jobs,))
        queue.finish_many([(job, None) for job in queue.take_many(20)])
        _flush(store)
        assert _stat(store, jobs, "n_dead_tup") == 80
        assert upkeep.round() == Maintained(vacuumed=(jobs,))  # 80 >= 50 + 5 % of 40 rows
        _flush(store)
        assert _stat(store, jobs, "vacuum_count") == 1
        assert _stat(store, jobs, "n_dead_tup") == 0
        assert upkeep.round() == Maintained()


@pytest.mark.postgres
def test_a_table_that_only_grows_is_vacuumed_after_its_inserts_and_analyzed_in_the_same_command(
    store: Store,
) -> None:
    upkeep, fingerprints = _upkeep(store), store.tables.fingerprints.name
    _add(store, range(1100))  # past 1,000 inserted since no VACUUM, and 50 changes
    assert upkeep.round() == Maintained(analyzed=(fingerprints,), vacuumed=(fingerprints,))
    assert _stat(store, fingerprints, "vacuum_count") == 1
    assert _analyzed(store, fingerprints) == 1
    _add(store, range(1100, 1400))  # 300: under 1,000 + a fifth of 1,100 and under 50 + 1,100
    assert upkeep.round() == Maintained()


@pytest.mark.postgres
def test_a_table_another_session_locks_is_skipped_not_waited_for(store: Store) -> None:
    """Autovacuum's worker, or a long maintenance of an admin's: the round goes on without it."""
    upkeep, fingerprints = _upkeep(store), store.tables.fingerprints.name
    _add(store, range(1100))
    other = Store(POSTGRES_URL, store.tables.prefix)
    done: list[Maintained] = []
    try:
        with other.engine.begin() as conn:
            # The lock VACUUM and ANALYZE take, held as autovacuum's worker holds it.
            conn.execute(text(f"LOCK TABLE {fingerprints} IN SHARE UPDATE EXCLUSIVE MODE"))
            thread = threading.Thread(target=lambda: done.append(upkeep.round()), daemon=True)
            thread.start()
            thread.join(10)
            assert not thread.is_alive(), "the round waited for the other session's lock"
    finally:
        other.close()
    assert _stat(store, fingerprints, "vacuum_count") == 0
    assert upkeep.round() == Maintained(analyzed=(fingerprints,), vacuumed=(fingerprints,))


@pytest.mark.postgres
def test_a_round_is_skipped_while_another_process_analyzes_the_same_tables(
    store: Store,
) -> None:
    upkeep, fingerprints = _upkeep(store), store.tables.fingerprints.name
    _add(store, range(200))
    other = Store(POSTGRES_URL, store.tables.prefix)
    try:
        with other.engine.begin() as conn:
            assert conn.execute(select(func.pg_try_advisory_xact_lock(upkeep.lock_key))).scalar()
            assert upkeep.round() == Maintained()
        # Another prefix's upkeep has its own key: it never waits for this one.
        assert _upkeep(Store(POSTGRES_URL, "other_prefix_")).lock_key != upkeep.lock_key
    finally:
        other.close()
    assert upkeep.round() == Maintained(analyzed=(fingerprints,))
    # The round let go of its lock: another process's round may take it now.
    with other_engine_lock(store, upkeep.lock_key) as taken:
        assert taken


@pytest.mark.postgres
def test_tables_another_role_owns_are_left_to_their_owner(store: Store) -> None:
    """A bot whose database role does not own the tables (made by a migration role, say)."""
    role = f"certmatch_reader_{uuid.uuid4().hex[:8]}"
    with store.engine.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.commit()
    as_role = make_url(sqlalchemy_url(POSTGRES_URL)).set(username=role, password=None)
    engine = create_engine(as_role)
    try:
        _add(store, range(200))
        tables = [t.name for t in store.tables.metadata.sorted_tables]
        assert TableMaintenance(engine, tables).round() == Maintained()
        assert _analyzed(store, store.tables.fingerprints.name) == 0
        owners = _upkeep(store).round()
        assert owners == Maintained(analyzed=(store.tables.fingerprints.name,))
    finally:
        engine.dispose()
        with store.engine.connect() as conn:
            conn.execute(text(f"DROP ROLE {role}"))
            conn.commit()


@pytest.mark.postgres
def test_a_database_away_is_logged_once_and_the_rounds_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on port 1: each round fails at once.
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/test")
    upkeep = TableMaintenance(engine, ["t"], interval=0.01)
    rounds = threading.Event()
    calls: list[int] = []
    real = upkeep.round

    def counted() -> Maintained:
        calls.append(1)
        if len(calls) >= 5:
            rounds.set()
        return real()

    upkeep.round = counted  # type: ignore[method-assign]
    warned = [w for w in warnings_until(upkeep, rounds, caplog) if "table maintenance" in w]
    assert len(warned) == 1 and "OperationalError" in warned[0]
    engine.dispose()


def test_the_bot_runs_its_store_upkeep_beside_the_workers_and_stops_it_with_them(
    standin: SlackStandIn, database: tuple[str, str]
) -> None:
    url, prefix = database
    bot = start_bot(settings_for(standin, url, prefix))
    assert bot.bot is not None
    upkeep = bot.bot.upkeep
    try:
        expected = WalCheckpointer if url.startswith("sqlite") else TableMaintenance
        assert isinstance(upkeep, expected)
        assert upkeep._thread is not None and upkeep._thread.is_alive()
    finally:
        bot.stop()
    assert upkeep._thread is not None and not upkeep._thread.is_alive()
