"""Queued jobs other than a plain message: `@certmatch check HOST` posts, `/certmatch` checks, the form, the shortcut.

Each is one job with one reply, claimed under the job key in the reply ledger (bot.jobs.replies)
before it is sent: a post into a thread carries the job's metadata, so a job taken over after a
SIGKILL finds a reply already posted; a response_url answer cannot be looked up, so only the
moment between Slack taking it and the ledger recording it is exposed (docs/reliability.md).
A failure is told to the person once, privately where the request came with a response_url.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.eventlog import log_event
from bot.faults import CHANNEL_REFUSED, failure_reply, slack_error
from bot.jobs.queue import Job
from bot.jobs.replies import ReplyLedger
from bot.jobs.runner import KindHandler, payload_message
from bot.service import Service
from handlers import queued
from handlers.blocks import Reply
from handlers.connect import build_endpoint_reply, mention_request
from handlers.queued import Answer

logger = logging.getLogger("certmatch.bot")

CONNECT = "connect"


class SurfaceJobs:
    """The job kinds besides "message", for `JobRunner(kinds=...)`."""

    def __init__(self, service: Service, ledger: ReplyLedger) -> None:
        self.service = service
        self.ledger = ledger

    def kinds(self) -> dict[str, KindHandler]:
        handlers: dict[str, KindHandler] = {CONNECT: self.answer_connect}
        for surface in queued.SURFACES:
            handlers[surface] = self.answer_request
        return handlers

    def answer_request(self, client: WebClient, job: Job, payload: dict[str, Any]) -> None:
        """A `/certmatch` check, a form submission or a message shortcut."""
        self._answer_once(
            client,
            job,
            lambda: queued.answer_request(self.service, client, job.kind, payload),
            lambda reply, _code: queued.failure_answer(payload, reply),
            channel=str(payload.get("channel") or ""),
        )

    def answer_connect(self, client: WebClient, job: Job, payload: dict[str, Any]) -> None:
        """`@certmatch check HOST`, with whatever material the same post carries."""
        message = payload_message(payload)
        request = mention_request(message.text, payload.get("bot_user")) or ""

        def answer() -> Answer:
            found = self.service.check_endpoint(client, message, request)
            reply = build_endpoint_reply(found, posted=True)
            return Answer(reply, message.channel, message.thread_ts)

        def on_failure(reply: Reply, code: str | None) -> Answer:
            if code in CHANNEL_REFUSED and message.poster:
                return Answer(reply, message.poster)  # a direct message: the channel refused
            return Answer(reply, message.channel, message.thread_ts)

        self._answer_once(
            client, job, answer, on_failure, channel=message.channel, event_id=message.event_id
        )

    def _answer_once(
        self,
        client: WebClient,
        job: Job,
        answer: Callable[[], Answer],
        on_failure: Callable[[Reply, str | None], Answer],
        *,
        channel: str,
        event_id: str | None = None,
    ) -> None:
        """Deliver `answer()` once; on a failure (not the database's), `on_failure(apology,
        Slack's error code)` says where the one apology goes."""
        try:
            self._deliver(client, job.key, answer())
        except SQLAlchemyError:
            raise  # the job is given back and tried again (nothing was posted)
        except Exception as error:
            # The traceback goes to the log (never the payload: it may hold a private key).
            logger.error("job %s failed: %s", job.key, type(error).__name__, exc_info=error)
            code = slack_error(error)
            reply = failure_reply(error, self.service.failure_reply(error))
            try:
                self._deliver(client, job.key, on_failure(reply, code))
            except SQLAlchemyError:
                raise
            except Exception:
                logger.exception("could not tell the user about the failure")
            log_event(
                logging.WARNING,
                id=event_id or job.kind,
                channel=channel,
                verdict="failed",
                error=code or type(error).__name__,
            )

    def _deliver(self, client: WebClient, key: str, answer: Answer) -> None:
        self.ledger.post_once(
            client,
            key,
            channel=answer.channel,
            thread_ts=answer.thread_ts,
            reply=answer.reply,
            post=lambda metadata: queued.deliver(client, answer, metadata),
        )
