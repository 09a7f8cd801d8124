"""Issue 11, class 3: legacy-encrypted keys are decrypted as openssl decrypts them.

The oracle is `openssl pkey -passin ... -pubout` (with its legacy provider for DES-CBC). A
cipher certmatch cannot do is named, never reported as a wrong password.
"""

from __future__ import annotations

import pytest

from certmatch.errors import EncryptedKeyError, UnsupportedInputError
from tests.compat_vectors import PASSWORD, load_compat, only, openssl_pin

ENCRYPTED = {
    "legacy-aes128.key.pem": False,
    "legacy-aes192.key.pem": False,
    "legacy-aes256.key.pem": False,
    "legacy-des3.key.pem": False,
    "legacy-des.key.pem": True,  # openssl needs its legacy provider
    "pkcs8-pbes2-des3.key.pem": False,
    "pkcs8-pbes2-des-cbc.key.pem": True,
}


@pytest.mark.parametrize("name", sorted(ENCRYPTED))
def test_encrypted_key_is_decrypted_with_openssls_pin(name: str) -> None:
    artefact = only(name, PASSWORD)
    assert artefact.encrypted is True
    assert artefact.key.spki_sha256 == openssl_pin(name, password=PASSWORD, legacy=ENCRYPTED[name])
    assert artefact.key.spki_sha256 == only("server.key.pem").key.spki_sha256


@pytest.mark.parametrize("name", sorted(ENCRYPTED))
def test_encrypted_key_with_a_wrong_password_says_so(name: str) -> None:
    with pytest.raises(EncryptedKeyError, match="password does not decrypt"):
        load_compat(name, b"not-the-password")


@pytest.mark.parametrize("name", sorted(ENCRYPTED))
def test_encrypted_key_without_a_password_asks_for_one(name: str) -> None:
    with pytest.raises(EncryptedKeyError, match="no password was given"):
        load_compat(name)


def test_a_cipher_certmatch_cannot_do_is_named_not_called_a_wrong_password() -> None:
    name = "legacy-aria256.key.pem"
    assert openssl_pin(name, password=PASSWORD)  # intact: openssl reads it
    with pytest.raises(UnsupportedInputError) as raised:
        load_compat(name, PASSWORD)
    message = str(raised.value)
    assert "ARIA-256-CBC, which certmatch cannot decrypt" in message
    assert "password does not" not in message
    assert "damaged" not in message and "OCR" not in message
