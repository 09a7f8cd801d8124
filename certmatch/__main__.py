"""`python -m certmatch`: hands over to certmatch.cli.main and exits with its status."""

from __future__ import annotations

import sys

from certmatch.cli import main

if __name__ == "__main__":
    sys.exit(main())
