"""SQLite's WAL checkpoints taken out of the commits: a thread copies the WAL into the database while the writers go on.

By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
commit copies the pages, syncs the WAL and the database file, and every other writer waits
for it behind the write lock (bot.store.writelock). Under the sustained load about one job
commit in thirty did it, for 20-30 ms, and a commit cost 0.8 ms on average against 0.3 ms
without (issue 17, docs/performance.md). Here the store's connections checkpoint by themselves
only past `WAL_SAFETY_PAGES` (bot.store.engine: a process without this thread, or one whose
thread fell behind, still bounds the WAL), and this thread does the work every `interval`
seconds, on a connection of its own:

1. PASSIVE checkpoints without the write lock: each copies what is committed so far while
   writers append more, and the next copies what they appended, up to four times;
2. unless nothing was written since the last round, a RESTART checkpoint under the write
   lock: it copies the few pages left and waits (at most `_READERS_WAIT_MS`) for the readers still on older
   snapshots, so that the next writer starts the WAL again from its beginning. A PASSIVE one
   there was not enough: readers come all the time, one of them nearly always still held an
   older snapshot when the next writer came, and the WAL only grew (to the safety bound).

Several processes on one file: a checkpoint that finds another one running gets SQLITE_BUSY
and this round is skipped.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.store.writelock import WriteLock

logger = logging.getLogger("certmatch.bot")

# Seconds between rounds: the WAL holds about this long of writes (about 14,000 pages a
# second at 180 jobs/s, issue 17).
DEFAULT_INTERVAL = 0.5
# Passes without the lock at most, each copying what writers added during the one before,
# until at most _LOCKED_PAGES are left for the pass under the lock.
_UNLOCKED_PASSES = 4
_LOCKED_PAGES = 256
# How long the pass under the lock waits for readers on older snapshots (theirs are single
# statements, well under this); past it the WAL goes on growing until a later round.
_READERS_WAIT_MS = 20


@dataclass(frozen=True, slots=True)
class Round:
    """What one round did: WAL pages at the end, pages still to copy, and whether it took the lock."""

    wal_pages: int
    left: int
    locked: bool
    busy: bool = False


class WalCheckpointer:
    def __init__(
        self, database: Path, write_lock: WriteLock, interval: float = DEFAULT_INTERVAL
    ) -> None:
        self.database = database
        self.write_lock = write_lock
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_wal_pages = -2  # WAL pages after the last locked round (-1: not WAL)

    def start(self) -> WalCheckpointer:
        self._thread = threading.Thread(target=self._run, name="certmatch-checkpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def round(self) -> Round:
        """Checkpoint once (without the lock, then under it if writers came meanwhile)."""
        conn = self._connect()
        try:
            for _ in range(_UNLOCKED_PASSES):
                busy, log, done = _checkpoint(conn, "PASSIVE")
                if busy:
                    return Round(log, log - done, locked=False, busy=True)
                if log - done <= _LOCKED_PAGES:
                    break
                # Writers added that much while this pass copied: copy it too before taking
                # the lock, so that what is left to do under it (writers waiting) is small.
            if done >= log and log == self._last_wal_pages:
                return Round(log, 0, locked=False)  # nothing written since the last round
            # Even a WAL copied whole above is not started again while a writer's transaction
            # that began before the copy ended is still open, and with writers that never
            # pause one always is: the copy must end with the writers stopped.
            with self.write_lock.held():
                busy, log, done = _checkpoint(conn, "RESTART")
            self._last_wal_pages = log
            return Round(log, max(0, log - done), locked=True, busy=bool(busy))
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        # Its own connection, opened each round: never one of the pool's (whose busy timeout
        # is 30 s), and never a database that is not there (mode=rw does not create one).
        conn = sqlite3.connect(
            f"{self.database.resolve().as_uri()}?mode=rw",
            uri=True,
            timeout=_READERS_WAIT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        # As the store's connections (bot.store.engine): synced at each checkpoint.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _run(self) -> None:
        failing = warned_left = False
        while not self._stop.wait(self.interval):
            try:
                done = self.round()
            except sqlite3.Error as error:
                # The database is away (or a migration holds it): the next round tries again.
                if not failing:
                    logger.warning("WAL checkpoint failed (%s); retrying", type(error).__name__)
                failing = True
                continue
            failing = False
            # The locked round could not finish: a reader held an older snapshot for longer.
            if done.locked and (done.left or done.busy) and not warned_left:
                warned_left = True
                logger.warning(
                    "WAL checkpoint waited for readers in vain (%d of %d pages left); the WAL "
                    "grows until a later round",
                    done.left,
                    done.wal_pages,
                )


def _checkpoint(conn: sqlite3.Connection, mode: str) -> tuple[int, int, int]:
    """(busy, WAL pages, pages copied): busy when another checkpoint runs or readers stayed
    (RESTART); -1s when the database is not in WAL mode."""
    row = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    return int(row[0]), int(row[1]), int(row[2])
