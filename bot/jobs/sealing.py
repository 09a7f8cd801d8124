"""Job payloads sealed (AES-GCM) under a key derived from the bot token, so pasted text never lies in the database in clear.

Why: a job holds the message it answers, and people paste private keys. The key comes from
SLACK_BOT_TOKEN (HKDF-SHA256), which every instance of the app has and which already reads
the original message in Slack: whoever can open a sealed payload could read the message
anyway, while a copy of the database alone reveals nothing. A payload sealed under a token
since rotated cannot be opened; the job is then logged and dropped (see JobRunner).
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"certmatch job payload v1"


class UnsealError(Exception):
    """The payload was sealed under another key (a rotated token) or damaged."""


class Sealer:
    def __init__(self, bot_token: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            bot_token.encode("utf-8")
        )
        self._aead = AESGCM(key)

    def seal(self, payload: dict[str, Any], job_key: str) -> str:
        nonce = os.urandom(12)
        data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        # The job key is authenticated data: a payload cannot be moved to another job.
        sealed = self._aead.encrypt(nonce, data, job_key.encode("utf-8"))
        return base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str, job_key: str) -> dict[str, Any]:
        try:
            raw = base64.b64decode(sealed)
            data = self._aead.decrypt(raw[:12], raw[12:], job_key.encode("utf-8"))
        except (InvalidTag, ValueError) as exc:
            raise UnsealError(f"job {job_key}: payload cannot be opened") from exc
        payload: dict[str, Any] = json.loads(data)
        return payload
