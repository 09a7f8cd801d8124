"""certmatch against the openssl CLI over every file in a folder: `python -m fuzz.differential DIR`.

For each file, openssl (3.x, with its legacy provider where the default one refuses) is asked
for the SPKI pin of everything it reads: `openssl x509|req -pubkey`, `pkey`, `pkey -pubin`,
`pkcs7 -print_certs` and `pkcs12`, each piped through `openssl pkey -pubin -outform DER` and
hashed with SHA-256; certmatch's `load()` gives its `spki_sha256` for every artefact. A file
agrees when both read the same set of pins, or both refuse it. One line per disagreement, then
`N/M files agree`; the exit status is 1 when any file disagrees, except those named with
`--known NAME` (a disagreement on purpose, such as a cipher certmatch names as unsupported),
which are still printed and counted, marked "(known)".

Passwords to try on encrypted files: `--password PW` (repeatable). README files are skipped.
CI runs it over tests/vectors/compat (see .ci/run).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

_PROVIDERS = ("-provider", "legacy", "-provider", "default")
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----\r?\n.*?-----END \1-----", re.DOTALL)
_TIMEOUT = 5  # seconds for one openssl call; the hostile-iterations vectors take hours


def openssl_pins(path: Path, passwords: Sequence[str]) -> set[str]:
    """The SPKI pins openssl reads from `path` (empty when it reads nothing).

    A text file is split into its PEM blocks first (`openssl x509` reads only the first one);
    text around the blocks is left to openssl, so a repair only certmatch makes (a bare base64
    body, chat damage) shows as a disagreement.
    """
    data = path.read_bytes()
    blocks = [m.group(0) + b"\n" for m in _PEM_BLOCK.finditer(data)]
    if blocks:
        pins: set[str] = set()
        for block in blocks:
            pins |= _pins_of_one(block, "PEM", passwords)
        return pins
    for password in ("", *passwords):
        out = _run(["pkcs12", "-nodes", "-passin", f"pass:{password}"], data)
        if out:
            return _pins_of_certificates(out) | _pins_of_keys(out)
    return _pins_of_one(data, "DER", passwords)


def _pins_of_one(data: bytes, form: str, passwords: Sequence[str]) -> set[str]:
    pins: set[str] = set()
    for command in ("x509", "req"):
        pins |= _pins_of_public_pem(_run([command, "-inform", form, "-noout", "-pubkey"], data))
    pins |= _pins_of_public_pem(_run(["pkey", "-inform", form, "-pubin", "-pubout"], data))
    for password in ("", *passwords):
        pem = _run(["pkey", "-inform", form, "-pubout", "-passin", f"pass:{password}"], data)
        if pem:
            pins |= _pins_of_public_pem(pem)
            break
    pins |= _pins_of_certificates(_run(["pkcs7", "-inform", form, "-print_certs"], data))
    return pins


def certmatch_pins(path: Path, passwords: Sequence[str]) -> tuple[set[str], str]:
    """certmatch's pins for `path`, and its reason when it reads nothing."""
    from certmatch.errors import EncryptedKeyError, UnusableInputError
    from certmatch.load import Input, load

    data = path.read_bytes()
    reason = ""
    for password in (None, *passwords):
        try:
            result = load(Input(path.name, data, password.encode() if password else None))
        except EncryptedKeyError as exc:
            reason = str(exc)
            continue
        except UnusableInputError as exc:
            return set(), str(exc)
        pins = {a.key.spki_sha256 for a in result.artefacts if a.key.spki_sha256}
        if result.problems and any(p.code == "key-encrypted" for p in result.problems):
            reason = result.problems[0].message
            if password != passwords[-1:]:
                continue
        return pins, "; ".join(p.message for p in result.problems)
    return set(), reason


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.differential", description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--password", action="append", default=[])
    parser.add_argument("--known", action="append", default=[])
    args = parser.parse_args(argv)
    files = sorted(
        p for p in args.folder.rglob("*") if p.is_file() and not p.name.startswith("README")
    )
    agree = unexpected = 0
    for path in files:
        expected = openssl_pins(path, args.password)
        got, reason = certmatch_pins(path, args.password)
        if expected == got:
            agree += 1
            continue
        name = str(path.relative_to(args.folder))
        known = name in args.known
        unexpected += not known
        name += " (known)" if known else ""
        if not got:
            print(
                f"{name}: openssl reads {len(expected)} key(s), certmatch refuses: {reason[:300]}"
            )
        elif not expected:
            print(f"{name}: openssl refuses it, certmatch reads {len(got)} key(s)")
        else:
            print(
                f"{name}: pins differ: openssl {sorted(p[:12] for p in expected)}, "
                f"certmatch {sorted(p[:12] for p in got)}"
            )
    print(f"{agree}/{len(files)} files agree", flush=True)
    return 1 if unexpected else 0


def _run(args: list[str], data: bytes | None = None) -> bytes:
    for extra in ((), _PROVIDERS):
        try:
            done = subprocess.run(
                ["openssl", *args, *extra],
                input=data if data is not None else b"",
                capture_output=True,
                timeout=_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return b""  # a hostile KDF count: openssl would still be at it
        if done.returncode == 0 and done.stdout:
            return done.stdout
    return b""


def _pins_of_public_pem(pem: bytes) -> set[str]:
    pins = set()
    for block in _blocks(pem, b"PUBLIC KEY"):
        der = _run(["pkey", "-pubin", "-outform", "DER"], block)
        if der:
            pins.add(hashlib.sha256(der).hexdigest())
    return pins


def _pins_of_certificates(pem: bytes) -> set[str]:
    pins = set()
    for block in _blocks(pem, b"CERTIFICATE"):
        pins |= _pins_of_public_pem(_run(["x509", "-noout", "-pubkey"], block))
    return pins


def _pins_of_keys(pem: bytes) -> set[str]:
    pins = set()
    for block in _blocks(pem, b"PRIVATE KEY"):
        pins |= _pins_of_public_pem(_run(["pkey", "-pubout"], block))
    return pins


def _blocks(pem: bytes, label: bytes) -> list[bytes]:
    out = []
    begin = b"-----BEGIN " + label + b"-----"
    end = b"-----END " + label + b"-----"
    start = pem.find(begin)
    while start >= 0:
        stop = pem.find(end, start)
        if stop < 0:
            break
        out.append(pem[start : stop + len(end)] + b"\n")
        start = pem.find(begin, stop)
    return out


if __name__ == "__main__":
    sys.exit(main())
