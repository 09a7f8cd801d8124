"""Chatter answered at the WSGI door: a signed Events API message that cannot hold material gets its 200 before Bolt.

The bot receives every message in its channels, and most are chatter. Bolt's dispatch (its
request object, context, the middleware chain down to the message intake, which acks
chatter with no write) cost about 45 us of the 58 us a chatter delivery took in-process
(cProfile, issue 17); this gate verifies the request exactly as Bolt does (slack_sdk's
`SignatureVerifier`: HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret, the
timestamp within five minutes), parses the JSON once and applies the intake's own
relevance test (`bot.jobs.relevance.is_relevant_message`). Only what is certainly chatter
is answered here: anything else (a bad or missing signature, which Bolt answers 401; a
Slack retry, `X-Slack-Retry-Num`; url_verification; commands, actions, forms; mentions, and
messages that mention anyone near their start, which may be `@certmatch check HOST`; every
message that may hold material) goes to Bolt unchanged.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from slack_sdk.signature import SignatureVerifier

from bot.jobs.relevance import is_relevant_message

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment


class ChatterGate:
    def __init__(self, signing_secret: str) -> None:
        self._verifier = SignatureVerifier(signing_secret)

    def is_chatter(self, environ: WSGIEnvironment, raw: bytes) -> bool:
        """True when the request is a correctly signed, first delivery of a message without material."""
        if not str(environ.get("CONTENT_TYPE") or "").startswith("application/json"):
            return False  # commands and interactivity are forms
        if environ.get("HTTP_X_SLACK_RETRY_NUM") is not None:
            return False  # Bolt and the intake see every retry, as before
        try:
            body: Any = json.loads(raw.decode("utf-8"))
        except ValueError:
            return False
        if not isinstance(body, dict) or body.get("type") != "event_callback":
            return False
        event = body.get("event")
        if not isinstance(event, dict) or event.get("type") != "message":
            return False
        if is_relevant_message(event):
            return False
        text = event.get("text")
        if isinstance(text, str) and "<@" in text[:64]:
            # It may be `@certmatch check HOST` (bot.jobs.relevance.is_check_request, which
            # needs the bot's user id from Bolt's context): the intake decides.
            return False
        # Last, as it is the dearest check (an HMAC of the body); Bolt verifies the rest itself.
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        try:
            return self._verifier.is_valid(raw, timestamp, signature)
        except ValueError:
            return False  # a timestamp that is not a number: Bolt answers it
