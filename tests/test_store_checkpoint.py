"""The WAL checkpointer (bot.store.checkpoint): commits leave the WAL to it, it copies the WAL while
writers go on, and the WAL starts again from its beginning although writers never pause."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.checkpoint import DEFAULT_RESTART_PAGES, Round, WalCheckpointer
from bot.store.engine import WAL_SAFETY_PAGES
from tests.upkeep_support import warnings_until


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        yield store
    finally:
        store.close()


def _checkpointer(
    store: Store, interval: float = 1.0, restart_pages: int = DEFAULT_RESTART_PAGES
) -> WalCheckpointer:
    checkpointer = store.wal_checkpointer(interval, restart_pages)
    assert checkpointer is not None
    return checkpointer


def _write(store: Store, details: int, size: int = 8000) -> None:
    with store.transaction():
        for _ in range(details):
            store.save_detail(uuid.uuid4().hex, "x" * size, None)


def test_commits_leave_the_wal_to_the_checkpointer_which_empties_it(sqlite_store: Store) -> None:
    checkpointer = _checkpointer(sqlite_store)
    _write(sqlite_store, 800)  # about 1,600 pages in one commit
    _write(sqlite_store, 1)
    first = checkpointer.round()
    # SQLite's own checkpoint (past 1,000 pages, in the commit) would have let the second
    # commit start the WAL again: it is still all there.
    assert 1_000 < first.wal_pages < WAL_SAFETY_PAGES
    # Below the restart size and no writer meanwhile: copied whole without the lock, and the
    # next writer starts the WAL again by itself.
    assert first == Round(first.wal_pages, 0, locked=False)
    _write(sqlite_store, 1)
    assert checkpointer.round().wal_pages < 50


def test_a_wal_past_the_restart_size_is_started_again_once(sqlite_store: Store) -> None:
    checkpointer = _checkpointer(sqlite_store, restart_pages=1_000)
    _write(sqlite_store, 800)
    first = checkpointer.round()
    assert first.locked and first.left == 0 and not first.busy and first.wal_pages > 1_000
    # Started again already: no second wait under the lock while no writer came.
    assert checkpointer.round() == Round(first.wal_pages, 0, locked=False)
    _write(sqlite_store, 1)
    assert checkpointer.round().wal_pages < 50


def test_the_wal_starts_again_while_a_writer_and_a_reader_never_pause(sqlite_store: Store) -> None:
    checkpointer = _checkpointer(sqlite_store, restart_pages=300)
    stop = threading.Event()
    errors: list[BaseException] = []
    commits: list[int] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                _write(sqlite_store, 4, 4000)
                commits.append(1)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def reader() -> None:
        # Single statements all the time, as the bot's reads: the rounds go on beside them.
        try:
            while not stop.is_set():
                sqlite_store.detail("no such key")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    try:
        _write(sqlite_store, 200)  # a WAL to copy before the first round
        rounds: list[Round] = []
        # Rounds among the writer's commits (on a busy machine its thread may get few turns).
        deadline = time.monotonic() + 20
        while (len(rounds) < 12 or len(commits) < 300) and time.monotonic() < deadline:
            rounds.append(checkpointer.round())
            time.sleep(0.005)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert not errors
    locked = [r for r in rounds if r.locked]
    # Writers came during the unlocked copy, so the round finished under the lock, and then
    # the WAL was wholly copied: the next writer began it again, so it did not only grow.
    assert locked and all(r.left == 0 for r in locked), rounds
    pages = [r.wal_pages for r in rounds]
    assert any(later < earlier for earlier, later in itertools.pairwise(pages)), pages


def test_a_failing_round_is_logged_once_and_the_next_ones_go_on(
    sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    checkpointer = _checkpointer(sqlite_store, interval=0.01)
    calls: list[int] = []
    failures = 5
    real = checkpointer._connect
    done = threading.Event()

    def flaky() -> sqlite3.Connection:
        calls.append(1)
        if len(calls) <= failures:
            raise sqlite3.OperationalError("unable to open database file")
        done.set()
        return real()

    checkpointer._connect = flaky  # type: ignore[method-assign]
    warned = warnings_until(checkpointer, done, caplog)
    failed = [w for w in warned if "WAL checkpoint failed" in w]
    assert len(failed) == 1 and "OperationalError" in failed[0]
    assert len(calls) > failures
