"""The loader fuzz target in CI: kept findings and every committed vector replayed, then a time-bounded coverage-guided run under atheris."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fuzz.load_target import one_input

ROOT = Path(__file__).resolve().parent.parent
KEPT = sorted((ROOT / "fuzz" / "corpus").glob("*"))
VECTORS = sorted(
    p
    for folder in (ROOT / "tests" / "vectors", ROOT / "tests" / "vectors" / "uc")
    for p in folder.glob("*")
    if p.is_file() and p.suffix not in (".py", ".md")
)
# CI runs the fuzzer this long (seconds); `CERTMATCH_FUZZ_SECONDS=3600 pytest tests/test_fuzz_load.py`
# or `python fuzz/run.py -max_total_time=3600` runs it longer (fuzz/README.md).
FUZZ_SECONDS = int(os.environ.get("CERTMATCH_FUZZ_SECONDS", "60"))
PER_INPUT_SECONDS = 2.0


def test_fuzz_corpus_holds_every_kept_finding() -> None:
    assert len(KEPT) >= 1


@pytest.mark.parametrize("path", KEPT + VECTORS, ids=lambda p: p.name)
def test_kept_finding_or_vector_keeps_the_loader_contract_within_two_seconds(path: Path) -> None:
    started = time.monotonic()
    one_input(path.read_bytes())
    assert time.monotonic() - started < PER_INPUT_SECONDS


def test_coverage_guided_fuzzing_of_the_loader_finds_no_crash_hang_or_memory_blowup(
    tmp_path: Path,
) -> None:
    # Findings are written as crash-*/timeout-*/oom-* into the working directory.
    result = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / "run.py"), f"-max_total_time={FUZZ_SECONDS}"],
        cwd=tmp_path,
        capture_output=True,
        timeout=FUZZ_SECONDS + 120,
    )
    findings = sorted(
        p.name for p in tmp_path.glob("*") if p.name.startswith(("crash-", "timeout-", "oom-"))
    )
    log = result.stderr.decode(errors="replace")
    assert result.returncode == 0 and not findings, f"{findings}\n{log[-4000:]}"
    assert "Done" in log and "stat::number_of_executed_units" in log
