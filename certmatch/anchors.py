"""Trust anchors for `--ca-file` and `--system-trust`: the CLI's file reading, the engine's parse.

The system store is the one Python's ssl module names (`SSL_CERT_FILE`/`SSL_CERT_DIR`, else
OpenSSL's compiled-in bundle or folder), so certmatch trusts what the machine's clients trust.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from certmatch.errors import UnusableInputError
from certmatch.rules.trust import TrustAnchors, read_anchors

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

__all__ = ["load_trust"]

_MAX_TRUST_FILE = 16 * 1024 * 1024  # a system bundle is about 200 KiB


def load_trust(ca_files: Sequence[str], *, system: bool) -> TrustAnchors:
    """The anchors from each file and/or the system store; ValueError saying what failed."""
    certificates: list[Certificate] = []
    sources: list[str] = []
    for path in ca_files:
        try:
            certificates.extend(read_anchors(path, _read(path)))
        except UnusableInputError as exc:
            raise ValueError(f"--ca-file {exc}") from exc
        sources.append(path)
    if system:
        found, where = _system_store()
        certificates.extend(found)
        sources.append(f"the system trust store ({where})")
    return TrustAnchors(" and ".join(sources), tuple(dict.fromkeys(certificates)))


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_TRUST_FILE + 1)
    except OSError as exc:
        raise ValueError(f"cannot read the --ca-file {path}: {exc.strerror or exc}") from None
    if len(data) > _MAX_TRUST_FILE:
        raise ValueError(f"the --ca-file {path} is over {_MAX_TRUST_FILE // 1024 // 1024} MiB")
    return data


def _system_store() -> tuple[list[Certificate], str]:
    import ssl

    paths = ssl.get_default_verify_paths()
    for bundle in (paths.cafile, paths.openssl_cafile):
        if bundle and os.path.isfile(bundle):
            try:
                return list(read_anchors(bundle, _read(bundle))), bundle
            except UnusableInputError as exc:
                raise ValueError(str(exc)) from exc
    for folder in (paths.capath, paths.openssl_capath):
        if folder and os.path.isdir(folder):
            found: list[Certificate] = []
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                if os.path.isfile(path):
                    try:
                        found.extend(read_anchors(path, _read(path)))
                    except (UnusableInputError, ValueError):
                        continue  # a README or a CRL among the hashed links
            if found:
                return found, folder
    raise ValueError(
        "no system trust store found (set SSL_CERT_FILE, or give the CA certificates with "
        "--ca-file)"
    )
