"""The loader fuzz target in the unit suite: every kept finding and committed vector replayed.

The time-boxed coverage-guided run under atheris is a step of its own in `.ci/run` (it would
add a minute to every `pytest`); fuzz/README.md says how to run it longer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz.load_target import one_input
from tests.engine_time import engine_seconds

ROOT = Path(__file__).resolve().parent.parent
KEPT = sorted((ROOT / "fuzz" / "corpus").glob("*"))
VECTORS = sorted(
    p
    for folder in (ROOT / "tests" / "vectors", ROOT / "tests" / "vectors" / "uc")
    for p in folder.glob("*")
    if p.is_file() and p.suffix not in (".py", ".md")
)
PER_INPUT_SECONDS = 2.0


def test_fuzz_corpus_holds_every_kept_finding() -> None:
    assert len(KEPT) >= 1


@pytest.mark.parametrize("path", KEPT + VECTORS, ids=lambda p: p.name)
def test_kept_finding_or_vector_keeps_the_loader_contract_within_two_seconds(path: Path) -> None:
    started = engine_seconds()
    one_input(path.read_bytes())
    assert engine_seconds() - started < PER_INPUT_SECONDS
