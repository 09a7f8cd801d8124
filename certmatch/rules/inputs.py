"""Findings about inputs that could not be used: unreadable, encrypted, a hash that is no modulus.

Each code here is built by one function, used by the check and the scan alike.
"""

from __future__ import annotations

import hashlib

from certmatch.model import Artefact, ArtefactKind, Finding, InputProblem, Severity

# What `... -modulus | openssl md5` prints when there is no modulus to print: openssl 3 and
# 1.x wording for non-RSA certificates, CSRs and keys, and empty input (the command failed).
_OPENSSL_NON_MODULUS = {
    "Modulus=No modulus for this public key type\n": "No modulus for this public key type",
    "Modulus=Wrong Algorithm type\n": "Wrong Algorithm type",
    "No modulus for this public key type\n": "No modulus for this public key type",
    "Wrong Algorithm type\n": "Wrong Algorithm type",
    "Modulus=unavailable\n": "unavailable",
    "": "empty input",
    "\n": "an empty line",
}
NON_MODULUS_MD5 = {
    hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(): what
    for text, what in _OPENSSL_NON_MODULUS.items()
}

# One hint for both ways a hash-not-modulus arrives (the loader refusing the line, or a hash
# artefact whose md5 is of an openssl error text): both need the same next step.
_HASH_NOT_MODULUS_HINT = (
    "Give certmatch the CSR or key file itself, or compare SPKI SHA-256 instead of the modulus "
    "md5 (`openssl pkey -in KEY -pubout -outform DER | openssl dgst -sha256`): keys other than "
    "RSA have no modulus, and an empty md5 means the openssl command failed (run it without "
    "`| openssl md5` to see why)."
)


def non_modulus_reason(artefact: Artefact) -> str | None:
    """For a pasted hash line whose md5 is of an openssl error text: what that text was."""
    if artefact.kind is not ArtefactKind.HASH or artefact.key.modulus_md5 is None:
        return None
    return NON_MODULUS_MD5.get(artefact.key.modulus_md5)


def unreadable_input(problem: InputProblem, index: int | None = None) -> Finding:
    return Finding(
        "unreadable-input",
        Severity.ERROR,
        f"{problem.source}: {problem.message}",
        "Check that this is the file you meant (a CSR, certificate, PKCS#7/PKCS#12 bundle or "
        "key, PEM or DER); if it was copied from a web page or chat, copy the whole block "
        "again including the -----BEGIN/END----- lines.",
        () if index is None else (index,),
    )


def key_encrypted(source: str, message: str) -> Finding:
    return Finding(
        "key-encrypted",
        Severity.ERROR,
        f"{source}: {message}",
        "The key or PKCS#12 file is password-protected and could not be read: pass the "
        "password with --password-file or the CERTMATCH_PFX_PASSWORD environment variable, "
        "or compare without the key by running `openssl rsa -noout -modulus -in KEY | "
        "openssl md5` on the server and giving certmatch the MD5 line.",
    )


def hash_not_modulus(source: str, why: str, artifacts: tuple[int, ...] = ()) -> Finding:
    """The md5 given is not of a modulus; `why` says what it is of."""
    return Finding(
        "hash-not-modulus", Severity.ERROR, f"{source}: {why}", _HASH_NOT_MODULUS_HINT, artifacts
    )


def hash_artefact_not_modulus(index: int, artefact: Artefact, reason: str) -> Finding:
    """hash-not-modulus for a hash artefact whose md5 is of openssl's text `reason`."""
    if reason in ("empty input", "an empty line"):
        cause = "the openssl command before `| openssl md5` printed nothing (it failed)"
    else:
        cause = f'openssl printed "{reason}" instead of a modulus: the key is not RSA'
    why = f"the md5 {artefact.key.modulus_md5} is not of a modulus; {cause}."
    return hash_not_modulus(artefact.source, why, (index,))


def problem_finding(problem: InputProblem) -> Finding:
    """The finding for an input that failed to load, by the problem's code."""
    if problem.code == "connect-failed":
        return Finding(
            "connect-failed",
            Severity.ERROR,
            f"{problem.source}: {problem.message}",
            "Check the host name and port (and --starttls for XMPP/SMTP ports), that the "
            "service is running and that a firewall lets this machine reach it; raise "
            "--timeout for a slow link.",
        )
    if problem.code == "key-encrypted":
        return key_encrypted(problem.source, problem.message)
    if problem.code == "hash-not-modulus":
        return hash_not_modulus(problem.source, problem.message)
    return unreadable_input(problem)
