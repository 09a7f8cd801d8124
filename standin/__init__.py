"""A local stand-in for Slack, shared by the end-to-end tests and the benchmark: Web API, file hosts, Socket Mode.

Real servers on 127.0.0.1 (never mocks), so the bot is exercised through its own HTTP client,
retries and signature checks. `SlackStandIn` is the Web API and file host,
`WebSocketStandIn` the Socket Mode endpoint, `RecordingServer` "another host".
"""

from __future__ import annotations

from standin.blockkit import block_kit_problem, view_problem
from standin.hosts import RecordingServer
from standin.slack import (
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGN_IN_PAGE,
    TEAM_ID,
    Call,
    SlackStandIn,
)
from standin.socket_mode import WebSocketStandIn

__all__ = [
    "APP_TOKEN",
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "SIGN_IN_PAGE",
    "TEAM_ID",
    "Call",
    "RecordingServer",
    "SlackStandIn",
    "WebSocketStandIn",
    "block_kit_problem",
    "view_problem",
]
