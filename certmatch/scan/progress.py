"""A one-line progress bar on a terminal's stderr, shown only when work takes more than a moment."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """`advance(n)` as work completes, `close()` at the end; silent unless `stream` is a TTY.

    Why the delay: a scan of a few files finishes before a bar would be readable, and a bar
    that flashes and vanishes is noise. Redraws are rate-limited so the bar costs nothing.
    """

    def __init__(
        self, total: int, stream: TextIO, label: str = "scanning", delay: float = 0.5
    ) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream
        self.label = label
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.delay = delay
        self.last_draw = 0.0
        self.drawn = False

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.delay or now - self.last_draw < 0.1:
            return
        self.last_draw = now
        self.drawn = True
        fraction = min(self.done / self.total, 1.0)
        width = 30
        filled = int(fraction * width)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(
            f"\r{self.label} [{bar}] {self.done:,}/{self.total:,} files {fraction:4.0%}"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")  # erase the bar so the report starts clean
            self.stream.flush()
