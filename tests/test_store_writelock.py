"""SQLite's host-wide write lock (bot.store.writelock): writers of two processes take turns through
the kernel, a transaction keeps the lock from its first write to its end, and a forked child
has a lock of its own."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.profiles import ProfileStore
from bot.store.writelock import WriteLock


def _hold(path: str, seconds: float, started: multiprocessing.synchronize.Event) -> None:
    lock = WriteLock(Path(path))
    with lock.held():
        started.set()
        time.sleep(seconds)


def test_a_writer_in_another_process_waits_until_the_holder_is_done(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    ctx = multiprocessing.get_context("fork")
    started = ctx.Event()
    other = ctx.Process(target=_hold, args=(str(database), 0.4, started))
    other.start()
    try:
        assert started.wait(10)
        began = time.monotonic()
        with WriteLock(database).held():
            waited = time.monotonic() - began
        assert waited >= 0.2, waited  # it blocked while the other process held the lock
    finally:
        other.join(10)
    assert (tmp_path / "bot.sqlite3.writelock").exists()


def test_threads_of_one_process_take_turns_and_one_thread_may_re_enter(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "bot.sqlite3")
    inside: list[int] = []
    overlaps: list[int] = []

    def write() -> None:
        for _ in range(50):
            with lock.held(), lock.held():  # re-entered by the holder: no self-deadlock
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(len(inside))
                time.sleep(0.0001)
                inside.pop()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert overlaps == [] and inside == []


def test_a_forked_child_opens_its_own_lock(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "bot.sqlite3")
    lock.acquire()  # held by this thread, which the child will not have
    pid = os.fork()
    if pid == 0:
        # A copy of the parent's held thread lock would never be released here: the alarm
        # ends the child then, instead of the test hanging.
        signal.alarm(10)
        with lock.held():  # waits for the parent's flock, then gets its own
            os._exit(0)
    lock.release()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("ends", ["commit", "rollback"])
def test_a_transaction_holds_the_lock_from_its_first_write_to_its_end(
    tmp_path: Path, ends: str
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        lock = store._transactions._write_lock
        assert lock is not None

        def free_for_another_thread() -> bool:
            got: list[bool] = []

            def try_it() -> None:
                got.append(lock._threads.acquire(timeout=0.05))
                if got[0]:
                    lock._threads.release()

            t = threading.Thread(target=try_it)
            t.start()
            t.join()
            return got[0]

        failing = pytest.raises(RuntimeError) if ends == "rollback" else nullcontext()
        with failing, store.transaction():
            ProfileStore(store).get("T1", "C1")  # a read: no lock yet
            assert free_for_another_thread()
            ProfileStore(store).set("T1", "C1", "cucm")
            assert not free_for_another_thread()
            if ends == "rollback":
                raise RuntimeError("the job failed")
        assert free_for_another_thread()
        expected = "cucm" if ends == "commit" else None
        assert ProfileStore(store).get("T1", "C1") == expected
    finally:
        store.close()


def _remember_one(store: Store, key: str) -> None:
    with store.transaction():
        store.save_detail(key, "details", None, team="T1", channel="C1")
        time.sleep(0.02)  # inside the hold: the tally must count it


def test_write_lock_stats_name_each_holder_and_time_its_holds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'bot.sqlite3'}", write_lock_stats=True)
    for n in range(3):
        _remember_one(store, f"k{n}")
    store.claim("event-1")
    stats = store._write_lock.stats  # type: ignore[union-attr]
    assert stats is not None
    tallies = stats.snapshot()
    # Named by the caller outside the store's plumbing, not by Store.save_detail or contextlib.
    assert tallies["_remember_one"].holds == 3
    assert 0.06 <= tallies["_remember_one"].seconds < 1.0
    # The holder's own CPU: its 60 ms asleep in the holds are waits, not work.
    assert 0 < tallies["_remember_one"].cpu_seconds < tallies["_remember_one"].seconds - 0.05
    assert tallies["test_write_lock_stats_name_each_holder_and_time_its_holds"].holds == 1
    with caplog.at_level("WARNING", logger="certmatch.bot"):
        store.log_write_lock_stats()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("write lock:")]
    # The longest first; the process named, for a log that two gunicorn workers write.
    assert lines[0].startswith(f"write lock: pid={os.getpid()} _remember_one holds=3 mean=")
    assert len(lines) == 2


def test_write_lock_stats_are_off_by_default(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    _remember_one(store, "k")
    assert store._write_lock is not None and store._write_lock.stats is None
