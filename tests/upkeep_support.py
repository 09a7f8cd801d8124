"""Running a store's upkeep thread (bot.store.upkeep) in a test until its rounds have done something."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from bot.store.upkeep import Upkeep


def warnings_until(
    upkeep: Upkeep[Any], until: threading.Event, caplog: pytest.LogCaptureFixture
) -> list[str]:
    """Start `upkeep`, wait for `until` (set by the test's rounds), stop it: what it warned of.

    The thread must have ended with stop()."""
    with caplog.at_level(logging.WARNING, logger="certmatch.bot"):
        upkeep.start()
        try:
            assert until.wait(10)
        finally:
            upkeep.stop()
    assert upkeep._thread is not None and not upkeep._thread.is_alive()
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
