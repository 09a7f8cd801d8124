"""The App Home tab: what certmatch does, how to use it, and what it stores for how long."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.ports import CertmatchService
from handlers.views import build_home_view


def register(app: App, service: CertmatchService) -> None:
    @app.event("app_home_opened")
    def handle_app_home_opened(ack: Ack, event: dict[str, Any], client: WebClient) -> None:
        ack()
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=str(event["user"]), view=build_home_view(service.about()))
