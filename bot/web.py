"""HTTP mode: a WSGI application serving POST /slack/events (Bolt) and GET /healthz.

gunicorn runs it in production (`gunicorn 'bot.web:create_wsgi_app()'`, see the Procfile);
`python -m bot` serves the same callable with a threaded wsgiref server for a single host.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.chatter import ChatterGate
from bot.config import ConfigError
from bot.jobs.intake import REFUSED, DoorIntake

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's payloads are small; a bigger body is not from Slack (and would cost memory).
MAX_BODY_BYTES = 1024 * 1024


def wsgi_app(
    app: App, signing_secret: str | None = None, *, intake: DoorIntake | None = None
) -> WSGIApplication:
    """The WSGI callable: /healthz, the body bound, plain messages answered before Bolt, the rest to Bolt.

    `signing_secret` defaults to the Bolt app's own (the one Bolt verifies requests with).
    `intake` queues a relevant message at the door (`Bot.door_intake`); without it only
    chatter is answered there and relevant messages go through Bolt's intake middleware.
    """
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    secret = getattr(app, "_signing_secret", "") if signing_secret is None else signing_secret
    chatter = ChatterGate(secret, intake) if secret else None

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and path == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true}']
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            _discard(environ, length)
            start_response("413 Payload Too Large", [("Content-Type", "text/plain")])
            return [b"request too large"]
        if chatter is not None and path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            raw = environ["wsgi.input"].read(length) if length else b""
            status = chatter.answer(environ, raw)
            if status == 200:
                start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
                return [b""]
            if status is not None:
                text = REFUSED.encode("ascii")  # as the intake middleware answers
                headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))]
                start_response("503 Service Unavailable", headers)
                return [text]
            environ["wsgi.input"] = io.BytesIO(raw)  # Bolt reads the body again
        return bolt(environ, start_response)

    return application


def _discard(environ: WSGIEnvironment, length: int) -> None:
    # Read (and drop) a bounded amount so the client sees the 413 instead of a reset connection.
    stream = environ["wsgi.input"]
    remaining = min(length, 16 * MAX_BODY_BYTES)
    while remaining > 0:
        chunk = stream.read(min(remaining, 65536))
        if not chunk:
            return
        remaining -= len(chunk)


def create_wsgi_app() -> WSGIApplication:
    """The gunicorn entry point (one per worker process): the bot from env/.env, a one-line error if wrong.

    Each worker process runs its own job workers; on the worker's exit they get the graceful
    timeout to finish, and give back what they could not.
    """
    import atexit

    from bot.wiring import bot_from_environment

    try:
        bot = bot_from_environment(require_signing_secret=True)
    except ConfigError as exc:
        raise SystemExit(f"certmatch: {exc}") from None
    atexit.register(bot.stop_workers, bot.settings.shutdown_seconds)
    return wsgi_app(bot.app, bot.settings.signing_secret, intake=bot.door_intake)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver's listen backlog is 5: a burst of 16 concurrent deliveries had connections
    # reset before they were accepted (found with tests/test_bot_queue_e2e.py's chatter burst).
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logging.getLogger("certmatch.http").debug(format, *args)


def serve(application: WSGIApplication, host: str, port: int) -> WSGIServer:
    """A threaded HTTP server for `application`, not yet serving (call serve_forever)."""
    return make_server(
        host, port, application, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )


def serve_in_thread(
    application: WSGIApplication, host: str = "127.0.0.1", port: int = 0
) -> tuple[WSGIServer, Callable[[], None]]:
    """Start serving in a daemon thread; return the server and a function that stops it."""
    server = serve(application, host, port)
    # Shutdown is noticed within 0.05 s (serve_forever's default poll is 0.5 s), as
    # bolt-python's own test server does.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return server, stop
