"""bench/job_path.py answers every job it queues (natively, a few jobs), and bench/job_instructions.py reads cachegrind's count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.job_instructions import CHILD, ROOT, i_refs
from tests.factory import pasted_pairs


def test_the_job_path_answers_every_job_it_queues(tmp_path: Path) -> None:
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps(pasted_pairs(2)))
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(CHILD), "sqlite", str(texts), "2", "5"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_cachegrinds_summary_gives_the_instructions() -> None:
    stderr = "==1== Cachegrind, a high-precision tracing profiler\n==1== \n==1== I   refs:      2,994,280,739\n"
    assert i_refs(stderr) == 2_994_280_739
    assert i_refs("valgrind: command not found\n") is None
