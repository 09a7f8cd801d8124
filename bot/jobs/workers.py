"""Worker threads that take jobs from the queue: woken at once for this process's own events, polling for the rest.

The rest are jobs other processes queued, and jobs a dead process left behind (taken once
their lease has passed). A worker asks the table again at once only when its last take was
full (more may be ready) or when this process queued a job since that take began; otherwise
it waits. It used to count one wake-up per queued job and spend each on a take, so a job
taken in a batch, or by another worker, left a take that found nothing: under sustained
load 58 % of takes were empty, about two takes (on SQLite two waits for the write lock)
per answered job (issue 17, docs/performance.md).

`stop(seconds)` is the SIGTERM path: take no new job, let the jobs in hand finish for up to
`seconds`, and give back those that did not, so the next process answers them at once
instead of after their lease."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.jobs.queue import Job, JobQueue

logger = logging.getLogger("certmatch.bot")

# How often an idle worker looks at the table (jobs of other processes, expired leases).
POLL_SECONDS = 0.5
# Jobs a worker takes in one statement (fewer round trips and commits per job). A few, so
# a slow job holds back little: the rest of a batch goes back when half the lease is gone.
TAKE_AT_ONCE = 4
# After the database failed to hand out a job, wait this long before asking again.
_DB_DOWN_PAUSE = 1.0


class Workers:
    def __init__(
        self,
        queue: JobQueue,
        client: WebClient,
        run: Callable[[WebClient, Job], None],
        count: int,
        batch: int = TAKE_AT_ONCE,
        batch_scope: Callable[[list[Job]], AbstractContextManager[None]] | None = None,
    ) -> None:
        self.queue = queue
        self.client = client
        self._run = run
        # Around the jobs of one take, given them (JobRunner.batch: they are finished together).
        self._batch_scope = batch_scope or (lambda jobs: nullcontext())
        self._count = count
        self._batch = batch
        self._wake = threading.Condition()
        self._queued = 0  # jobs this process queued so far: a take that began before one missed it
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        # Per worker thread: the job running and the rest of its batch.
        self._in_hand: dict[int, list[Job]] = {}
        self._lock = threading.Lock()
        self._queue_down = False  # logged once per outage, not once per worker per second

    def start(self) -> Workers:
        for n in range(self._count):
            thread = threading.Thread(target=self._loop, name=f"certmatch-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def notify(self) -> None:
        """A job was queued by this process: wake one idle worker."""
        with self._wake:
            self._queued += 1
            self._wake.notify()

    def stop(self, seconds: float) -> int:
        """Stop taking jobs; wait up to `seconds`; give back what is still running; return that count."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        deadline = time.monotonic() + seconds
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            left = [job for jobs in self._in_hand.values() for job in jobs]
        self._give_back(left)
        # The Web API client's kept-alive connections (bot.keepalive) end with the workers.
        close = getattr(self.client, "close_connections", None)
        if close is not None:
            close()
        return len(left)

    @property
    def busy(self) -> int:
        with self._lock:
            return sum(1 for jobs in self._in_hand.values() if jobs)

    def _loop(self) -> None:
        ident = threading.get_ident()
        while not self._stopping.is_set():
            with self._wake:
                queued_before = self._queued
            try:
                jobs = self.queue.take_many(self._batch)
            except SQLAlchemyError as exc:
                self._note_outage(exc)
                self._stopping.wait(_DB_DOWN_PAUSE)
                continue
            except Exception:
                logger.exception("job queue failed")
                self._stopping.wait(_DB_DOWN_PAUSE)
                continue
            if self._queue_down:
                with self._lock:
                    if self._queue_down:
                        self._queue_down = False
                        logger.warning("job queue available again")
            if jobs:
                self._run_batch(ident, jobs, time.monotonic())
            if len(jobs) < self._batch:
                # Nothing more was ready when the take ran: wait for a job queued since.
                self._idle(queued_before)

    def _run_batch(self, ident: int, jobs: list[Job], taken_at: float) -> None:
        with self._lock:
            self._in_hand[ident] = list(jobs)
        try:
            with self._batch_scope(jobs):
                self._run_each(ident, jobs, taken_at)
        finally:
            with self._lock:
                self._in_hand.pop(ident, None)

    def _run_each(self, ident: int, jobs: list[Job], taken_at: float) -> None:
        for n, job in enumerate(jobs):
            late = time.monotonic() - taken_at > self.queue.lease_seconds / 2
            if n and (late or self._stopping.is_set()):
                # Stopping, or so slow that the lease nears its end: the rest go back now
                # rather than be taken by another process while this one still holds them.
                self._give_back(jobs[n:])
                return
            self._run(self.client, job)
            with self._lock:
                self._in_hand[ident] = jobs[n + 1 :]

    def _give_back(self, jobs: list[Job]) -> None:
        for job in jobs:
            try:
                self.queue.release(job)
            except SQLAlchemyError:
                logger.warning("could not give job %s back; its lease expires instead", job.key)

    def _note_outage(self, exc: Exception) -> None:
        with self._lock:
            first, self._queue_down = not self._queue_down, True
        if first:
            logger.warning(
                "job queue unavailable (%s); workers retry every %.0f s",
                type(exc).__name__,
                _DB_DOWN_PAUSE,
            )

    def _idle(self, queued_before: int) -> None:
        with self._wake:
            if self._queued == queued_before and not self._stopping.is_set():
                self._wake.wait(POLL_SECONDS)
