"""The one structured log line per handled Slack event: `event key=value ...`, ids, kinds, verdict and durations only.

Why a module of its own: every path that finishes an event (a reply, silence, a failure) logs
the same fields in the same shape, so one grep or one log query follows an event. Values are
ids, counts, artefact kinds and durations: never message text, file content or tokens.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger("certmatch.events")

# Values are ids and short words; anything else is replaced, so a field can never smuggle
# message text (or a newline that forges a second log line) into the log.
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:,@+-]{0,200}$")


def log_event(level: int = logging.INFO, **fields: object) -> None:
    """Log `event k1=v1 k2=v2 ...`; None becomes "-", floats are milliseconds already rounded."""
    parts = []
    for key, value in fields.items():
        text = "-" if value is None or value == "" else str(value)
        parts.append(f"{key}={text if _SAFE_VALUE.match(text) else '?'}")
    logger.log(level, "event %s", " ".join(parts))


def ms(seconds: float) -> int:
    return round(seconds * 1000)
