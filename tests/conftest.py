"""Shared pytest fixtures: the Slack stand-in, the test PostgreSQL URL and per-test table prefixes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from standin import SlackStandIn

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
