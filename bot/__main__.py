"""`python -m bot`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT (POST /slack/events, GET /healthz)."""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import threading
import time

from slack_bolt import App
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
        app = create_app(settings, store, remind=True)
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
    # On SIGTERM stop taking new work, then let checks already acknowledged finish and reply,
    # for at most CERTMATCH_SHUTDOWN_SECONDS (see drain()).
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
        return _finish(app, settings)
    from bot.web import serve, wsgi_app

    server = serve(wsgi_app(app), "0.0.0.0", settings.port)

    def stop_serving(signum: int, frame: object) -> None:
        # Not an exception in the main thread (it could land inside a lock or a request
        # hand-off): shutdown() ends serve_forever between requests. It blocks until then,
        # so it runs in its own thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop_serving)
    logger.info("listening on port %d: POST /slack/events, GET /healthz", settings.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        logger.info("stopping")
        server.server_close()
    return _finish(app, settings)


def drain(app: App, seconds: float) -> int:
    """Stop Bolt's listener pool taking work and wait up to `seconds` for it; return how many still run.

    Why: an event is acknowledged before it is checked, so Slack will not resend it; a check
    cut off by the exit would be an answer lost. Once the pool is shut, an event still arriving
    is refused (Bolt answers 500), and Slack retries it against another instance.
    """
    executor = app.listener_runner.listener_executor
    executor.shutdown(wait=False)
    threads = list(getattr(executor, "_threads", ()))
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return sum(1 for t in threads if t.is_alive())


def _finish(app: App, settings: Settings) -> int:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the drain
    started = time.monotonic()
    running = drain(app, settings.shutdown_seconds)
    if running:
        logger.warning(
            "stopped with %d check(s) still running after %.0f s; they get no reply",
            running,
            settings.shutdown_seconds,
        )
        logging.shutdown()
        # The interpreter would wait for those threads without a bound; Heroku's SIGKILL
        # would come in the middle of that wait. Exiting with pooled connections open is
        # safe: each store operation is its own committed transaction.
        os._exit(1)
    logger.info("stopped cleanly in %.1f s", time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
