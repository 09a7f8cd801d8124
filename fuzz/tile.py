"""Scaling check, on demand: every short line of the committed vectors, repeated to 1 MiB, must stay cheap.

The coverage-guided fuzzer works on inputs up to 64 KiB, where a cost that grows with the
input (a regex repeating a group per line, one block per lone END line) stays invisible.
This tiles each motif to 1 MiB and reports any check that takes more than --seconds or
more than --mib of traced memory. Run: `.venv/bin/python fuzz/tile.py` (about five minutes);
exit status 1 when something is over a bound.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from certmatch.check import check  # noqa: E402
from certmatch.load import Input, contains_material  # noqa: E402

SIZE = 1024 * 1024
EXTRA_MOTIFS = (
    "Modulus=",
    "MD5(stdin)= ",
    "```",
    "&lt;",
    "-----BEGIN CERTIFICATE-----",
    "\u2013",
    "Proc-Type: 4,ENCRYPTED\n",
    "DEK-Info: AES-256-CBC,00\n",
    "(a)",
    "0123456789abcdef0123456789abcdef\n",
    "-in x ",
    "   Modulus:\n",
    "00:11:",
    "> ",
)


def motifs() -> list[str]:
    found = set(EXTRA_MOTIFS)
    for path in sorted((ROOT / "tests" / "vectors").glob("*")):
        if path.suffix in (".py", ".md") or not path.is_file():
            continue
        try:
            lines = path.read_bytes().decode("utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        for line in lines[:4] + lines[-3:]:
            found.update((line + "\n", line + " "))
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--mib", type=float, default=48.0)
    args = parser.parse_args(argv)
    over = 0
    for motif in motifs():
        unit = motif.encode("utf-8")
        data = (unit * (SIZE // len(unit) + 1))[:SIZE]
        tracemalloc.start()
        started = time.monotonic()
        check([Input("tiled", data)])
        contains_material(data.decode("utf-8", "replace"))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if elapsed > args.seconds or peak > args.mib * 2**20:
            over += 1
            print(f"OVER {peak / 2**20:6.1f} MiB {elapsed:5.2f} s {motif!r:.70}")
    print(f"{len(motifs())} motifs tiled to 1 MiB, {over} over a bound")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
