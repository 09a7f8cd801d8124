"""How long each holder keeps SQLite's write lock (bot.store.writelock): a diagnostic, off by default.

On SQLite one writer at a time is the sustained rate's ceiling (issue 17, docs/performance.md),
so what holds the lock, how often and for how long is the figure that says whether a change
helped. `CERTMATCH_WRITE_LOCK_STATS=on` makes each bot process log, every `every` seconds and
at its stop, one line per holder:

    write lock: pid=4242 Service.store_checks holds=3120 mean=10.61ms cpu=2.40ms total=33.14s

A holder is the first function up the stack outside the lock's plumbing (the store's
methods and transactions, contextlib, SQLAlchemy), named by its qualified name so that two
`_run` methods stay apart. `cpu` is the holder thread's own CPU time in a hold (its
Python, SQLite's work in the thread, the statements): the rest of `mean` it spent waiting,
for its process's GIL behind the other threads, or for the disk.
Finding it walks a few frames at each first acquire: only when switched on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy

logger = logging.getLogger("certmatch.bot")

DEFAULT_EVERY_SECONDS = 30.0
_HERE = Path(__file__).parent
_PLUMBING = (
    *(
        str(_HERE / name)
        for name in ("lockstats.py", "writelock.py", "transactions.py", "store.py")
    ),
    str(Path(contextlib.__file__)),
    str(Path(sqlalchemy.__file__).parent),
)


@dataclass
class Tally:
    holds: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


class LockStats:
    """Thread-safe tallies of write-lock holds by holder, logged every `every` seconds."""

    def __init__(self, every: float = DEFAULT_EVERY_SECONDS) -> None:
        self.every = every
        self._tallies: dict[str, Tally] = {}
        self._mutex = threading.Lock()
        self._last_log = time.monotonic()

    @staticmethod
    def holder(depth: int = 2) -> str:
        """The qualified name of the first caller outside the lock's plumbing."""
        frame = sys._getframe(depth)
        while frame is not None and frame.f_code.co_filename.startswith(_PLUMBING):
            frame = frame.f_back  # type: ignore[assignment]
        return frame.f_code.co_qualname if frame is not None else "?"

    def add(self, holder: str, seconds: float, cpu_seconds: float = 0.0) -> None:
        with self._mutex:
            tally = self._tallies.setdefault(holder, Tally())
            tally.holds += 1
            tally.seconds += seconds
            tally.cpu_seconds += cpu_seconds
            due = time.monotonic() - self._last_log >= self.every
        if due:
            self.log()

    def snapshot(self) -> dict[str, Tally]:
        with self._mutex:
            return {
                name: Tally(t.holds, t.seconds, t.cpu_seconds) for name, t in self._tallies.items()
            }

    def log(self) -> None:
        """One line per holder, the longest total first: the tallies since the process started."""
        with self._mutex:
            self._last_log = time.monotonic()
        for name, tally in sorted(self.snapshot().items(), key=lambda kv: -kv[1].seconds):
            # WARNING: switched on by its own setting, it shows whatever LOG_LEVEL says.
            logger.warning(
                "write lock: pid=%d %s holds=%d mean=%.2fms cpu=%.2fms total=%.2fs",
                os.getpid(),
                name,
                tally.holds,
                1000 * tally.seconds / tally.holds,
                1000 * tally.cpu_seconds / tally.holds,
                tally.seconds,
            )
