"""Enqueues that meet share one INSERT (bot.jobs.grouped): each thread gets its own answer, new, retry or error, and none is lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.jobs.grouped import GroupedInsert
from bot.jobs.queue import JobQueue
from bot.store import Store


class SlowTable:
    """write_rows over a set of keys; the first write waits until `gate` opens (a held lock)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.writes: list[list[str]] = []
        self.gate = threading.Event()
        self.fail_with: Exception | None = None

    def write_rows(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        if not self.writes:
            self.writes.append([])  # the first write has begun
            self.gate.wait(5)
            self.writes[0] = [str(r["k"]) for r in rows]
        else:
            self.writes.append([str(r["k"]) for r in rows])
        if self.fail_with is not None:
            raise self.fail_with
        new = {str(r["k"]) for r in rows} - self.keys
        self.keys |= new
        return new


def _wait_for(predicate: Any) -> None:
    deadline = time.monotonic() + 5
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def test_rows_that_arrive_during_a_write_go_in_one_write_each_with_its_answer() -> None:
    table = SlowTable()
    table.keys.add("old")  # queued before: a retry of it is not new
    grouped = GroupedInsert(table.write_rows, "k")
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(grouped.add, {"k": "a"})
        _wait_for(lambda: table.writes)
        later = [(k, pool.submit(grouped.add, {"k": k})) for k in ("b", "c", "old", "c")]
        _wait_for(lambda: len(grouped._pending) == 4)
        table.gate.set()
        assert first.result(5) is True
        answers = [(k, f.result(5)) for k, f in later]
    assert table.writes == [["a"], ["b", "c", "old", "c"]]
    assert answers == [("b", True), ("c", True), ("old", False), ("c", False)]
    # "c" twice in one write (a retry racing its first delivery): new for one of the two.
    assert table.keys == {"old", "a", "b", "c"}


def test_a_failed_write_raises_in_every_thread_of_its_group() -> None:
    table = SlowTable()
    grouped = GroupedInsert(table.write_rows, "k")
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(grouped.add, {"k": "a"})
        _wait_for(lambda: table.writes)
        table.fail_with = RuntimeError("database is locked")
        later = [pool.submit(grouped.add, {"k": k}) for k in ("b", "c")]
        _wait_for(lambda: len(grouped._pending) == 2)
        table.gate.set()
        for future in [first, *later]:
            with pytest.raises(RuntimeError, match="database is locked"):
                future.result(5)
    table.fail_with = None
    assert grouped.add({"k": "b"}) is True  # the next write starts afresh


def test_concurrent_enqueues_on_sqlite_are_each_queued_once(tmp_path: Path, prefix: str) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'q.sqlite3'}", prefix)
    try:
        queue = JobQueue(store)
        keys = [f"message:C1:{n}.0" for n in range(200)]
        with ThreadPoolExecutor(16) as pool:
            firsts = list(pool.map(lambda k: queue.enqueue(k, "message", "sealed"), keys))
            retries = list(pool.map(lambda k: queue.enqueue(k, "message", "sealed"), keys[:50]))
        assert firsts == [True] * 200 and retries == [False] * 50
        states = queue.states()
        assert sorted(states) == sorted(keys) and set(states.values()) == {"queued"}
        assert queue.waiting() == 200
    finally:
        store.close()
