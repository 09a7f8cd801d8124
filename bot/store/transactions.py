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
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Connection, Engine


class ThreadTransactions:
    """The thread's open transaction, if any, for one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Reads outside a transaction, and single statements: each commits by itself, so
        # PostgreSQL sees the statement alone instead of a BEGIN, the statement and a
        # COMMIT or ROLLBACK (three round trips, issue 17). Same pool as the engine.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
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
                    self._local.conn.rollback()
                raise
            return
        self._local.open, self._local.conn = True, None
        try:
            yield
            if self._local.conn is not None:
                self._local.conn.commit()
        finally:
            conn, self._local.open, self._local.conn = self._local.conn, False, None
            if conn is not None:
                conn.close()  # after an exception: rolled back

    def begin(self) -> AbstractContextManager[Connection]:
        """`engine.begin()`, or the thread's transaction when one is open (committed with it)."""
        return self._own_or_joined(self._engine.begin)

    def connect(self) -> AbstractContextManager[Connection]:
        """A connection to read with: the thread's transaction when one is open, else one in autocommit."""
        return self._own_or_joined(self._autocommit.connect)

    def single(self) -> AbstractContextManager[Connection]:
        """A connection in autocommit for one statement (atomic by itself), never the thread's transaction."""
        return self._autocommit.connect()

    @contextmanager
    def _own_or_joined(
        self, own: Callable[[], AbstractContextManager[Connection]]
    ) -> Iterator[Connection]:
        if not getattr(self._local, "open", False):
            with own() as conn:
                yield conn
            return
        joined: Connection | None = self._local.conn
        if joined is None:
            joined = self._local.conn = self._engine.connect()
        with _rolled_back_on_error(joined):
            yield joined


@contextmanager
def _rolled_back_on_error(conn: Connection) -> Iterator[None]:
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
