"""Slack listeners for certmatch: `register(app, service)` wires every surface onto a Bolt App.

Posted messages are queued by the bot's intake instead (handlers.messages describes them).
"""

from __future__ import annotations

from slack_bolt import App

from handlers import admin, commands, home, interactive, mentions
from handlers.ports import CertmatchService


def register(app: App, service: CertmatchService) -> None:
    commands.register(app, service)
    interactive.register(app, service)
    home.register(app, service)
    mentions.register(app, service)
    admin.register(app, service)
