"""The exceptions certmatch raises: only for input it cannot use, each with a message a person can act on."""

from __future__ import annotations


class CertMatchError(Exception):
    """Root of every certmatch error. The message never contains key material."""


class UnusableInputError(CertMatchError):
    """The input is not something certmatch can read (wrong format, damaged, empty)."""


class InputTooLargeError(UnusableInputError):
    """The input exceeds a documented resource bound (size, block count, certificates)."""


class EncryptedKeyError(UnusableInputError):
    """A private key or PKCS#12 file is encrypted and no (correct) password was given."""


class NotAModulusError(UnusableInputError):
    """A pasted hash line is the md5 of an openssl error string, not of an RSA modulus."""


class UnsupportedInputError(UnusableInputError):
    """The input is intact but uses something certmatch cannot read (a key type, a cipher).

    Kept apart so that no message calls such a file damaged, retyped or OCR'd.
    """


class ConnectError(CertMatchError):
    """`connect`: the endpoint could not be reached or gave no TLS handshake; the message says why."""
