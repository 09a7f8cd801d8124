"""One SQLite writer at a time across this host's processes, handed over by the kernel instead of by SQLite's busy polling.

SQLite lets one connection write at a time. A writer that finds the file locked sleeps in
SQLite's busy handler (1, 2, 5, 10, 15, 20, 25 ms ... until the lock is free), so under load
a queued enqueue on the ack path slept far longer than the job that held the lock took: the
acknowledgement p99 was about 190 ms at 100 events/s with two gunicorn processes, and about
40 % of a job's time went to its writes (issue 17, docs/performance.md). Here every store
write on SQLite first takes this lock: a thread lock for the threads of the process, then
`flock` on `<database>.writelock` for the processes. A waiter blocks in the kernel and is
woken the moment the holder is done. Writers that do not take it (migrations at start, the
hourly purge) are still serialised by SQLite itself, through its busy handler, as before.
PostgreSQL locks rows, not the database, and needs none of this.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.store.lockstats import LockStats

logger = logging.getLogger("certmatch.bot")

_LOCKS: weakref.WeakSet[WriteLock] = weakref.WeakSet()


class WriteLock:
    def __init__(self, database: Path, stats: LockStats | None = None) -> None:
        self.database = database
        # CERTMATCH_WRITE_LOCK_STATS: each hold timed by holder (bot.store.lockstats).
        self.stats = stats
        self.path = database.with_name(database.name + ".writelock")
        self._reset()
        _LOCKS.add(self)

    def _reset(self) -> None:
        # Also the forked child's start: a lock the parent's threads held is not the child's.
        self._threads = threading.RLock()
        self._depth = 0  # how deep the holding thread is (an RLock re-entered)
        self._fd: int | None = None
        self._unavailable = False
        self._held_since = 0.0
        self._cpu_since = 0.0
        self._holder = ""

    @contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def acquire(self) -> None:
        self._threads.acquire()
        self._depth += 1
        if self._depth == 1:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            if self.stats is not None:
                self._holder = self.stats.holder()
                self._held_since = time.perf_counter()
                self._cpu_since = time.thread_time()

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            if self.stats is not None:
                held = time.perf_counter() - self._held_since
                cpu = time.thread_time() - self._cpu_since
                holder = self._holder
                self._threads.release()
                self.stats.add(holder, held, cpu)  # logging outside the lock
                return
        self._threads.release()

    def _file(self) -> int | None:
        if self._fd is None and not self._unavailable:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as error:
                # A read-only directory: SQLite's own locking still keeps the file whole.
                self._unavailable = True
                logger.warning("no write lock file %s (%s); relying on SQLite's", self.path, error)
        return self._fd


def _reset_after_fork() -> None:
    for lock in list(_LOCKS):
        lock._reset()  # the parent's descriptor shares its flock: the child opens its own


os.register_at_fork(after_in_child=_reset_after_fork)
