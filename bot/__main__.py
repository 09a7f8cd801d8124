"""`python -m bot`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT (POST /slack/events, GET /healthz)."""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import threading
import time

from slack_bolt.error import BoltError

from bot.config import ConfigError
from bot.wiring import Bot, bot_from_environment

logger = logging.getLogger("certmatch.bot")


def main(argv: list[str] | None = None) -> int:
    try:
        bot = bot_from_environment()
    except ConfigError as exc:
        print(f"certmatch: {exc}", file=sys.stderr)
        return 2
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
    return run(bot)


class _Stop(Exception):
    """Raised in the main thread on SIGTERM (Heroku sends it on every restart)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Stop


def run(bot: Bot) -> int:
    settings = bot.settings
    # On SIGTERM stop taking new work, then let the work in hand finish and reply, for at
    # most CERTMATCH_SHUTDOWN_SECONDS (see _finish()).
    signal.signal(signal.SIGTERM, _on_sigterm)
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        logger.info("starting in Socket Mode")
        handler = SocketModeHandler(bot.app, settings.app_token)
        try:
            handler.start()  # type: ignore[no-untyped-call]
        except (_Stop, KeyboardInterrupt):
            logger.info("stopping")
        finally:
            handler.close()  # type: ignore[no-untyped-call]
        return _finish(bot)
    from bot.web import serve, wsgi_app

    server = serve(wsgi_app(bot.app, intake=bot.door_intake), "0.0.0.0", settings.port)

    def stop_serving(signum: int, frame: object) -> None:
        # Not an exception in the main thread (it could land inside a lock or a request
        # hand-off): shutdown() ends serve_forever between requests. It blocks until then,
        # so it runs in its own thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop_serving)
    logger.info("listening on port %d: POST /slack/events, GET /healthz", settings.port)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        logger.info("stopping")
        server.server_close()
    return _finish(bot)


def drain(bot: Bot, seconds: float) -> int:
    """Stop taking work and wait up to `seconds` for the work in hand; return how much is left.

    Why: an event is acknowledged before it is checked. The job workers give back the jobs
    they could not finish (the next process answers them at once); Bolt's listener pool
    (commands, buttons) is shut so an event still arriving is refused (Bolt answers 500) and
    Slack retries it against another instance.
    """
    deadline = time.monotonic() + seconds
    executor = bot.app.listener_runner.listener_executor
    executor.shutdown(wait=False)
    given_back = bot.stop_workers(seconds)
    threads = list(getattr(executor, "_threads", ()))
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return given_back + sum(1 for t in threads if t.is_alive())


def _finish(bot: Bot) -> int:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the drain
    started = time.monotonic()
    seconds = bot.settings.shutdown_seconds
    running = drain(bot, seconds)
    if running:
        logger.warning(
            "stopped with %d check(s) still running after %.0f s; queued checks were given "
            "back to the job queue for the next process",
            running,
            seconds,
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
