"""The planner statistics' upkeep on PostgreSQL (bot.store.statistics): a table that changed by as many rows as it held at its last ANALYZE is analyzed, one that did not is left alone, one process analyzes at a time, and the bot runs it beside its workers (on SQLite the WAL checkpointer instead)."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.store import Store
from bot.store.checkpoint import WalCheckpointer
from bot.store.engine import sqlalchemy_url
from bot.store.statistics import PlannerStatistics
from standin import SlackStandIn
from tests.bot_e2e_support import settings_for, start_bot
from tests.conftest import POSTGRES_URL
from tests.fingerprint_rows import numbered_fingerprint
from tests.upkeep_support import warnings_until


@pytest.fixture
def store_url() -> str:
    """PostgreSQL only, for conftest's `store`: SQLite has no planner statistics to keep."""
    return POSTGRES_URL


def _upkeep(store: Store) -> PlannerStatistics:
    upkeep = store.upkeep()
    assert isinstance(upkeep, PlannerStatistics)
    return upkeep


def _add(store: Store, rows: range) -> None:
    store.add_fingerprints([numbered_fingerprint(n, "C1") for n in rows])
    with store.engine.connect() as conn:
        # A session reports its counts within seconds; the upkeep reads them. Now, for the test.
        conn.execute(text("SELECT pg_stat_force_next_flush()"))
        conn.commit()


def _analyzed(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        count = conn.execute(
            text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}
        )
        return int(count.scalar_one())


@pytest.mark.postgres
def test_a_table_that_grew_past_its_size_is_analyzed_and_the_others_are_left_alone(
    store: Store,
) -> None:
    upkeep, fingerprints = _upkeep(store), store.tables.fingerprints.name
    _add(store, range(40))
    assert upkeep.round() == []  # under autovacuum's base threshold of 50 changes
    _add(store, range(40, 200))
    assert upkeep.round() == [fingerprints]
    assert _analyzed(store, fingerprints) == 1
    assert upkeep.round() == []  # nothing changed since
    _add(store, range(200, 400))  # 200 changes: under 50 + the 200 rows it held
    assert upkeep.round() == []
    _add(store, range(400, 460))  # 260: past it
    assert upkeep.round() == [fingerprints]
    assert _analyzed(store, fingerprints) == 2


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
            assert upkeep.round() == []
        # Another prefix's upkeep has its own key: it never waits for this one.
        assert _upkeep(Store(POSTGRES_URL, "other_prefix_")).lock_key != upkeep.lock_key
    finally:
        other.close()
    assert upkeep.round() == [fingerprints]


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
        assert PlannerStatistics(engine, tables).round() == []
        assert _analyzed(store, store.tables.fingerprints.name) == 0
        assert _upkeep(store).round() == [store.tables.fingerprints.name]  # the owner's
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
    upkeep = PlannerStatistics(engine, ["t"], interval=0.01)
    rounds = threading.Event()
    calls: list[int] = []
    real = upkeep.round

    def counted() -> list[str]:
        calls.append(1)
        if len(calls) >= 5:
            rounds.set()
        return real()

    upkeep.round = counted  # type: ignore[method-assign]
    warned = [w for w in warnings_until(upkeep, rounds, caplog) if "planner statistics" in w]
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
        expected = WalCheckpointer if url.startswith("sqlite") else PlannerStatistics
        assert isinstance(upkeep, expected)
        assert upkeep._thread is not None and upkeep._thread.is_alive()
    finally:
        bot.stop()
    assert upkeep._thread is not None and not upkeep._thread.is_alive()
