"""The reminder poller: a thread posting due expiry reminders every poll interval, drained on SIGTERM like the job workers."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from bot.reminders import Reminders

logger = logging.getLogger("certmatch.bot")


class ReminderPoller:
    """A daemon thread calling `Reminders.run_due` at start and then every poll interval.

    Drained like the job workers on SIGTERM (bot.wiring.Bot.stop_workers): `stop_taking()`
    makes it take no more reminders; `stop(seconds)` waits for the one being posted and gives
    it back if the bound passes first.
    """

    def __init__(self, reminders: Reminders, client: WebClient) -> None:
        self.reminders = reminders
        self.client = client
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="certmatch-reminders", daemon=True)

    def start(self) -> ReminderPoller:
        self._thread.start()
        return self

    def stop_taking(self) -> None:
        self._stop.set()

    def stop(self, seconds: float = 5.0) -> int:
        """Take no more; wait up to `seconds` for the poll in hand; return how many reminders
        were given back because it did not finish."""
        self._stop.set()
        self._thread.join(seconds)
        if not self._thread.is_alive():
            return 0
        return self.reminders.release_in_hand()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reminders.run_due(self.client, stopping=self._stop.is_set)
            except Exception:
                # The database is away, most likely: the next poll tries again.
                logger.exception("reminder poll failed")
            if self._stop.wait(self.reminders.poll_seconds):
                return
