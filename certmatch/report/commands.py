"""The openssl commands a person can run to confirm certmatch's hashes, per artefact and container.

RSA artefacts get the modulus md5 pipeline the vendor note uses (`openssl req -noout -modulus
-in tomcat.csr | openssl md5`); other key types have no modulus and get the SPKI SHA-256 pin.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Sequence

from certmatch import lazyre
from certmatch.model import Artefact, ArtefactKind

_MEMBER = lazyre.Pattern(r"^(?P<path>.*?)( \[[^\]]*\])+$")  # "chain.pem [block 2]", "b.p7b [2/3]"
_PLACEHOLDER = {
    ArtefactKind.CSR: "request.csr",
    ArtefactKind.CERTIFICATE: "certificate.pem",
    ArtefactKind.PRIVATE_KEY: "private.key",
    ArtefactKind.PUBLIC_KEY: "public.pem",
}
_MD5 = "openssl md5"
_SHA256 = "openssl pkey -pubin -outform DER | openssl dgst -sha256"
# Matches certificate armour lines but not "CERTIFICATE REQUEST".
_CERT_BEGIN = "/-----BEGIN (X509 |TRUSTED )?CERTIFICATE-----/"


# Repairs openssl copes with by itself; any other repair means openssl cannot read the
# original file (it would print the md5 of empty output, d41d8cd9..., which looks like a
# mismatch), so the command names a placeholder for the repaired block instead.
_OPENSSL_TOLERATES = (
    "converted Windows (CRLF) line endings",
    "ignored the text around the PEM blocks",
    "note:",
)
# The bare-base64 reader command strips white space and decodes the body itself.
_BASE64_READER_TOLERATES = (
    "read a bare base64 body without BEGIN/END lines",
    "read base64 written on one line",
)


def needs_repaired_copy(artefact: Artefact) -> bool:
    """True when openssl cannot read the artefact's original file without certmatch's repairs."""
    tolerated: tuple[str, ...] = _OPENSSL_TOLERATES
    if artefact.container == "base64":
        tolerated += _BASE64_READER_TOLERATES
    return any(not r.startswith(tolerated) for r in artefact.repairs)


def file_of(artefact: Artefact) -> str | None:
    """The file an artefact came from, or None when it was pasted text / stdin / needs repair."""
    if needs_repaired_copy(artefact):
        return None
    source = artefact.source
    member = _MEMBER.match(source)
    path = member.group("path") if member else source
    if path in ("-", "<stdin>", "stdin") or ("." not in path and " " in path):
        return None
    if path.startswith(("pasted", "message", "text")) and " " in path:
        return None
    return path


def commands_for(artefacts: Sequence[Artefact], skip: Collection[int] = ()) -> tuple[str, ...]:
    """One confirming command per artefact (CA certificates that signed others are skipped)."""
    out: list[str] = []
    ordinal: dict[str, int] = {}  # certificates seen so far per file, for bundle members
    for i, a in enumerate(artefacts):
        path = file_of(a)
        position = 1
        if a.kind is ArtefactKind.CERTIFICATE and path is not None:
            position = ordinal[path] = ordinal.get(path, 0) + 1
        if i in skip or a.kind is ArtefactKind.HASH:
            continue
        command = _command(a, path, position)
        if command not in out:
            out.append(command)
    return tuple(out)


def _command(a: Artefact, path: str | None, position: int) -> str:
    quoted = shlex.quote(path if path is not None else _PLACEHOLDER[a.kind])
    rsa = a.key.modulus_md5 is not None
    if a.kind is ArtefactKind.CSR:
        # The vendor note's own form: `openssl req -noout -modulus -in tomcat.csr | openssl md5`.
        if rsa:
            return f"{_reader('req', '-noout -modulus', a.container, quoted)} | {_MD5}"
        return f"{_reader('req', '-noout -pubkey', a.container, quoted)} | {_SHA256}"
    if a.kind is ArtefactKind.CERTIFICATE:
        return _certificate(a, quoted, position, rsa)
    if a.kind is ArtefactKind.PRIVATE_KEY:
        if a.container == "pkcs12":
            head = f"openssl pkcs12 -in {quoted} -nocerts -nodes | "
            tail = "openssl rsa -noout -modulus" if rsa else "openssl pkey -pubout -outform DER"
        else:
            inform = " -inform DER" if a.container == "der" else ""
            head = ""
            tail = (
                f"openssl rsa{inform} -noout -modulus -in {quoted}"
                if rsa
                else f"openssl pkey{inform} -in {quoted} -pubout -outform DER"
            )
        return f"{head}{tail} | " + (_MD5 if rsa else "openssl dgst -sha256")
    # Public key.
    inform = " -inform DER" if a.container == "der" else ""
    if rsa:
        return f"openssl rsa -pubin{inform} -noout -modulus -in {quoted} | {_MD5}"
    return f"openssl pkey -pubin{inform} -in {quoted} -outform DER | openssl dgst -sha256"


def _reader(tool: str, options: str, container: str, quoted: str) -> str:
    """`openssl x509|req OPTIONS -in FILE` reading PEM, DER or a bare base64 body."""
    if container == "der":
        return f"openssl {tool} -inform DER {options} -in {quoted}"
    if container == "base64":
        # The body may be one line or wrapped at any width: join it before decoding.
        return (
            f"tr -d ' \\t\\r\\n' < {quoted} | openssl base64 -d -A"
            f" | openssl {tool} -inform DER {options}"
        )
    return f"openssl {tool} {options} -in {quoted}"


def _certificate(a: Artefact, quoted: str, position: int, rsa: bool) -> str:
    options = "-noout -modulus" if rsa else "-noout -pubkey"
    digest = _MD5 if rsa else _SHA256
    if a.container == "pkcs12":
        return f"openssl pkcs12 -in {quoted} -nokeys -clcerts | openssl x509 {options} | {digest}"
    if a.container == "pkcs7":
        # A .p7b may be DER or PEM; try DER first, quietly, then PEM.
        listing = (
            f"(openssl pkcs7 -inform DER -print_certs -in {quoted} 2>/dev/null"
            f" || openssl pkcs7 -print_certs -in {quoted})"
        )
        pick = f"awk '{_CERT_BEGIN}{{n++}} n=={position}'"
        return f"{listing} | {pick} | openssl x509 {options} | {digest}"
    if a.container == "pem" and position > 1:
        pick = f"awk '{_CERT_BEGIN}{{n++}} n=={position}' {quoted}"
        return f"{pick} | openssl x509 {options} | {digest}"
    return f"{_reader('x509', options, a.container, quoted)} | {digest}"
