"""The retention window: everything older than `CERTMATCH_RETENTION_DAYS` deleted, at most once an hour a process.

A check asks for the purge (`maybe`) on its way in; the first check of an hour runs it. Retention
must not cost anyone their answer: a purge that fails is logged and tried by the next check.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.store import Store

logger = logging.getLogger("certmatch.bot")

PURGE_EVERY_SECONDS = 3600.0


class Retention:
    """One per process; thread-safe."""

    def __init__(self, store: Store, retention_days: int, clock: Callable[[], float]) -> None:
        self.store = store
        self.retention_days = retention_days
        self.clock = clock
        self._lock = threading.Lock()
        self._last = 0.0

    def purge_now(self) -> None:
        """Delete everything older than the retention window now (safe from every process)."""
        with self._lock:
            self._last = 0.0
        self.maybe()

    def maybe(self) -> None:
        """Purge unless this process purged within the hour."""
        now = self.clock()
        with self._lock:
            if now - self._last < PURGE_EVERY_SECONDS:
                return
            self._last = now
        try:
            removed = self.store.purge(now - self.retention_days * 86400, now=now)
            if removed:
                logger.info("purged %d rows older than %d days", removed, self.retention_days)
        except Exception:
            logger.exception("purge failed")
            with self._lock:
                self._last = 0.0
