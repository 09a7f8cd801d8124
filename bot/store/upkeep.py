"""A store's upkeep thread: one round every `interval` seconds beside the workers, a database that is away logged once until a round works again.

Its two kinds are SQLite's WAL checkpointer (bot.store.checkpoint) and PostgreSQL's table
maintenance, VACUUM and ANALYZE (bot.store.maintenance); `Store.upkeep()` gives the one for its database and
bot.wiring runs it until the workers stop.
"""

from __future__ import annotations

import logging
import threading
from typing import ClassVar, Generic, Self, TypeVar

logger = logging.getLogger("certmatch.bot")

R = TypeVar("R")


class Upkeep(Generic[R]):
    """Subclasses say what a round does (`round`) and what a database away raises from it."""

    thread_name: ClassVar[str]
    # What `round()` raises when the database is away, and the warning's first words.
    failures: ClassVar[tuple[type[Exception], ...]]
    failure_words: ClassVar[str]
    # A round as soon as the thread starts, or only after the first interval.
    round_at_start: ClassVar[bool] = False

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def round(self) -> R:
        raise NotImplementedError

    def _after(self, done: R) -> None:
        """What a round's answer asks of the thread (nothing, unless a kind says otherwise)."""

    def _run(self) -> None:
        if not self.round_at_start and self._stop.wait(self.interval):
            return
        failing = False
        while True:
            try:
                done = self.round()
            except self.failures as error:
                # The database is away (or a migration holds it): the next round tries again.
                if not failing:
                    logger.warning("%s (%s); retrying", self.failure_words, type(error).__name__)
                failing = True
            else:
                failing = False
                self._after(done)
            if self._stop.wait(self.interval):
                return
