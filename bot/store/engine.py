"""Database URLs to SQLAlchemy engines: SQLite (WAL, a busy timeout) or PostgreSQL through psycopg, pooled.

One engine per store. The pool keeps connections between statements (opening one cost more
than the statements: a claim 1.3 ms against 0.02 ms) and, on PostgreSQL, checks a kept
connection before use, so a connection the server ended (a restart, a failover, an idle
timeout, `pg_terminate_backend`) is replaced instead of failing the statement, and the store
recovers by itself when the database comes back.

The check costs no round trip (issue 17): a server that ends a connection sends its last
words (a FATAL) and closes the socket, so a kept connection whose socket has something to
read while it sits unused in the pool is dead. SQLAlchemy's `pool_pre_ping` (a `SELECT 1`
per checkout) found the same, for a round trip per transaction: 3.25 of a job's 25 or so.
A connection unused for longer than `_PING_AFTER_IDLE_SECONDS` still gets the real ping (a
link cut without a FIN leaves the socket quiet), and a connection that fails mid-statement
invalidates the pool as before, so the next checkouts open new ones.
"""

from __future__ import annotations

import os
import select
import time
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

# Open PostgreSQL connections per process at most. Kept small: a hobby-tier database allows
# 20 connections in all, and gunicorn runs two workers (plus any other instance).
PG_POOL_SIZE = 5
# How long a statement waits for a free connection before failing.
POOL_WAIT_SECONDS = 30.0
# A kept PostgreSQL connection unused this long is pinged (SELECT 1) before use.
_PING_AFTER_IDLE_SECONDS = 10.0
# psycopg prepares a statement server-side the second time a connection runs it: the server
# then skips its parse and plan (the backend's CPU per job 6.3-7.3 -> 4.1-5.1 ms, issue 17),
# and after five runs PostgreSQL keeps a generic plan where it is no dearer, which the
# table maintenance's ANALYZE (bot.store.maintenance) keeps in step with the tables' growth.
_PREPARE_THRESHOLD = 2

# A SQLite connection checkpoints the WAL in the commit that takes it past this many pages
# (about 80 MB of 4 KB pages) instead of SQLite's 1,000: the bot's own thread does it outside
# the commits (bot.store.checkpoint), and this bounds the WAL when no such thread runs.
WAL_SAFETY_PAGES = 20_000

_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def sqlalchemy_url(database_url: str) -> str:
    """DATABASE_URL as SQLAlchemy names it: postgres:// (Heroku's form) and postgresql:// use psycopg 3."""
    scheme, sep, rest = database_url.partition(":")
    if scheme.lower() in ("postgres", "postgresql", "postgresql+psycopg") and sep:
        return "postgresql+psycopg:" + rest
    if database_url.startswith("sqlite:///") and len(database_url) > len("sqlite:///"):
        return database_url
    raise ValueError("database URL must be sqlite:///path or postgresql://...")


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL, None for PostgreSQL."""
    url = make_url(sqlalchemy_url(database_url))
    return Path(url.database or "") if url.get_backend_name() == "sqlite" else None


def open_engine(database_url: str, *, prepared_statements: bool = True) -> Engine:
    """The engine for `database_url`; `prepared_statements=False` for a PostgreSQL pooler that breaks them."""
    url = sqlalchemy_url(database_url)
    # hide_parameters: an error's message (which reaches the log) names the statement, never
    # the values (message ids are harmless, but a rule beats remembering which are).
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            # timeout = busy_timeout: a writer waits up to 30 s for another process's lock
            # instead of failing.
            connect_args={"timeout": POOL_WAIT_SECONDS},
            hide_parameters=True,
            # No pre-ping: a SQLite connection has no server to end it (a replaced file is
            # caught by _same_file below), and the ping was a statement more per transaction.
            pool_size=PG_POOL_SIZE,
            max_overflow=10,
            # "Was this row new?" is the claim: keep the driver's rowcount for every statement.
            execution_options={"preserve_rowcount": True},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        path = sqlite_path(database_url)
        assert path is not None
        event.listen(engine, "connect", _remember_file(path))
        event.listen(engine, "checkout", _same_file(path))
    else:
        engine = create_engine(
            url,
            pool_size=PG_POOL_SIZE,
            max_overflow=0,
            pool_timeout=POOL_WAIT_SECONDS,
            # Server-side prepared statements unless turned off: pgbouncer in transaction mode
            # before 1.21 (or without max_prepared_statements) hands a session's statements to
            # another session (CERTMATCH_PG_PREPARED_STATEMENTS=off, docs/reliability.md).
            connect_args={"prepare_threshold": _PREPARE_THRESHOLD if prepared_statements else None},
            hide_parameters=True,
            execution_options={"preserve_rowcount": True},
        )
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _check_alive)
    _ENGINES.add(engine)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets several processes read while one writes. synchronous=NORMAL is safe with WAL:
        # a power cut can lose the last few commits but never corrupts the file (SQLite's
        # documentation); FULL made every commit an fsync (1.3 ms each).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_SAFETY_PAGES}")
    finally:
        cursor.close()


def _file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the database file, None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _remember_file(path: Path) -> Any:
    def remember(dbapi_connection: Any, record: Any) -> None:
        record.info["file_id"] = _file_id(path)

    return remember


def _same_file(path: Path) -> Any:
    def check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        # A kept connection stays on the file it opened; if the path now names another file
        # (restored from a backup, moved away) the pool must open a new one, as a connection
        # per statement would have.
        if record.info.get("file_id") != _file_id(path):
            raise exc.DisconnectionError("the database file was replaced")

    return check


def _note_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _check_alive(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    # A fresh connection (no checkin yet) was opened just now: nothing to check.
    idle_since = record.info.get("idle_since")
    if idle_since is None:
        return
    if dbapi_connection.closed or dbapi_connection.broken or _has_unread_input(dbapi_connection):
        raise exc.DisconnectionError("the server ended this connection")
    if time.monotonic() - idle_since > _PING_AFTER_IDLE_SECONDS:
        try:
            # Outside a transaction: at a ROLLBACK psycopg deallocates every statement the
            # session prepared (they would be prepared and planned again, issue 17).
            dbapi_connection.autocommit = True
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.autocommit = False
        except Exception as error:
            raise exc.DisconnectionError("the kept connection no longer answers") from error


def _has_unread_input(dbapi_connection: Any) -> bool:
    """True when an idle psycopg connection's socket can be read: the server's goodbye, or EOF."""
    try:
        poller = select.poll()  # not select(): no limit on the descriptor's number
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _forget_inherited_connections() -> None:
    # A forked child (gunicorn without --preload still forks after imports) must not use the
    # parent's connections: they are the parent's sessions. dispose(close=False) drops them
    # from this process's pool without closing them under the parent.
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)
