"""Helpers for tests that read the committed vectors in tests/vectors/ (see its README.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from certmatch.load import Input, LoadResult, load

VECTORS = Path(__file__).resolve().parent / "vectors"

PKCS8_PASSWORD = b"throwaway-pkcs8"
LEGACY_PASSWORD = b"throwaway-legacy"
P12_PASSWORD = b"throwaway-p12"


def read(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


def load_vector(name: str, password: bytes | None = None) -> LoadResult:
    """Load a vector the way the CLI loads a file: its bytes under its file name."""
    return load(Input(name, read(name), password))


def openssl(*args: str, stdin: bytes | None = None) -> bytes:
    """Run the openssl CLI (the oracle) and return its stdout."""
    return subprocess.run(["openssl", *args], input=stdin, check=True, capture_output=True).stdout
