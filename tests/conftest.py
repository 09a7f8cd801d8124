"""Shared pytest fixtures: where the committed test vectors live."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.vector_files import VECTORS


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """tests/vectors/: the loader vectors (see its README.md), with the UC vectors in uc/."""
    return VECTORS
