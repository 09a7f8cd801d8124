"""Helpers for the issue-11 tests: the vectors in tests/vectors/compat/ and openssl's answers.

openssl (the CLI) is the oracle: each helper returns what it computes for a file, so a test
compares certmatch with it rather than with a number written down once.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from certmatch.load import Input, LoadResult, load
from certmatch.model import Artefact

COMPAT = Path(__file__).resolve().parent / "vectors" / "compat"
PASSWORD = b"throwaway-compat"
LEGACY_PROVIDER = ("-provider", "legacy", "-provider", "default")


def path(name: str) -> str:
    return str(COMPAT / name)


def load_compat(name: str, password: bytes | None = None) -> LoadResult:
    return load(Input(name, (COMPAT / name).read_bytes(), password))


def only(name: str, password: bytes | None = None) -> Artefact:
    """The one artefact a vector holds."""
    result = load_compat(name, password)
    assert not result.problems, result.problems
    (artefact,) = result.artefacts
    return artefact


def openssl(*args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], input=stdin, check=True, capture_output=True).stdout


def pin_of_public_pem(pem: bytes) -> str:
    """`... | openssl pkey -pubin -outform DER | openssl dgst -sha256`."""
    return hashlib.sha256(openssl("pkey", "-pubin", "-outform", "DER", stdin=pem)).hexdigest()


def openssl_pin(name: str, *, password: bytes | None = None, legacy: bool = False) -> str:
    """openssl's SPKI pin for a certificate, CSR, private key or public key vector."""
    extra = LEGACY_PROVIDER if legacy else ()
    if name.endswith(".cert.pem"):
        return pin_of_public_pem(openssl("x509", "-in", path(name), "-noout", "-pubkey"))
    if name.endswith(".csr.pem"):
        return pin_of_public_pem(openssl("req", "-in", path(name), "-noout", "-pubkey"))
    if name.endswith(".pub.pem"):
        return pin_of_public_pem(openssl("pkey", "-pubin", "-in", path(name), "-pubout"))
    passin = ("-passin", f"pass:{password.decode()}") if password else ()
    return pin_of_public_pem(openssl("pkey", "-in", path(name), "-pubout", *passin, *extra))


def openssl_modulus_md5(name: str) -> str:
    """`openssl x509|req -noout -modulus | openssl md5` for an RSA certificate or CSR."""
    command = "req" if name.endswith(".csr.pem") else "x509"
    line = openssl(command, "-in", path(name), "-noout", "-modulus")
    return hashlib.md5(line, usedforsecurity=False).hexdigest()


def pins_of_certificates(pem: bytes) -> list[str]:
    """The pin of every certificate in openssl's `-print_certs` / `pkcs12 -nodes` output."""
    pins = []
    end = b"-----END CERTIFICATE-----"
    for chunk in pem.split(end)[:-1]:
        block = chunk[chunk.index(b"-----BEGIN CERTIFICATE-----") :] + end + b"\n"
        pins.append(pin_of_public_pem(openssl("x509", "-noout", "-pubkey", stdin=block)))
    return pins
