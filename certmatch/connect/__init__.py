"""`certmatch connect`: fetch the chain a live TLS endpoint serves, for the same check as files.

The socket code lives here and only here; the checks on what was served are pure
(`certmatch.rules.served`, `.hostname`, `.trust`) and run inside `certmatch.check`. Nothing
is imported until a name is used, so importing the package opens no socket module.

Offers: `parse_target`, `Target` (target.py); `resolve`, `fetch_chain`, `Served` (tls.py);
`fetch_served` (command.py: the served chain as check inputs); `ConnectError`.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Target": "certmatch.connect.target",
    "parse_target": "certmatch.connect.target",
    "Served": "certmatch.connect.tls",
    "fetch_chain": "certmatch.connect.tls",
    "resolve": "certmatch.connect.tls",
    "fetch_served": "certmatch.connect.command",
    "ConnectError": "certmatch.errors",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
