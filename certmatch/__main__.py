"""`python -m certmatch` (and the installed `certmatch` command): run certmatch.cli.main and exit with its status."""

from __future__ import annotations

import sys

from certmatch.cli import main


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
