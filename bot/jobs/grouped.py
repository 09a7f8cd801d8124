"""Jobs queued at the same moment by several threads of a process, written by one INSERT in one commit (SQLite).

SQLite takes one writer at a time on the host (bot.store.writelock), and under load every
acknowledgement's enqueue waited about 10 ms for that lock, then held it 0.7 ms for one row.
Here the first thread to arrive waits for the lock, and once it holds it writes its row and
the rows of every thread that arrived meanwhile, in one statement and one commit (a group
commit), and hands each thread its own answer:
new, already queued (Slack's retry), or the database's error. A thread alone writes alone,
at no cost in latency. PostgreSQL locks rows, not the database, and does not use this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(eq=False)
class _Waiting:
    row: dict[str, Any]
    done: bool = False
    added: bool = False
    error: BaseException | None = None


class GroupedInsert:
    """`add(row)` from any thread: True when the row's key was new; writes through `write_rows`.

    `write_rows(take)` takes the write lock, calls `take()` for the rows waiting by then,
    inserts them (ON CONFLICT DO NOTHING) in one commit and returns the keys it inserted;
    `key` names a row's key column.
    """

    def __init__(
        self,
        write_rows: Callable[[Callable[[], list[dict[str, Any]]]], set[str]],
        key: str,
    ) -> None:
        self._write_rows = write_rows
        self._key = key
        self._cond = threading.Condition()
        self._pending: list[_Waiting] = []
        self._writing = False

    def add(self, row: dict[str, Any]) -> bool:
        me = _Waiting(row)
        with self._cond:
            self._pending.append(me)
            while self._writing and not me.done:
                self._cond.wait()
            if me.done:
                return self._answer(me)
            # This thread writes its own row and those that come until it holds the lock;
            # rows that come later wait for its commit, then one of them writes the next.
            self._writing = True
        group: list[_Waiting] = []

        def take() -> list[dict[str, Any]]:
            with self._cond:
                group.extend(self._pending)
                self._pending = []
            return [w.row for w in group]

        try:
            self._write(group, take)
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()
        return self._answer(me)

    def _write(self, group: list[_Waiting], take: Callable[[], list[dict[str, Any]]]) -> None:
        try:
            inserted = self._write_rows(take)
        except BaseException as error:  # each thread raises it as its own
            if not group:
                take()  # failed before the rows were taken (no lock, no connection): all of them
            for w in group:
                w.error, w.done = error, True
            return
        seen: set[str] = set()
        for w in group:
            key = str(w.row[self._key])
            # A key twice in one group (a retry racing its first delivery): new once.
            w.added = key in inserted and key not in seen
            seen.add(key)
            w.done = True

    @staticmethod
    def _answer(me: _Waiting) -> bool:
        if me.error is not None:
            raise me.error
        return me.added
