"""create_app(settings): the Bolt App with its Web API client, retries, de-duplication, listeners and error handler."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

import handlers
from bot.config import ConfigError, Settings
from bot.eventlog import log_event
from bot.faults import CHANNEL_REFUSED, failure_reply, slack_error, tell_directly
from bot.files import SlackFileFetcher
from bot.reminders import ReminderPoller
from bot.service import Service
from bot.store import Store
from handlers import reminder_commands

logger = logging.getLogger("certmatch.bot")

_P = ParamSpec("_P")
_T = TypeVar("_T")
# Bolt's listener threads per process (Bolt's own default), and how many events may be accepted
# (running or waiting for a thread) before more are refused with 503 for Slack to retry. A check
# costs about 10-30 ms of one core here, so 16 pending is at most a few hundred ms of waiting:
# a reply arrives late by that much rather than by minutes, and the queue's memory is bounded.
LISTENER_THREADS = 5
MAX_PENDING_EVENTS = 16


class BoundedListenerPool(ThreadPoolExecutor):
    """Bolt's listener pool, counting the work it holds so the app can refuse more when full.

    Bolt queues listeners without bound: when events arrive faster than they are checked,
    acknowledgements stay fast while replies fall minutes behind and memory grows with the
    queue. `full()` lets a middleware answer 503 *before* the event is claimed, so Slack's
    retry of that event is still answered later.
    """

    def __init__(self, max_workers: int, max_pending: int) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="certmatch-listener")
        self.max_pending = max_pending
        self._pending = 0
        self._count_lock = threading.Lock()

    @property
    def pending(self) -> int:
        with self._count_lock:
            return self._pending

    def full(self) -> bool:
        return self.pending >= self.max_pending

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        with self._count_lock:
            self._pending += 1

        def counted() -> _T:
            try:
                return fn(*args, **kwargs)
            finally:
                self._done()

        try:
            return super().submit(counted)
        except BaseException:
            self._done()
            raise

    def _done(self) -> None:
        with self._count_lock:
            self._pending -= 1


def retry_handlers() -> list[RetryHandler]:
    """429 (honouring Retry-After), 5xx and connection resets are retried with backoff."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return [
        ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
        RateLimitErrorRetryHandler(max_retry_count=3),
        _GatewayErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
    ]


class _GatewayErrorRetryHandler(ServerErrorRetryHandler):
    """Also 502 and 504: slack_sdk's handler retries only 500 and 503, but a proxy's 502/504 is as
    transient (found by injecting a 502 into chat.postMessage through the stand-in)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in (500, 502, 503, 504)


def build_client(settings: Settings) -> WebClient:
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        timeout=30,
        retry_handlers=retry_handlers(),
    )


def open_store(settings: Settings, attempts: int = 5, first_delay: float = 1.0) -> Store:
    """Open the database, retrying with backoff: a database that starts a moment late is normal."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return Store.open(settings.database_url, settings.table_prefix)
        except Exception as exc:
            if attempt == attempts:
                raise ConfigError(
                    f"DATABASE_URL: cannot open the database after {attempts} attempts "
                    f"({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else 'no detail'}); "
                    "check that it is running and the URL is right"
                ) from None
            logger.warning(
                "database not reachable (attempt %d/%d), retrying in %.0fs",
                attempt,
                attempts,
                delay,
            )
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def create_app(
    settings: Settings,
    store: Store | None = None,
    clock: Callable[[], float] = time.time,
    *,
    remind: bool = False,
) -> App:
    """The whole Slack app. Opens (and creates the tables of) the store unless one is given.

    `clock` (epoch seconds) is what retention and the memory's "posted at" read; tests move it.
    `remind` starts the expiry reminders' poller (the entry points do; tests drive
    `Reminders.run_due` themselves on a moved clock).
    """
    store = store if store is not None else Store.open(settings.database_url, settings.table_prefix)
    pool = BoundedListenerPool(LISTENER_THREADS, MAX_PENDING_EVENTS)
    fetcher = SlackFileFetcher(
        settings.bot_token, settings.api_url, settings.max_file_bytes, settings.download_timeout
    )
    service = Service(settings, store, fetcher, clock)
    # Retention also runs at start, not only with the first check after an idle stretch.
    service.purge_expired()
    app = App(
        logger=_bolt_logger(),
        client=build_client(settings),
        signing_secret=settings.signing_secret or "",
        # Listeners ack() first and then work in Bolt's thread pool, so Slack gets its
        # answer within milliseconds whatever the check costs.
        process_before_response=False,
        # auth.test at start-up: a wrong token stops the process instead of the first reply.
        token_verification_enabled=True,
        listener_executor=pool,
    )
    app.middleware(_shed_load(pool))
    app.middleware(_deduplicate_events(service))
    # Before handlers.register: it matches `/certmatch expiring|reminders` only (issue 16).
    reminder_commands.register(app, service.reminders)
    handlers.register(app, service)
    if remind:
        ReminderPoller(service.reminders, app.client).start()

    @app.error
    def handle_listener_error(
        error: Exception, body: dict[str, Any], client: WebClient, logger: logging.Logger
    ) -> None:
        # The traceback goes to the log (never the payload: it may hold a private key);
        # the person gets a sentence saying what happened and what to do.
        logger.error("listener failed: %s", type(error).__name__, exc_info=error)
        reply = failure_reply(error, service.failure_reply(error))
        try:
            # A channel that refused the bot would refuse the apology too: tell the person.
            refused = slack_error(error) in CHANNEL_REFUSED
            if not (refused and tell_directly(client, body, reply)):
                _tell_user(client, body, reply)
        except Exception:
            logger.exception("could not tell the user about the failure")
        event = body.get("event") or {}
        log_event(
            logging.WARNING,
            id=body.get("event_id"),
            team=body.get("team_id") or (body.get("team") or {}).get("id"),
            channel=event.get("channel") or (body.get("channel") or {}).get("id"),
            verdict="failed",
            error=slack_error(error) or type(error).__name__,
        )

    return app


class _DropTokenSkippedWarning(logging.Filter):
    # Bolt also reads SLACK_BOT_TOKEN from the environment and warns that the token given with
    # our client wins; that is intended (the client carries SLACK_API_URL and the retries).
    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    bolt_logger = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _DropTokenSkippedWarning) for f in bolt_logger.filters):
        bolt_logger.addFilter(_DropTokenSkippedWarning())
    return bolt_logger


def _shed_load(pool: BoundedListenerPool) -> Callable[..., BoltResponse | None]:
    def shed_load(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        """A full listener pool refuses Events API deliveries with 503, before they are claimed.

        Slack retries a refused delivery (after about 1 s, 1 min and 5 min), and since the
        event was not claimed the retry is answered. Commands and button clicks are never
        refused: Slack does not retry them and the person is waiting.
        """
        if body.get("type") == "event_callback" and pool.full():
            logger.warning("busy: %d events pending, event refused with 503", pool.pending)
            return BoltResponse(status=503, body="busy, retry later")
        next()
        return None

    return shed_load


def _deduplicate_events(service: Service) -> Callable[..., BoltResponse | None]:
    def deduplicate_events(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        """Slack retries (X-Slack-Retry-Num, same event_id) and other processes get one answer."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not service.claim(f"event:{event_id}"):
            return BoltResponse(status=200, body="")
        next()
        return None

    return deduplicate_events


def _tell_user(client: WebClient, body: dict[str, Any], reply: Any) -> None:
    """Reach the person where they asked: the message's thread, the response_url, or the form's channel."""
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event", {})
        if event.get("type") != "message" or not event.get("channel"):
            return
        client.chat_postMessage(
            channel=event["channel"],
            thread_ts=event.get("thread_ts") or event.get("ts"),
            text=reply.text,
            blocks=reply.blocks,
            unfurl_links=False,
        )
        return
    response_url = body.get("response_url")
    if kind == "view_submission":
        meta = json.loads(body.get("view", {}).get("private_metadata") or "{}")
        response_url = meta.get("response_url")
    if response_url:
        WebhookClient(response_url, retry_handlers=client.retry_handlers).send(
            text=reply.text, blocks=reply.blocks, response_type="ephemeral"
        )
        return
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    if user and channel:
        try:
            client.chat_postEphemeral(
                channel=channel, user=user, text=reply.text, blocks=reply.blocks
            )
        except SlackApiError:
            client.chat_postMessage(channel=user, text=reply.text, blocks=reply.blocks)
