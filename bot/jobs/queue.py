"""The durable job queue in the bot's own database: enqueue before the ack, take with a lease, finish or release.

A job is a row (`bot.store.schema`, table `jobs`). Enqueueing is the claim: the job key is
the primary key, so a message Slack delivers twice is queued once, by any process. Taking a
job moves its `available_at` to the end of a lease (30 s by default) and names the owner; a
process that dies leaves the row as it was, and any process takes it again once the lease
has passed. On PostgreSQL the take is `UPDATE ... WHERE job_key = (SELECT ... FOR UPDATE
SKIP LOCKED)`, so several processes never wait on one another's rows; on SQLite the same
UPDATE is atomic because SQLite runs one writer at a time.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from bot.store import Store

# Refuse new events (503, Slack retries) beyond this many waiting jobs: at ~200 answered per
# second that is under a minute of backlog per instance, and the table stays small.
DEFAULT_MAX_WAITING = 10_000
# How stale the waiting count may be: it costs one indexed count per second per process,
# and the bound may be overshot by one second's intake.
_COUNT_EVERY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Job:
    key: str
    kind: str
    payload: str | None
    attempts: int  # including this one


class QueueFull(Exception):
    """More jobs wait than the bound: the event is refused for Slack to retry."""


class JobQueue:
    """One per process; thread-safe."""

    def __init__(
        self,
        store: Store,
        *,
        lease_seconds: float = 30.0,
        max_waiting: int = DEFAULT_MAX_WAITING,
    ) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self.max_waiting = max_waiting
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._jobs = store.tables.jobs
        self._count_lock = threading.Lock()
        self._counted_at = float("-inf")
        self._waiting = 0

    def enqueue(self, key: str, kind: str, payload: str, now: float | None = None) -> bool:
        """Write the job; True if new, False if already queued (a retry). Raises when the database fails."""
        if self.waiting() >= self.max_waiting:
            raise QueueFull(f"{self._waiting} jobs waiting (bound {self.max_waiting})")
        at = time.time() if now is None else now
        row = {
            "job_key": key,
            "kind": kind,
            "payload": payload,
            "state": "queued",
            "available_at": at,
            "lease_owner": None,
            "attempts": 0,
            "created_at": at,
        }
        stmt = self.store.insert(self._jobs).values(row).on_conflict_do_nothing()
        with self.store.engine.begin() as conn:
            added = conn.execute(stmt).rowcount == 1
        if added:
            with self._count_lock:
                self._waiting += 1
        return added

    def waiting(self) -> int:
        """Jobs not yet done (queued or in hand), recounted at most once a second."""
        now = time.monotonic()
        with self._count_lock:
            if now - self._counted_at < _COUNT_EVERY_SECONDS:
                return self._waiting
            self._counted_at = now
        j = self._jobs
        stmt = select(func.count()).select_from(j).where(j.c.state == "queued")
        with self.store.engine.connect() as conn:
            count = int(conn.execute(stmt).scalar_one())
        with self._count_lock:
            self._waiting = count
        return count

    def take(self, now: float | None = None) -> Job | None:
        """Lease the oldest ready job to this process, or None when none is ready."""
        at = time.time() if now is None else now
        j = self._jobs
        ready = (
            select(j.c.job_key)
            .where(j.c.state == "queued", j.c.available_at <= at)
            .order_by(j.c.available_at)
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
            .scalar_subquery()
        )
        stmt = (
            update(j)
            .where(j.c.job_key == ready, j.c.state == "queued")
            .values(
                lease_owner=self.owner,
                available_at=at + self.lease_seconds,
                attempts=j.c.attempts + 1,
            )
            .returning(j.c.job_key, j.c.kind, j.c.payload, j.c.attempts)
        )
        with self.store.engine.begin() as conn:
            row = conn.execute(stmt).first()
        return Job(str(row[0]), str(row[1]), row[2], int(row[3])) if row is not None else None

    def finish(self, job: Job, now: float | None = None) -> None:
        """Done: the payload (the message's text) is deleted, the key stays as the claim."""
        self._set(job, state="done", payload=None, lease_owner=None, finished_at=now or time.time())
        with self._count_lock:
            self._waiting = max(0, self._waiting - 1)

    def release(self, job: Job, delay: float = 0.0) -> None:
        """Give the job back, for this or another process to take after `delay` seconds."""
        self._set(job, lease_owner=None, available_at=time.time() + delay)

    def _set(self, job: Job, **values: Any) -> None:
        j = self._jobs
        stmt = (
            update(j)
            .where(j.c.job_key == job.key, j.c.lease_owner == self.owner, j.c.state == "queued")
            .values(**values)
        )
        with self.store.engine.begin() as conn:
            conn.execute(stmt)

    def states(self) -> dict[str, str]:
        """Every job's state by key (tests and the benchmark)."""
        j = self._jobs
        with self.store.engine.connect() as conn:
            return {str(k): str(s) for k, s in conn.execute(select(j.c.job_key, j.c.state))}
