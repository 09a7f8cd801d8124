"""build_app(): the Bolt App with its Web API client, retries, the message intake, de-duplication, listeners and error handler.

bot.wiring builds the parts it is given (store, service, job queue) and starts the workers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

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
from bot.config import Settings
from bot.eventlog import log_event
from bot.faults import CHANNEL_REFUSED, failure_reply, slack_error, tell_directly
from bot.keepalive import KeepAliveWebClient
from bot.service import Service
from handlers import reminder_commands

logger = logging.getLogger("certmatch.bot")

# Bolt's listener threads per process (Bolt's own default) for commands, actions and App Home;
# messages do not use them (bot.jobs: the durable queue and its workers).
LISTENER_THREADS = 5


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
    # Keep-alive connections to the Web API (bot.keepalive): urllib opened one per call.
    return KeepAliveWebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        timeout=30,
        retry_handlers=retry_handlers(),
    )


def build_app(settings: Settings, service: Service, intake: Callable[..., Any]) -> App:
    """The Bolt App: the message intake (the durable queue), de-duplication, listeners, error handler."""
    app = App(
        logger=_bolt_logger(),
        client=build_client(settings),
        signing_secret=settings.signing_secret or "",
        # Listeners ack() first and then work in Bolt's thread pool, so Slack gets its
        # answer within milliseconds whatever the work costs.
        process_before_response=False,
        # auth.test at start-up: a wrong token stops the process instead of the first reply.
        token_verification_enabled=True,
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="certmatch-listener"
        ),
    )
    # First: a message is queued (or, chatter, acknowledged) before anything else touches it.
    app.middleware(intake)
    app.middleware(_deduplicate_events(service))
    # Before handlers.register: it matches `/certmatch expiring|reminders` only (issue 16).
    reminder_commands.register(app, service.reminders)
    handlers.register(app, service)

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


def _deduplicate_events(service: Service) -> Callable[..., BoltResponse | None]:
    def deduplicate_events(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        """Slack retries (X-Slack-Retry-Num, same event_id) and other processes get one answer."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        team = body.get("team_id")
        if event_id and not service.claim(f"event:{event_id}", team=team):
            return BoltResponse(status=200, body="")
        next()
        return None

    return deduplicate_events


def _tell_user(client: WebClient, body: dict[str, Any], reply: Any) -> None:
    """Reach the person where they asked: the message's thread, the response_url, or the form's channel."""
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event", {})
        if event.get("type") not in ("message", "app_mention") or not event.get("channel"):
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
