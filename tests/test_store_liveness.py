"""The pool's check of a kept PostgreSQL connection (bot.store.engine): free while the socket is
quiet, a real ping only after a long idle, and a dead socket replaced without a statement."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import exc, text

from bot.store import Store, engine
from tests.conftest import POSTGRES_URL
from tests.fingerprint_rows import numbered_fingerprint


class _Conn:
    """A psycopg connection as the check sees it: a socket, flags, and the statements sent."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed = False
        self.broken = False
        self.autocommit = False
        self.sent: list[str] = []

    def fileno(self) -> int:
        return self.sock.fileno()

    def execute(self, sql: str) -> None:
        self.sent.append(f"{sql} (autocommit)" if self.autocommit else sql)

    def rollback(self) -> None:
        self.sent.append("ROLLBACK")


class _Record:
    def __init__(self) -> None:
        self.info: dict[str, Any] = {}


def _kept(sock: socket.socket) -> tuple[_Conn, _Record]:
    """A connection as the pool holds it after its first checkin."""
    conn, record = _Conn(sock), _Record()
    engine._note_checkin(conn, record)
    return conn, record


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, server = socket.socketpair()
    try:
        yield ours, server
    finally:
        ours.close()
        server.close()


def test_a_connection_just_opened_is_not_checked(pair: tuple[socket.socket, socket.socket]) -> None:
    conn, record = _Conn(pair[0]), _Record()
    pair[1].sendall(b"E")  # even with input waiting: a new connection has no checkin yet
    engine._check_alive(conn, record, None)
    assert conn.sent == []


def test_a_kept_connection_with_a_quiet_socket_is_used_without_a_round_trip(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    conn, record = _kept(pair[0])
    engine._check_alive(conn, record, None)
    assert conn.sent == []


@pytest.mark.parametrize("goodbye", ["fatal", "eof", "broken", "closed"])
def test_a_kept_connection_the_server_ended_is_replaced(
    pair: tuple[socket.socket, socket.socket], goodbye: str
) -> None:
    conn, record = _kept(pair[0])
    if goodbye == "fatal":
        pair[1].sendall(b"E\x00\x00\x00\x05F")  # the server's last words before it closes
    elif goodbye == "eof":
        pair[1].close()
    else:
        setattr(conn, goodbye, True)
    with pytest.raises(exc.DisconnectionError):
        engine._check_alive(conn, record, None)
    assert conn.sent == []


def test_a_connection_idle_for_long_is_pinged_and_replaced_when_the_ping_fails(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    conn, record = _Conn(pair[0]), _Record()
    record.info["idle_since"] = time.monotonic() - engine._PING_AFTER_IDLE_SECONDS - 1
    engine._check_alive(conn, record, None)
    # No transaction to end: psycopg forgets the session's prepared statements at a ROLLBACK.
    assert conn.sent == ["SELECT 1 (autocommit)"] and conn.autocommit is False

    def refuse(sql: str) -> None:
        raise OSError("no answer")

    conn.execute = refuse  # type: ignore[method-assign]
    with pytest.raises(exc.DisconnectionError):
        engine._check_alive(conn, record, None)


@pytest.mark.postgres
def test_the_ping_leaves_the_sessions_prepared_statements_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "PG_POOL_SIZE", 1)  # every checkout is the same session
    store = Store.open(POSTGRES_URL, f"l{uuid.uuid4().hex[:12]}_")
    try:
        for _ in range(3):  # prepared at the second run
            store.related_fingerprints(numbered_fingerprint(1, "C1"))
        assert _prepared(store) > 0
        monkeypatch.setattr(engine, "_PING_AFTER_IDLE_SECONDS", 0.0)
        time.sleep(0.01)
        assert _prepared(store) > 0  # this checkout was pinged
    finally:
        store.drop_tables()
        store.close()


def _prepared(store: Store) -> int:
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return int(conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one())
