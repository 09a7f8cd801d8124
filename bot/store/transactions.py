"""One connection and one commit for a unit of work: what a thread does through the store inside `transaction()`.

A job used to take a pooled connection (on PostgreSQL a pre-ping, a BEGIN, a COMMIT or
ROLLBACK) for each of its dozen statements: most of the PostgreSQL server's CPU per job, and
a share of the bot's (issue 17, docs/performance.md). Inside `transaction()` every store
method on the same thread (bot.store, bot.store.reminders, bot.jobs.replies) joins that one
connection, and it commits once at the end.

A block nested in the transaction that raises rolls the whole transaction back before the
exception leaves it: everything written so far in it is gone, and the connection is usable
again (PostgreSQL refuses every statement after a failed one until then). A caller that
catches the exception knows its block's writes were not kept, nor any earlier in the
transaction; later statements start a new transaction on the same connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Connection, Engine

from bot.store.writelock import WriteLock


class ThreadTransactions:
    """The thread's open transaction, if any, for one engine."""

    def __init__(self, engine: Engine, write_lock: WriteLock | None = None) -> None:
        self._engine = engine
        # SQLite: every write waits for the host-wide write lock (bot.store.writelock), taken
        # at a transaction's first write and kept to its commit or rollback.
        self._write_lock = write_lock
        # Reads outside a transaction, and single statements: on PostgreSQL each commits by
        # itself, so the server is sent the statement alone instead of a BEGIN, the statement
        # and a COMMIT or ROLLBACK (three round trips, issue 17). Same pool as the engine.
        # Not on SQLite: pysqlite never opens a transaction for a read anyway, and a
        # connection in autocommit costs a PRAGMA each time the pool resets it.
        self._autocommit = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name != "sqlite"
            else None
        )
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything the store does on this thread inside: one connection, committed at the end.

        The connection is taken at the first statement, not here: a job fetches its files
        first, and a connection held from before then would miss a database replaced (or
        restarted) meanwhile, which a connection taken later is checked against
        (bot.store.engine).
        """
        if getattr(self._local, "open", False):
            try:
                yield
            except BaseException:
                if self._local.conn is not None:
                    self._rollback(self._local.conn)
                raise
            return
        self._local.open, self._local.conn, self._local.locked = True, None, False
        try:
            yield
            if self._local.conn is not None:
                self._local.conn.commit()
            # The next writer may go as soon as this one has committed, not after the
            # connection's return to the pool (its reset, the pool's own bookkeeping).
            self._unlock()
        finally:
            conn, self._local.open, self._local.conn = self._local.conn, False, None
            try:
                if conn is not None:
                    conn.close()  # after an exception: rolled back
            finally:
                self._unlock()

    def reads(self) -> AbstractContextManager[None]:
        """Reads on one connection where that is free: on SQLite `transaction()` (pysqlite
        begins nothing for a read, and a checkout costs a stat of the file: bot.store.engine);
        on PostgreSQL one connection in autocommit for the block's reads (a transaction would
        cost its BEGIN and COMMIT round trips; each read checking out its own cost the pool's
        checkout and return, 4.7 % of the bot's samples for a job's two reads, issue 17)."""
        return self.transaction() if self._autocommit is None else self._shared_reads()

    @contextmanager
    def _shared_reads(self) -> Iterator[None]:
        if getattr(self._local, "open", False) or getattr(self._local, "reading", False):
            yield  # the open transaction (or the outer block) serves them already
            return
        self._local.reading, self._local.read_conn = True, None
        try:
            yield
        finally:
            conn, self._local.read_conn, self._local.reading = self._local.read_conn, None, False
            if conn is not None:
                conn.close()

    @contextmanager
    def _shared_read(self) -> Iterator[Connection]:
        """The block's read connection, taken at its first read (as `transaction()` does)."""
        assert self._autocommit is not None
        conn: Connection | None = self._local.read_conn
        if conn is None:
            conn = self._local.read_conn = self._autocommit.connect()
        try:
            yield conn
        except BaseException:
            # A failed read may have left it broken (the database restarted): the next read
            # of the block takes a fresh one from the pool, checked as every checkout is.
            self._local.read_conn = None
            conn.close()
            raise

    def begin(self) -> AbstractContextManager[Connection]:
        """`engine.begin()`, or the thread's transaction when one is open (committed with it)."""
        return self._own_or_joined(self._engine.connect, write=True)

    def connect(self) -> AbstractContextManager[Connection]:
        """A connection to read with: the thread's transaction when one is open, the block's
        under `reads()`, else one in autocommit."""
        if getattr(self._local, "reading", False) and not getattr(self._local, "open", False):
            return self._shared_read()
        return self._own_or_joined((self._autocommit or self._engine).connect)

    @contextmanager
    def single(self) -> Iterator[Connection]:
        """A connection in autocommit for one statement (atomic by itself), never the thread's transaction."""
        if self._autocommit is not None:
            with self._autocommit.connect() as conn:
                yield conn
            return
        # SQLite: the write lock covers the statement and its commit only, not the pool's
        # checkout (a stat of the file, bot.store.engine) and return. Each step that lets
        # go of the GIL can cost the holder a wait for it behind the process's busy threads
        # while every other writer waits for the lock (issue 17: a one-statement enqueue
        # held it 0.85 ms under load).
        with self._engine.connect() as conn, self._locked(), conn.begin():
            yield conn

    @contextmanager
    def _own_or_joined(
        self, own: Callable[[], AbstractContextManager[Connection]], *, write: bool = False
    ) -> Iterator[Connection]:
        if not getattr(self._local, "open", False):
            with own() as conn:
                if not write:
                    yield conn
                    return
                # The checkout before the write lock, as in single().
                with self._locked(), conn.begin():
                    yield conn
            return
        if write and self._write_lock is not None and not self._local.locked:
            self._write_lock.acquire()
            self._local.locked = True
        joined: Connection | None = self._local.conn
        if joined is None:
            joined = self._local.conn = self._engine.connect()
        try:
            yield joined
        except BaseException:
            self._rollback(joined)
            raise

    def _rollback(self, conn: Connection) -> None:
        try:
            conn.rollback()
        finally:
            self._unlock()  # nothing of the transaction is written any more

    def _unlock(self) -> None:
        if getattr(self._local, "locked", False):
            self._local.locked = False
            assert self._write_lock is not None
            self._write_lock.release()

    def _locked(self) -> AbstractContextManager[None]:
        return self._write_lock.held() if self._write_lock is not None else nullcontext()
