"""Shared pytest fixtures: the Slack stand-in, the test PostgreSQL URL, per-test table prefixes,
the bot database on both dialects and a fresh PostgreSQL database for processes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

from standin import SlackStandIn

if TYPE_CHECKING:
    from bot.store import Store

POSTGRES_URL = os.environ.get(
    "CERTMATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    """A running Slack stand-in (Web API, file host, response_url), stopped after the test."""
    server = SlackStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def prefix() -> str:
    """A unique table prefix: parallel runs (other engineers') on one PostgreSQL stay apart."""
    return f"t{uuid.uuid4().hex[:12]}_"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store's URL on SQLite (a file of this test's) and on this machine's PostgreSQL."""
    if request.param == "postgresql":
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def store(store_url: str, prefix: str) -> Iterator[Store]:
    """A store with its tables under this test's prefix, dropped after the test."""
    from bot.store import Store  # only the bot's tests pay for SQLAlchemy

    opened = Store.open(store_url, prefix)
    try:
        yield opened
    finally:
        opened.drop_tables()
        opened.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(database URL, table prefix) on SQLite and on this machine's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.sqlite3'}", "certmatch_"
        return
    from bot.store import Store  # only the bot's tests pay for SQLAlchemy

    table_prefix = f"d{uuid.uuid4().hex[:12]}_"
    yield POSTGRES_URL, table_prefix
    Store(POSTGRES_URL, table_prefix).drop_tables()


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """The URL of a new, empty database on the test PostgreSQL server, dropped afterwards: for
    bot processes, which use the default table prefix (and race to create the schema)."""
    import psycopg  # only the process tests pay for it

    name = f"certmatch_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path="/" + name))
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A fresh PostgreSQL database (fresh_postgres_database) for this test."""
    with fresh_postgres_database() as url:
        yield url
