"""certmatch: does this CA-signed certificate belong to that CSR or private key, and if not, why not?

This module is the engine's public API: bot/, handlers/ and users' scripts import only the
names in `__all__`. They are resolved on first use (PEP 562) so that `import certmatch`, and
so `python -m certmatch`, costs nothing until a name is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from certmatch.check import PROFILE_NAMES, check, evaluate
    from certmatch.errors import (
        CertMatchError,
        EncryptedKeyError,
        InputTooLargeError,
        NotAModulusError,
        UnusableInputError,
    )
    from certmatch.load import Input, contains_material, load
    from certmatch.match import common_name
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
    from certmatch.render import render_text

# Public name -> the module that defines it. The one place that knows the engine's insides.
_WHERE = {
    "PROFILE_NAMES": "certmatch.check",
    "check": "certmatch.check",
    "evaluate": "certmatch.check",
    "CertMatchError": "certmatch.errors",
    "EncryptedKeyError": "certmatch.errors",
    "InputTooLargeError": "certmatch.errors",
    "NotAModulusError": "certmatch.errors",
    "UnusableInputError": "certmatch.errors",
    "Input": "certmatch.load",
    "contains_material": "certmatch.load",
    "load": "certmatch.load",
    "common_name": "certmatch.match",
    "Artefact": "certmatch.model",
    "ArtefactKind": "certmatch.model",
    "DiffEntry": "certmatch.model",
    "Finding": "certmatch.model",
    "InputProblem": "certmatch.model",
    "KeyInfo": "certmatch.model",
    "Pair": "certmatch.model",
    "Report": "certmatch.model",
    "Severity": "certmatch.model",
    "Verdict": "certmatch.model",
    "render_text": "certmatch.render",
}

__all__ = [
    "PROFILE_NAMES",
    "Artefact",
    "ArtefactKind",
    "CertMatchError",
    "DiffEntry",
    "EncryptedKeyError",
    "Finding",
    "Input",
    "InputProblem",
    "InputTooLargeError",
    "KeyInfo",
    "NotAModulusError",
    "Pair",
    "Report",
    "Severity",
    "UnusableInputError",
    "Verdict",
    "check",
    "common_name",
    "contains_material",
    "evaluate",
    "load",
    "render_text",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'certmatch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return __all__
