"""`python -m certmatch scan PATH...`: the scan's command line (arguments, output, exit code).

The reading and pairing live in scan/walk.py and scan/inventory.py; this module only turns
arguments into a `scan()` call and its inventory into text or one JSON document.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterable
from typing import NoReturn

from certmatch.rules.registry import PROFILE_NAMES
from certmatch.scan.jsonout import JsonStream
from certmatch.scan.progress import Progress
from certmatch.scan.text import render_scan
from certmatch.scan.walk import scan
from certmatch.scan.workers import WorkerError


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
    # Streamed to scripts and files (compact, scan/jsonout.py); indented for a person at a
    # terminal and built whole (the indenting encoder is pure Python).
    stream = JsonStream(sys.stdout) if args.json and not sys.stdout.isatty() else None
    try:
        try:
            inventory = scan(
                args.paths,
                expiring_days=args.expiring,
                profile=args.profile,
                progress=progress,
                on_file=stream.on_file if stream is not None else None,
            )
            if stream is not None:
                stream.finish(inventory)
            elif args.json:
                sys.stdout.write(json.dumps(inventory.to_dict(), indent=1) + "\n")
            else:
                sys.stdout.write(render_scan(inventory, time.perf_counter() - started))
            sys.stdout.flush()  # here, where a closed stdout can still be answered
        finally:
            progress.close()
    except BrokenPipeError:
        return _output_closed()
    except (Exception, KeyboardInterrupt) as exc:  # one line, never a traceback
        if isinstance(exc, KeyboardInterrupt):
            reason = "interrupted"
        elif isinstance(exc, WorkerError):  # a worker that failed or died: it says how
            reason = str(exc)
        else:
            reason = f"{type(exc).__name__}: {exc}"
        message = f"error: the scan stopped ({reason})"
        if args.json:  # the --json promise: one whole document, whatever happens
            try:
                (stream or JsonStream(sys.stdout)).fail(message, args.profile)
            except BrokenPipeError:
                return _output_closed()
        print(f"certmatch scan: {message}", file=sys.stderr)
        return 2
    return inventory.exit_code


def _output_closed() -> int:
    """stdout was closed before the scan finished (`scan ... | head`): say so, exit 2.

    stdout is pointed at /dev/null first, so the text still buffered for it does not fail
    again (with a traceback) when the interpreter flushes it at exit.
    """
    with contextlib.suppress(OSError, ValueError):  # not a file (a test's capture)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    print(
        "certmatch scan: stopped: the output was closed before the scan finished", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
