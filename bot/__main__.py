"""`python -m bot`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT (POST /slack/events, GET /healthz)."""

from __future__ import annotations

import logging
import re
import signal
import sys

from slack_bolt.error import BoltError

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging

logger = logging.getLogger("certmatch.bot")


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"certmatch: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    return run(settings)


class _Stop(Exception):
    """Raised in the main thread on SIGTERM (Heroku sends it on every restart)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Stop


def run(settings: Settings) -> int:
    from bot.app import create_app, open_store

    try:
        store = open_store(settings)
    except ConfigError as exc:
        print(f"certmatch: {exc}", file=sys.stderr)
        return 2
    try:
        app = create_app(settings, store)
    except BoltError as exc:
        # Bolt's auth.test at start-up refused the token; name Slack's error code only.
        found = re.search(r"'error': '([a-z_]+)'", str(exc))
        reason = found.group(1) if found else "auth.test failed"
        print(
            f"certmatch: SLACK_BOT_TOKEN was refused by Slack ({reason}); copy the current Bot "
            "User OAuth Token from OAuth & Permissions and reinstall the app if needed",
            file=sys.stderr,
        )
        return 2
    # On SIGTERM stop taking new work; returning lets the interpreter join Bolt's listener
    # threads, so checks already acknowledged still get their reply.
    signal.signal(signal.SIGTERM, _on_sigterm)
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        logger.info("starting in Socket Mode")
        handler = SocketModeHandler(app, settings.app_token)
        try:
            handler.start()  # type: ignore[no-untyped-call]
        except (_Stop, KeyboardInterrupt):
            logger.info("stopping")
        finally:
            handler.close()  # type: ignore[no-untyped-call]
        return 0
    from bot.web import serve, wsgi_app

    server = serve(wsgi_app(app), "0.0.0.0", settings.port)
    logger.info("listening on port %d: POST /slack/events, GET /healthz", settings.port)
    try:
        server.serve_forever()
    except (_Stop, KeyboardInterrupt):
        logger.info("stopping")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
