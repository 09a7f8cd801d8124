"""Plain messages answered at the WSGI door, before Bolt: chatter gets its 200 untouched, a person's relevant message is queued and then gets its 200.

The bot receives every message in its channels, and most are chatter. Bolt's dispatch (its
request object, context, the middleware chain down to the message intake) cost about 45 us
of the 58 us a chatter delivery took in-process (cProfile, issue 17), and for a relevant
message its adapter and middleware were about 4 % of the bot's CPU under the sustained
benchmark, on the acknowledgement's path (py-spy, docs/performance.md). This door verifies
the request exactly as Bolt does (slack_sdk's `SignatureVerifier`: HMAC-SHA256 of
`v0:<timestamp>:<body>` with the signing secret, the timestamp within five minutes), parses
the JSON once and applies the intake's own relevance test
(`bot.jobs.relevance.is_relevant_message`, which takes a person's messages only: never the
bot's own, another bot's, an edit or a deletion). A relevant message is queued through
`bot.jobs.intake.door_intake`, the same job as the intake middleware would write, and
answered 200 once committed or 503 when it cannot be (Slack retries). Only what is certainly
one of the two is answered here: anything else (a bad or missing signature, which Bolt
answers 401; a Slack retry, `X-Slack-Retry-Num`, which Bolt and the intake see as before;
url_verification; commands, actions, forms; mentions, and messages that mention anyone near
their start, which may be `@certmatch check HOST`) goes to Bolt unchanged.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from slack_sdk.signature import SignatureVerifier

from bot.jobs.intake import DoorIntake
from bot.jobs.relevance import is_relevant_message

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment


class ChatterGate:
    def __init__(self, signing_secret: str, enqueue: DoorIntake | None = None) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        # None: relevant messages go to Bolt's intake middleware, as before the door queued.
        self._enqueue = enqueue

    def answer(self, environ: WSGIEnvironment, raw: bytes) -> int | None:
        """The status the door answers the request with (200, or 503 when a relevant message
        cannot be queued), or None to hand it to Bolt."""
        if not str(environ.get("CONTENT_TYPE") or "").startswith("application/json"):
            return None  # commands and interactivity are forms
        if environ.get("HTTP_X_SLACK_RETRY_NUM") is not None:
            return None  # Bolt and the intake see every retry, as before
        try:
            body: Any = json.loads(raw.decode("utf-8"))
        except ValueError:
            return None
        if not isinstance(body, dict) or body.get("type") != "event_callback":
            return None
        event = body.get("event")
        if not isinstance(event, dict) or event.get("type") != "message":
            return None
        relevant = is_relevant_message(event)
        if relevant and self._enqueue is None:
            return None
        text = event.get("text")
        if isinstance(text, str) and "<@" in text[:64]:
            # It may be `@certmatch check HOST` (bot.jobs.relevance.is_check_request, which
            # needs the bot's user id from Bolt's context): the intake decides.
            return None
        # Last, as it is the dearest check (an HMAC of the body); Bolt verifies the rest itself.
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        try:
            if not self._verifier.is_valid(raw, timestamp, signature):
                return None
        except ValueError:
            return None  # a timestamp that is not a number: Bolt answers it
        if not relevant:
            return 200
        assert self._enqueue is not None
        return 200 if self._enqueue(body, event) else 503
