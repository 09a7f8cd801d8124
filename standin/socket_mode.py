"""Slack's Socket Mode endpoint: says hello, pushes envelopes, records the app's acks."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve


class WebSocketStandIn:
    """Slack's Socket Mode endpoint: says hello, pushes envelopes, records the app's acks."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self._connections: list[ServerConnection] = []
        self._lock = threading.Lock()
        self._server: Server = serve(self._on_connect, "127.0.0.1", 0)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=standin"

    def _on_connect(self, conn: ServerConnection) -> None:
        conn.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "standin", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": "A0CERTMATCH"},
                }
            )
        )
        with self._lock:
            self._connections.append(conn)
        self.connected.set()
        try:
            for message in conn:
                data = json.loads(message)
                with self._lock:
                    self.acks.append(data)
        except Exception:  # the client closed the socket; the test is over
            return

    def send_envelope(self, payload_type: str, payload: dict[str, Any], retry: int = 0) -> str:
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": payload_type,
            "payload": payload,
            "accepts_response_payload": payload_type != "events_api",
            "retry_attempt": retry,
            "retry_reason": "timeout" if retry else "",
        }
        with self._lock:
            conn = self._connections[-1]
        conn.send(json.dumps(envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                for ack in self.acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
            time.sleep(0.02)
        raise AssertionError(f"no ack for envelope {envelope_id}")

    def stop(self) -> None:
        self._server.shutdown()
