"""The clock the engine tests' time bounds read: this thread's CPU time, the engine's own work."""

from __future__ import annotations

import time


def engine_seconds() -> float:
    """Seconds this thread has run (time.thread_time): what a bound on the engine's work measures.

    The engine is single-threaded and does no I/O, so on an idle machine this advances as wall
    time does. On a shared one (four xdist workers on two cores, other people's jobs) wall time
    also counts whoever else ran meanwhile: at load 14 a hostile input that takes 0.9 s idle
    took over 3 s of wall time and failed its 3 s bound for the neighbours' sake.
    """
    return time.thread_time()
