"""Socket Mode: the app connects through apps.connections.open to a local websocket stand-in, acks envelopes, replies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.store import Store
from bot.wiring import build_bot
from standin import APP_TOKEN, SlackStandIn, WebSocketStandIn
from tests.bot_e2e_support import message_event, settings_for, vector, wait_jobs_done

CSR = vector("server.csr.pem")


@pytest.fixture
def websocket(standin: SlackStandIn) -> Iterator[WebSocketStandIn]:
    ws = WebSocketStandIn()
    standin.ws_url = ws.url
    yield ws
    ws.stop()


def test_socket_mode_acks_the_envelope_and_replies_once_in_the_thread(
    standin: SlackStandIn, websocket: WebSocketStandIn, tmp_path: Path
) -> None:
    settings = settings_for(
        standin,
        f"sqlite:///{tmp_path / 'socket.sqlite3'}",
        "certmatch_",
        app_token=APP_TOKEN,
        signing_secret=None,
    )
    bot = build_bot(settings, Store.open(settings.database_url, settings.table_prefix))
    handler = SocketModeHandler(bot.app, APP_TOKEN)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        assert websocket.connected.wait(10)
        opened = standin.calls_to("apps.connections.open")
        assert [c.token for c in opened] == [APP_TOKEN]

        payload = message_event(files=[standin.add_file("tomcat.csr", CSR)])
        first = websocket.send_envelope("events_api", payload)
        assert websocket.wait_for_ack(first)["envelope_id"] == first
        standin.wait_for(lambda s: len(s.posts()) == 1)
        assert standin.posts()[0]["thread_ts"] == payload["event"]["ts"]

        # Slack redelivers the same event (same event_id) on another envelope: acked, not answered.
        again = websocket.send_envelope("events_api", payload, retry=1)
        websocket.wait_for_ack(again)
        wait_jobs_done(settings.database_url, settings.table_prefix)
        assert len(standin.calls_to("chat.postMessage")) == 1
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        bot.stop_workers(5.0)
