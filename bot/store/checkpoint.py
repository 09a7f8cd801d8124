"""SQLite's WAL checkpoints taken out of the commits: a thread copies the WAL into the database while the writers go on.

By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
commit copies the pages, syncs the WAL and the database file, and every other writer waits
for it behind the write lock (bot.store.writelock). Commits of six inserts (offline, issue
17, docs/performance.md) cost 0.8 ms on average that way, one in a hundred 20-30 ms, against
0.2-0.3 ms without. Here the store's connections checkpoint by themselves
only past `WAL_SAFETY_PAGES` (bot.store.engine: a process without this thread, or one whose
thread fell behind, still bounds the WAL), and this thread does the work every `interval`
seconds, on a connection of its own:

1. PASSIVE checkpoints without the write lock: each copies what is committed so far while
   writers append more, and the next copies what they appended, up to four times. When
   writers and readers pause, the next writer starts the WAL again from its beginning.
2. Once the WAL holds `restart_pages` or more, a RESTART checkpoint under the write lock: it
   copies the few pages left and waits (at most `_READERS_WAIT_MS`) for the readers still on
   older snapshots, so that the next writer starts the WAL again. Under load they never
   pause: without this the WAL only grew, to the safety bound. It costs the writers a wait
   (8-18 ms a round under the sustained load, once the files are synced before it), hence
   only past a size and not every round.

Several processes on one file: a checkpoint that finds another one running gets SQLITE_BUSY
and this round is skipped; a WAL one process restarted is small for the others.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.store.upkeep import Upkeep
from bot.store.writelock import WriteLock

logger = logging.getLogger("certmatch.bot")

# Seconds between rounds: the WAL holds about this long of writes (about 14,000 pages a
# second at 180 jobs/s, issue 17).
DEFAULT_INTERVAL = 0.5
# Passes without the lock at most, each copying what writers added during the one before,
# until at most _LOCKED_PAGES are left for the pass under the lock.
_UNLOCKED_PASSES = 4
_LOCKED_PAGES = 256
# The WAL is started again under the lock once it holds this many pages (about 32 MB; under
# the sustained load half a second to a second of writes).
DEFAULT_RESTART_PAGES = 8_000
# How long the pass under the lock waits for readers on older snapshots (single statements,
# slowed by their process's other threads); past it the WAL grows until a later round.
_READERS_WAIT_MS = 10


@dataclass(frozen=True, slots=True)
class Round:
    """What one round did: WAL pages at the end, pages still to copy, and whether it took the lock."""

    wal_pages: int
    left: int
    locked: bool
    busy: bool = False


class WalCheckpointer(Upkeep[Round]):
    thread_name = "certmatch-checkpoint"
    failures = (sqlite3.Error, OSError)
    failure_words = "WAL checkpoint failed"

    def __init__(
        self,
        write_lock: WriteLock,
        interval: float = DEFAULT_INTERVAL,
        restart_pages: int = DEFAULT_RESTART_PAGES,
    ) -> None:
        """Checkpoint the database `write_lock` guards, taking that lock for the RESTART."""
        database = write_lock.database
        self._uri = f"{database.resolve().as_uri()}?mode=rw"
        self._files = (database, database.with_name(database.name + "-wal"))
        super().__init__(interval)
        self.write_lock = write_lock
        self.restart_pages = restart_pages
        self._restarted_at = -2  # the WAL's pages when the last RESTART here succeeded
        self._warned_left = False

    def round(self) -> Round:
        """Checkpoint once: without the lock, then under it if the WAL is to start again."""
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
            if log < self.restart_pages or (done >= log and log == self._restarted_at):
                # Small, or started again already and waiting for its next writer.
                return Round(log, max(0, log - done), locked=False)
            # A pass that readers kept from copying everything does not sync the database
            # file: the RESTART would then sync all it copied (tens of MB) with the writers
            # waiting, 30-80 ms a round in the sustained load, for a few pages left.
            _sync(*self._files)
            # Even a WAL copied whole above is not started again while a writer's transaction
            # that began before the copy ended is still open, or a reader's: the copy must end
            # with the writers stopped and those readers gone.
            with self.write_lock.held():
                busy, log, done = _checkpoint(conn, "RESTART")
            if not busy:
                self._restarted_at = log
            return Round(log, max(0, log - done), locked=True, busy=bool(busy))
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        # Its own connection, opened each round: never one of the pool's (whose busy timeout
        # is 30 s), and never a database that is not there (mode=rw does not create one).
        conn = sqlite3.connect(
            self._uri,
            uri=True,
            timeout=_READERS_WAIT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        # As the store's connections (bot.store.engine): synced at each checkpoint.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _after(self, done: Round) -> None:
        # The locked round could not finish: a reader held an older snapshot for longer
        # (-1 pages: another process's checkpoint was running, nothing to say).
        stuck = done.locked and done.wal_pages >= 0 and (done.left or done.busy)
        if stuck and not self._warned_left:
            self._warned_left = True  # normal now and then under load: said once, as info
            logger.info(
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


def _sync(*files: Path) -> None:
    """fsync each file (what was written to it through any descriptor reaches the disk)."""
    for path in files:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
