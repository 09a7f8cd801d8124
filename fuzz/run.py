"""Run the loader fuzz target under atheris: `python fuzz/run.py [libFuzzer flags] [corpus dirs]`.

With no corpus directory given it seeds from the committed vectors (tests/vectors/, with uc/)
and the kept findings (fuzz/corpus/), and writes new interesting inputs to a scratch copy, so
the repository is never modified by a run. Limits (docs/reliability.md): an input that runs
longer than 2 s (-timeout=2) or takes the process over 512 MiB RSS (-rss_limit_mb=512) is a
finding, saved as crash-*/timeout-*/oom-* in the working directory.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (ROOT / "tests" / "vectors", ROOT / "tests" / "vectors" / "uc", ROOT / "fuzz" / "corpus")
DEFAULT_FLAGS = ["-timeout=2", "-rss_limit_mb=512", "-max_len=65536", "-print_final_stats=1"]

sys.path.insert(0, str(ROOT))
with atheris.instrument_imports(include=["certmatch"]):
    from fuzz.load_target import one_input


def _seed_corpus() -> str:
    scratch = Path(tempfile.mkdtemp(prefix="certmatch-fuzz-"))
    for folder in SEEDS:
        for path in sorted(folder.glob("*")):
            if path.is_file() and path.suffix not in (".py", ".md"):
                shutil.copy(path, scratch / f"{folder.name}-{path.name}")
    return str(scratch)


def main() -> None:
    args = sys.argv[1:]
    flags = [a for a in args if a.startswith("-")]
    dirs = [a for a in args if not a.startswith("-")]
    given = {f.split("=", 1)[0] for f in flags}
    flags += [f for f in DEFAULT_FLAGS if f.split("=", 1)[0] not in given]
    if not dirs:
        dirs = [_seed_corpus()]
    atheris.Setup([sys.argv[0], *flags, *dirs], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
