"""Instructions a job costs the bot's process, this tree against another revision, counted by valgrind.

`python -m bench.job_instructions --against REV` runs bench/job_path.py (queued pasted pairs
taken four at a time and answered, as the bot's workers do) on this tree's code and on REV's
(checked out under bench/out/), on SQLite and on this machine's PostgreSQL, each under
`valgrind --tool=cachegrind --cache-sim=no`, once with the warm-up jobs only and once with
`--jobs` more: the difference over `--jobs` is one job's instructions. It prints both and
their ratio. Why instructions and not time: on this shared machine the same code's CPU a job
swung by a quarter within minutes (docs/performance.md), and the sustained benchmark's pairs
could not tell 5 % apart; an instruction count repeats within 0.2 %. What it leaves out: the
acknowledgement's path (gunicorn, the door), the database server's work, and the waits.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.bot_client import pairs
from bench.corpus import OUT

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "job_path.py"
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def checkout(rev: str) -> Path:
    """REV's tree under bench/out (a git worktree, kept for the next run)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = OUT / f"against-{sha[:12]}"
    if not tree.exists():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), sha],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return tree


def instructions(tree: Path, db: str, texts: Path, warm: int, jobs: int) -> int:
    """The I refs valgrind counts for one run of bench/job_path.py on `tree`'s code."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(tree),
        "PYTHONHASHSEED": "0",  # the same hashes, so the same dict and set walks, each run
    }
    done = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            str(CHILD),
            db,
            str(texts),
            str(warm),
            str(jobs),
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    found = i_refs(done.stderr)
    if done.returncode or found is None:
        raise RuntimeError(f"{tree.name} on {db}: {done.stderr.strip().splitlines()[-3:]}")
    return found


def i_refs(stderr: str) -> int | None:
    """The instructions cachegrind's summary counts ("I refs: 1,234"), None without one."""
    found = _REFS.search(stderr)
    return int(found.group(1).replace(",", "")) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the revision to compare with")
    parser.add_argument("--jobs", type=int, default=100, help="jobs counted (default 100)")
    parser.add_argument("--warm", type=int, default=20, help="jobs before (default 20)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt install valgrind)")
    OUT.mkdir(parents=True, exist_ok=True)
    texts = OUT / "job-path-texts.json"
    # 100 distinct pairs: over the 120 jobs each is posted once or twice, as in the sustained
    # benchmark's first minutes.
    texts.write_text(json.dumps([(c + b).decode() for c, b in pairs(100)]))
    sides = {"this tree": ROOT, args.against: checkout(args.against)}
    for tree in sides.values():
        # Bytecode first: a run that compiled the tree's modules would count the compiler
        # (about 600 M instructions), and two runs at once race to write them.
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "bot", "certmatch", "handlers", "standin"],
            cwd=tree,
            check=True,
        )
    databases = args.databases.split(",")
    runs = [(side, db, n) for side in sides for db in databases for n in (0, args.jobs)]
    print(f"{len(runs)} runs under valgrind, 4 at a time (about a minute each) ...", flush=True)
    with ThreadPoolExecutor(4) as pool:
        counts = dict(
            zip(
                runs,
                pool.map(lambda r: instructions(sides[r[0]], r[1], texts, args.warm, r[2]), runs),
                strict=True,
            )
        )
    result = {}
    print(f"\n| database | this tree | {args.against} | ratio |\n|---|---|---|---|")
    for db in databases:
        per_job = {
            side: (counts[(side, db, args.jobs)] - counts[(side, db, 0)]) / args.jobs
            for side in sides
        }
        ours, theirs = per_job["this tree"], per_job[args.against]
        result[db] = {"this_tree": ours, "against": theirs, "ratio": ours / theirs}
        print(
            f"| {db} | {ours / 1e6:.2f} M instructions a job | {theirs / 1e6:.2f} M "
            f"| {ours / theirs:.3f} |"
        )
    (OUT / "job_instructions.json").write_text(
        json.dumps({"against": args.against, "jobs": args.jobs, **result}, indent=2)
    )


if __name__ == "__main__":
    main()
