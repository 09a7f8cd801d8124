"""bench/scan_floor.py does the work it claims: one public key per artefact the scan finds.

A floor that parsed less than the scan (skipped a bundle's certificates, a key file, a CSR)
would understate what any scan must do and make the bench's floor row a false excuse.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from certmatch.scan import walk as scan_module
from tests.factory import make_pki
from tests.test_scan_stream import fixture_tree

ROOT = Path(__file__).resolve().parent.parent


def test_the_floor_finds_a_key_for_every_artefact_the_scan_finds(tmp_path: Path) -> None:
    tree = fixture_tree(tmp_path, make_pki("ec256"))
    artefacts = len(scan_module.scan([str(tree)], workers=1).to_dict()["artifacts"])
    done = subprocess.run(
        [sys.executable, "-m", "bench.scan_floor", str(tree)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert artefacts > 20
    assert int(done.stdout) == artefacts
