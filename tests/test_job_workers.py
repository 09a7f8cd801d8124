"""The worker threads' wake-ups (bot.jobs.workers): a take per batch of ready jobs, none that finds nothing for a job already taken, and none missed.

A stand-in queue counts the takes; the jobs run through a recording callable. The poll is
set far beyond every wait here, so a job taken only by the poll would fail the test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.jobs import workers as workers_module
from bot.jobs.queue import Job
from bot.jobs.workers import Workers


class CountingQueue:
    """take_many over a list; `hold` makes the next take wait until released (a slow take)."""

    lease_seconds = 30.0

    def __init__(self) -> None:
        self.ready: list[Job] = []
        self.takes: list[int] = []  # jobs each take returned
        self.lock = threading.Lock()
        self.hold: threading.Event | None = None
        self.in_take = threading.Event()

    def add(self, *keys: str) -> None:
        with self.lock:
            self.ready += [Job(k, "message", None, 1) for k in keys]

    def take_many(self, limit: int) -> list[Job]:
        hold = self.hold
        if hold is not None:
            self.hold = None
            self.in_take.set()
            hold.wait(5)
        with self.lock:
            jobs, self.ready = self.ready[:limit], self.ready[limit:]
            self.takes.append(len(jobs))
        return jobs

    def release(self, job: Job) -> None:
        raise AssertionError("nothing is given back in these tests")


def _wait_for(predicate: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture(autouse=True)
def _no_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers_module, "POLL_SECONDS", 60.0)


def _start(queue: CountingQueue, count: int = 1, batch: int = 4) -> tuple[Workers, list[str]]:
    ran: list[str] = []
    workers = Workers(queue, None, lambda client, job: ran.append(job.key), count, batch)  # type: ignore[arg-type]
    return workers.start(), ran


def test_jobs_queued_together_take_one_take_per_batch_and_no_empty_one() -> None:
    queue = CountingQueue()
    workers, ran = _start(queue)
    try:
        _wait_for(lambda: len(queue.takes) == 1)  # the first take at start found nothing
        keys = [f"job-{n}" for n in range(10)]
        queue.add(*keys)
        for _ in keys:  # one wake-up per queued job, as the intake sends them
            workers.notify()
        _wait_for(lambda: len(ran) == 10)
        time.sleep(0.05)  # a stray take, were there one, would come now
    finally:
        workers.stop(1)
    assert ran == keys
    # After the start's empty take: 4 + 4 + 2. The old count of wake-ups spent one take on
    # each of the ten, seven of them finding nothing.
    assert queue.takes[1:] == [4, 4, 2]


def test_a_job_queued_while_a_take_runs_is_taken_without_waiting_for_the_poll() -> None:
    queue = CountingQueue()
    workers, ran = _start(queue)
    try:
        _wait_for(lambda: len(queue.takes) == 1)
        release = threading.Event()
        queue.hold = release
        queue.add("first")
        workers.notify()
        assert queue.in_take.wait(5)  # the take has begun
        queue.add("second")  # queued after the take began: it may miss it
        workers.notify()
        release.set()
        _wait_for(lambda: len(ran) == 2, seconds=3)
    finally:
        workers.stop(1)
    assert ran == ["first", "second"]


def test_a_full_take_is_followed_by_another_at_once() -> None:
    queue = CountingQueue()
    queue.add(*(f"job-{n}" for n in range(6)))
    workers, ran = _start(queue, batch=3)
    try:
        _wait_for(lambda: len(ran) == 6, seconds=3)  # no wake-up at all: the start's take was full
    finally:
        workers.stop(1)
    assert queue.takes[:2] == [3, 3]


def test_stop_wakes_an_idle_worker() -> None:
    queue = CountingQueue()
    workers, _ = _start(queue, count=2)
    _wait_for(lambda: len(queue.takes) == 2)
    started = time.monotonic()
    assert workers.stop(5) == 0
    assert time.monotonic() - started < 2  # not the 60 s poll


def test_the_jobs_of_one_take_run_inside_one_batch_scope() -> None:
    queue = CountingQueue()
    queue.add(*(f"job-{n}" for n in range(6)))
    scopes: list[list[str]] = []
    given: list[list[str]] = []
    ran: list[str] = []

    @contextmanager
    def scope(jobs: list[Job]) -> Iterator[None]:
        given.append([job.key for job in jobs])  # the take's jobs, before any of them runs
        began = len(ran)
        yield
        scopes.append(ran[began:])  # the jobs run inside this scope

    workers = Workers(
        queue,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        lambda client, job: ran.append(job.key),
        1,
        4,
        batch_scope=scope,
    ).start()
    try:
        _wait_for(lambda: len(ran) == 6 and len(scopes) == 2)
    finally:
        workers.stop(1)
    assert scopes == [[f"job-{n}" for n in range(4)], ["job-4", "job-5"]]
    assert given == scopes
