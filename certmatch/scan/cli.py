"""`python -m certmatch scan PATH...`: the scan's command line (arguments, output, exit code).

The reading and pairing live in scan/walk.py and scan/inventory.py; this module only turns
arguments into a `scan()` call and its inventory into text or one JSON document.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from typing import NoReturn

from certmatch.rules.registry import PROFILE_NAMES
from certmatch.scan.progress import Progress
from certmatch.scan.text import render_scan
from certmatch.scan.walk import scan


class _UsageError(Exception):
    """A command-line mistake; the message says what to change."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="certmatch scan",
        description="Pair every CSR, key and certificate under the given files and folders.",
        epilog="Exit 0: nothing wrong; 1: a mismatch, a certificate with no CSR/key or an "
        "expired certificate; 2: nothing readable found.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (recursive)")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument(
        "--expiring",
        type=_days,
        default=30,
        metavar="DAYS",
        help="list certificates expiring within DAYS (default 30)",
    )
    parser.add_argument("--profile", choices=PROFILE_NAMES, default="generic")
    return parser


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if days < 0:
        raise argparse.ArgumentTypeError("DAYS must be 0 or more")
    return days


def main(argv: Iterable[str] | None = None) -> int:
    argv = list(argv) if argv is not None else sys.argv[1:]
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        message = f"usage: {exc} (see certmatch scan --help)"
        if "--json" in argv:  # the --json promise: one JSON document, whatever happens
            doc = {"verdict": "error", "summary": message, "artifacts": [], "pairs": []}
            sys.stdout.write(json.dumps(doc | {"findings": [], "orphans": []}) + "\n")
        print(f"certmatch scan: {message}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    progress = Progress(0, sys.stderr)
    try:
        inventory = scan(
            args.paths, expiring_days=args.expiring, profile=args.profile, progress=progress
        )
    finally:
        progress.close()
    elapsed = time.perf_counter() - started
    if args.json:
        # Indented only for a person at a terminal: the indenting encoder is pure Python and
        # costs more than the pairing on a 10,000-file tree; scripts get the C encoder.
        indent = 1 if sys.stdout.isatty() else None
        sys.stdout.write(json.dumps(inventory.to_dict(), indent=indent) + "\n")
    else:
        sys.stdout.write(render_scan(inventory, elapsed))
    return inventory.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
