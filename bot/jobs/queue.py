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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, select, update

from bot.jobs.grouped import GroupedInsert
from bot.jobs.replies import reply_ts_update
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
        # SQLite: the enqueues of this process's threads that meet at the write lock share
        # one INSERT and one commit (bot.jobs.grouped).
        self._grouped = (
            GroupedInsert(self._insert_rows, "job_key") if store.backend == "sqlite" else None
        )

    def _insert_rows(self, take: Callable[[], list[dict[str, Any]]]) -> set[str]:
        """Insert the jobs `take()` names once the write lock is held, in one statement; the keys inserted."""
        j = self._jobs
        # Built and compiled once: SQLAlchemy sends the rows as one multi-row INSERT
        # ("insertmanyvalues"); a new .values(rows) statement cost its compile under the lock.
        stmt = self.store.statements.get("enqueue_many")
        if stmt is None:
            stmt = self.store.statements["enqueue_many"] = self.store.insert_new(j).returning(
                j.c.job_key
            )
        with self.store.single() as conn:
            rows = take()
            return {str(k) for (k,) in conn.execute(stmt, rows)}

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
        if self._grouped is not None:
            added = self._grouped.add(row)
        else:
            with self.store.single() as conn:
                added = conn.execute(self.store.insert_new(self._jobs), row).rowcount == 1
        if added:
            with self._count_lock:
                self._waiting += 1
        return added

    def waiting(self) -> int:
        """Jobs not yet done (queued or in hand), recounted at most once a second.

        Between recounts this process's own enqueues and finishes move it; one that races a
        recount can be missed until the next. Good enough for the bound it guards.
        """
        now = time.monotonic()
        with self._count_lock:
            if now - self._counted_at < _COUNT_EVERY_SECONDS:
                return self._waiting
            self._counted_at = now
        j = self._jobs
        stmt = select(func.count()).select_from(j).where(j.c.state == "queued")
        with self.store.connect() as conn:  # a read: not under SQLite's write lock
            count = int(conn.execute(stmt).scalar_one())
        with self._count_lock:
            self._waiting = count
        return count

    def take(self, now: float | None = None) -> Job | None:
        """Lease the oldest ready job to this process, or None when none is ready."""
        jobs = self.take_many(1, now)
        return jobs[0] if jobs else None

    def take_many(self, limit: int, now: float | None = None) -> list[Job]:
        """Lease up to `limit` of the oldest ready jobs to this process, in one statement."""
        at = time.time() if now is None else now
        stmt = self.store.statements.get("take_jobs")
        if stmt is None:
            j = self._jobs
            ready = (
                select(j.c.job_key)
                .where(j.c.state == "queued", j.c.available_at <= bindparam("now"))
                .order_by(j.c.available_at)
                .limit(bindparam("limit"))
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
            )
            taken: ColumnElement[bool] = j.c.job_key.in_(ready.scalar_subquery())
            if self.store.engine.dialect.name != "sqlite":
                # PostgreSQL looks each key up by the primary key either way (the subquery
                # locked the rows: the state is as it read it).
                taken = and_(taken, j.c.state == "queued")
            # On SQLite the outer `state = 'queued'` made the planner walk every queued row of
            # jobs_ready and test its key against the list: a take cost grew with the backlog
            # (10 ms at 1,900 waiting, one writer). Without it each key is one primary-key
            # search; the subquery chose them under the one write lock, so they are queued.
            stmt = self.store.statements["take_jobs"] = (
                update(j)
                .where(taken)
                .values(
                    lease_owner=bindparam("owner"),
                    available_at=bindparam("until"),
                    attempts=j.c.attempts + 1,
                )
                .returning(j.c.job_key, j.c.kind, j.c.payload, j.c.attempts, j.c.created_at)
            )
        params = {"now": at, "limit": limit, "owner": self.owner, "until": at + self.lease_seconds}
        with self.store.single() as conn:  # one statement: atomic in autocommit
            rows = list(conn.execute(stmt, params))
        # RETURNING's order is not the subquery's: oldest first again.
        rows.sort(key=lambda r: (r[4], r[0]))
        return [Job(str(r[0]), str(r[1]), r[2], int(r[3])) for r in rows]

    def finish(self, job: Job, now: float | None = None, *, reply_ts: str | None = None) -> None:
        """Done: the payload (the message's text) is deleted, the key stays as the claim.

        With `reply_ts`, the ts of the job's reply (its reply key is the job key) is stored in
        the same commit: on PostgreSQL one statement in autocommit (the reply's UPDATE as a
        data-modifying CTE), one round trip where a transaction of two UPDATEs took four.
        """
        params = {"finished_at": now or time.time(), "key": job.key, "owner": self.owner}
        if reply_ts is None:
            with self.store.single() as conn:
                conn.execute(self._finish_stmt(), params)
        elif self.store.backend == "postgresql":
            with self.store.single() as conn:
                conn.execute(self._finish_stmt(with_ts=True), {**params, "ts": reply_ts})
        else:
            with self.store.begin() as conn:
                conn.execute(reply_ts_update(self.store), {"key": job.key, "ts": reply_ts})
                conn.execute(self._finish_stmt(), params)
        with self._count_lock:
            self._waiting = max(0, self._waiting - 1)

    def finish_many(self, done: Sequence[tuple[Job, str | None]], now: float | None = None) -> None:
        """`finish` for several jobs (each with its reply's ts, or None), in one commit.

        A worker finishes the jobs of one take together (bot.jobs.runner): on SQLite one wait
        for the write lock instead of one a job, on PostgreSQL the UPDATEs pipelined in one
        transaction instead of a round trip and a commit each (issue 17).
        """
        if not done:
            return
        if len(done) == 1:  # alone: finish's own statement (on PostgreSQL one round trip)
            ((job, ts),) = done
            self.finish(job, now, reply_ts=ts)
            return
        at = now or time.time()
        finishing = [{"finished_at": at, "key": job.key, "owner": self.owner} for job, _ in done]
        stored = [{"key": job.key, "ts": ts} for job, ts in done if ts is not None]
        with self.store.begin() as conn:
            if stored:
                conn.execute(reply_ts_update(self.store), stored)
            conn.execute(self._finish_stmt(), finishing)
        with self._count_lock:
            self._waiting = max(0, self._waiting - len(done))

    def release(self, job: Job, delay: float = 0.0) -> None:
        """Give the job back, for this or another process to take after `delay` seconds."""
        stmt = self.store.statements.get("release_job")
        if stmt is None:
            j = self._jobs
            stmt = self.store.statements["release_job"] = (
                update(j)
                .where(*self._held())
                .values(lease_owner=None, available_at=bindparam("available_at"))
            )
        params = {"available_at": time.time() + delay, "key": job.key, "owner": self.owner}
        with self.store.single() as conn:
            conn.execute(stmt, params)

    def _held(self) -> list[ColumnElement[bool]]:
        """The job's row while this process holds it (a job taken over by another is left alone)."""
        j = self._jobs
        return [
            j.c.job_key == bindparam("key"),
            j.c.lease_owner == bindparam("owner"),
            j.c.state == "queued",
        ]

    def _finish_stmt(self, *, with_ts: bool = False) -> Any:
        name = "finish_job_with_ts" if with_ts else "finish_job"
        stmt = self.store.statements.get(name)
        if stmt is None:
            j = self._jobs
            stmt = (
                update(j)
                .where(*self._held())
                .values(
                    lease_owner=None,
                    state="done",
                    payload=None,
                    finished_at=bindparam("finished_at"),
                )
            )
            if with_ts:
                stmt = stmt.add_cte(reply_ts_update(self.store).cte("stored_reply_ts"))
            self.store.statements[name] = stmt
        return stmt

    def states(self) -> dict[str, str]:
        """Every job's state by key (tests and the benchmark)."""
        j = self._jobs
        with self.store.engine.connect() as conn:
            return {str(k): str(s) for k, s in conn.execute(select(j.c.job_key, j.c.state))}
