"""certmatch: does this CA-signed certificate belong to that CSR or private key, and if not, why not?

This module is the engine's public API: bot/, handlers/ and users' scripts import only the
names in `__all__`.

`check` and `load` are both a function here and a submodule (`certmatch/check.py`,
`certmatch/load/`). They are imported eagerly on purpose: the import system sets a package
attribute to the submodule when the submodule is first loaded, so binding the functions here,
after that has happened, is what keeps `from certmatch import check` the function.

The renderers (`render_text`, `render_compact` and the compact answer's parts) and `connect`
are bound on first use instead (PEP 562 `__getattr__`): a check answered in JSON needs no
renderer, and `python -m certmatch` imports this module before anything else (issue 18).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from certmatch.analysis.match import common_name
from certmatch.check import PROFILE_NAMES, check, evaluate
from certmatch.errors import (
    CertMatchError,
    ConnectError,
    EncryptedKeyError,
    InputTooLargeError,
    NotAModulusError,
    UnusableInputError,
)
from certmatch.load import Input, contains_material, load
from certmatch.model import (
    Artefact,
    ArtefactKind,
    DiffEntry,
    Finding,
    InputProblem,
    KeyInfo,
    Pair,
    Report,
    Severity,
    Verdict,
)
from certmatch.rules.registry import profile_products

if TYPE_CHECKING:
    from certmatch.connect import Target, fetch_served, parse_target, resolve
    from certmatch.report.compact import (
        HashRow,
        Headline,
        compact_findings,
        diff_words,
        hash_block,
        hash_rows,
        headline,
        listed_findings,
        render_compact,
    )
    from certmatch.report.text import render_text

# `connect` opens sockets and imports ssl: bound on first use (PEP 562), so a file check never
# loads it (tests/test_connect_rules.py holds that).
_LAZY = {
    **{name: "certmatch.connect" for name in ("Target", "fetch_served", "parse_target", "resolve")},
    **{
        name: "certmatch.report.compact"
        for name in (
            "HashRow",
            "Headline",
            "compact_findings",
            "diff_words",
            "hash_block",
            "hash_rows",
            "headline",
            "listed_findings",
            "render_compact",
        )
    },
    "render_text": "certmatch.report.text",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'certmatch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "PROFILE_NAMES",
    "Artefact",
    "ArtefactKind",
    "CertMatchError",
    "ConnectError",
    "DiffEntry",
    "EncryptedKeyError",
    "Finding",
    "HashRow",
    "Headline",
    "Input",
    "InputProblem",
    "InputTooLargeError",
    "KeyInfo",
    "NotAModulusError",
    "Pair",
    "Report",
    "Severity",
    "Target",
    "UnusableInputError",
    "Verdict",
    "check",
    "common_name",
    "compact_findings",
    "contains_material",
    "diff_words",
    "evaluate",
    "fetch_served",
    "hash_block",
    "hash_rows",
    "headline",
    "listed_findings",
    "load",
    "parse_target",
    "profile_products",
    "render_compact",
    "render_text",
    "resolve",
]
