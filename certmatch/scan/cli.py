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
from certmatch.scan.jsonout import JsonStream
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
    if args.json and sys.stdout.isatty():
        # Indented for a person at a terminal, built whole (the indenting encoder is pure
        # Python); scripts and files get the document streamed, compact (scan/jsonout.py).
        try:
            inventory = scan(
                args.paths, expiring_days=args.expiring, profile=args.profile, progress=progress
            )
        finally:
            progress.close()
        sys.stdout.write(json.dumps(inventory.to_dict(), indent=1) + "\n")
        return inventory.exit_code
    if args.json:
        return _streamed(args, progress)
    try:
        inventory = scan(
            args.paths, expiring_days=args.expiring, profile=args.profile, progress=progress
        )
    finally:
        progress.close()
    sys.stdout.write(render_scan(inventory, time.perf_counter() - started))
    return inventory.exit_code


def _streamed(args: argparse.Namespace, progress: Progress) -> int:
    """The JSON document written as the files are read; an internal error still ends it."""
    stream = JsonStream(sys.stdout)
    try:
        inventory = scan(
            args.paths,
            expiring_days=args.expiring,
            profile=args.profile,
            progress=progress,
            on_file=stream.on_file,
        )
        stream.finish(inventory)
    except Exception as exc:  # the --json promise: one whole document, whatever happens
        message = f"error: the scan stopped ({type(exc).__name__}: {exc})"
        stream.fail(message, args.profile)
        print(f"certmatch scan: {message}", file=sys.stderr)
        return 2
    finally:
        progress.close()
    return inventory.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
