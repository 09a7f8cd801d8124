"""What a worker does with one job: open the payload, check the message, reply exactly once, or apologise once.

A failure after the job was taken is told to the person as the job's one reply (the same
reply key), as the app's error handler does for listeners: Slack's refusal named when Slack
refused, a direct message when the channel will not take the bot's message. A database
failure on the reply claim gives the job back instead (nothing was posted): it is answered
when the database returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.eventlog import log_event
from bot.faults import CHANNEL_REFUSED, failure_reply, slack_error
from bot.jobs.intake import message_channel
from bot.jobs.queue import Job, JobQueue
from bot.jobs.replies import ReplyLedger
from bot.jobs.sealing import Sealer, UnsealError
from bot.prepared import PreparedCheck
from bot.service import Service
from handlers.blocks import Reply, build_reply
from handlers.messages import message_from_event
from handlers.ports import CheckOutcome, SlackMessage

logger = logging.getLogger("certmatch.bot")

# A job whose process died this many times is not tried again (a message that kills the
# process, e.g. out of memory, must not take every instance down in turn).
MAX_ATTEMPTS = 5
# Seconds before a job given back after a database failure is tried again.
RETRY_AFTER_SECONDS = 2.0


# Answers a job of another kind than "message" (bot.jobs.surfaces): it tells the person about
# its own failures; a database error it raises gives the job back, as for messages.
KindHandler = Callable[[WebClient, Job, dict[str, Any]], None]


def payload_message(payload: dict[str, Any]) -> SlackMessage:
    """The message a job answers, from its unsealed payload (the event and its envelope)."""
    return message_from_event(
        payload["event"],
        team=str(payload.get("team") or ""),
        event_id=payload.get("event_id"),
        ext_shared_flag=payload.get("ext_shared"),
    )


@dataclass
class _Answer:
    """A message job checked up to its writes, waiting for its group's commit and its post."""

    client: WebClient
    job: Job
    event: dict[str, Any]
    message: SlackMessage
    prepared: PreparedCheck


class JobRunner:
    def __init__(
        self,
        service: Service,
        queue: JobQueue,
        ledger: ReplyLedger,
        sealer: Sealer,
        kinds: Mapping[str, KindHandler] | None = None,
    ) -> None:
        self.service = service
        self.queue = queue
        self.ledger = ledger
        self.sealer = sealer
        self.kinds = dict(kinds or {})
        # Inside batch(): the jobs done on this thread, finished together when it ends, and
        # the checked messages whose writes and reply claims wait for one commit.
        self._local = threading.local()

    @contextmanager
    def batch(self, jobs: Sequence[Job] = ()) -> Iterator[None]:
        """Jobs run on this thread inside are stored together and finished together at the end.

        `jobs`, the take's, have their channels' profiles read in one statement first
        (bot.store.profiles).

        A worker runs the jobs of one take inside (bot.jobs.workers). Their checks are
        prepared one after another; their writes and reply claims go in one transaction, a
        statement a table, when the batch ends or before a check that would read what an
        earlier one of the batch writes (the same thread, the same key or names: its reads
        would miss those writes); then the replies are posted and the jobs finished in one
        commit. On SQLite that is one hold of the write lock for a take's checks, not one
        each (issue 17, docs/performance.md). Until then a job answered is still queued
        under this process's lease: were the process to die first, the job is taken again
        after the lease, finds its reply claimed, and finds the reply in the thread
        (bot.jobs.replies) instead of posting it again.
        """
        done: list[tuple[Job, str | None]] = []
        waiting: list[_Answer] = []
        self._local.done, self._local.waiting = done, waiting
        channels = {c for c in map(message_channel, (j.key for j in jobs)) if c}
        try:
            with self.service.profiles.read_once(channels):
                yield
        finally:
            try:
                self._answer(waiting)
            finally:
                self._local.done = self._local.waiting = None
                try:
                    self.queue.finish_many(done)
                except SQLAlchemyError:
                    # Replies posted stay posted; the jobs come back after their lease and find them.
                    logger.exception("could not mark %d jobs done", len(done))

    def run(self, client: WebClient, job: Job) -> None:
        """Answer `job` (or give it back): inside batch() perhaps only at its end; never raises."""
        if getattr(self._local, "waiting", None) is None:
            with self.batch():  # a batch of one
                self.run(client, job)
            return
        try:
            self._run(client, job)
        except SQLAlchemyError:
            logger.exception("database failed during job %s; it is tried again", job.key)
            self._give_back(job)
        except Exception:
            logger.exception("job %s failed", job.key)
            self._finish(job)

    def _run(self, client: WebClient, job: Job) -> None:
        if job.attempts > MAX_ATTEMPTS:
            logger.error("job %s dropped after %d attempts", job.key, job.attempts - 1)
            self._finish(job)
            return
        try:
            payload = self.sealer.open(job.payload or "", job.key)
        except UnsealError:
            logger.error("job %s: payload sealed under another bot token; dropped", job.key)
            self._finish(job)
            return
        handle = self.kinds.get(job.kind)
        waiting: list[_Answer] = self._local.waiting
        if handle is not None:
            if waiting:
                self._answer(waiting)  # a command in a thread reads what those store
            handle(client, job, payload)
            self._finish(job)
            return
        event: dict[str, Any] = payload["event"]
        message = payload_message(payload)
        thread = ("thread", message.team, message.channel, message.thread_ts)
        if waiting and any(thread in w.prepared.touches() for w in waiting):
            self._answer(waiting)  # its thread's memory first
        answer = self._prepare(client, job, event, message, payload)
        if answer is None:
            return
        reads = answer.prepared.reads()
        if any(reads & w.prepared.touches() for w in waiting):
            # Its lookups ran before a check of this batch stored the same key or names:
            # store that one, then check this one again (rare: two posts of one key at once).
            self._answer(waiting)
            answer = self._prepare(client, job, event, message, payload)
            if answer is None:
                return
        waiting.append(answer)

    def _prepare(
        self,
        client: WebClient,
        job: Job,
        event: dict[str, Any],
        message: SlackMessage,
        payload: dict[str, Any],
    ) -> _Answer | None:
        """The job's check up to its writes; None when it is answered already (or needs no reply).

        A database failure here raises (the job is given back: nothing was written); any
        other failure is told to the person as the job's reply.
        """
        try:
            # Nothing written: the writes wait for the batch's one transaction (`_store`).
            with self.service.store.reads():
                prepared = self.service.prepare(
                    client, message, quiet=bool(payload.get("quiet", True))
                )
        except SQLAlchemyError:
            raise
        except Exception as error:
            self._apologise(client, job, error, message, event)
            self._finish(job)
            return None
        if prepared.outcome is None and prepared.writes is None:
            self._finish(job)  # a quiet check: no reply, nothing to store
            return None
        return _Answer(client, job, event, message, prepared)

    def _answer(self, waiting: list[_Answer]) -> None:
        """Store the waiting checks and claim their replies in one commit, then post each."""
        answers, waiting[:] = list(waiting), []
        for answer, outcome, claimed in self._store(answers):
            try:
                self._post(answer, outcome, claimed)
            except SQLAlchemyError:
                logger.exception("database failed during job %s; it is tried again", answer.job.key)
                self._give_back(answer.job)
            except Exception:
                logger.exception("job %s failed", answer.job.key)
                self._finish(answer.job)

    def _store(self, answers: list[_Answer]) -> list[tuple[_Answer, CheckOutcome | None, bool]]:
        """Each check stored and its reply claimed: all in one transaction, else one by one."""
        if len(answers) > 1:
            try:
                with self.service.store.transaction():
                    in_window = self.service.store_checks([a.prepared for a in answers])
                    claimed = self.ledger.claim_many(
                        [(a.job.key, a.message.channel, a.message.thread_ts) for a in answers]
                    )
            except Exception as error:
                # Nothing of it was kept; one by one, a check that cannot be stored costs only
                # its own memory, and a database that is down gives each job back.
                logger.warning(
                    "storing %d checks together failed (%s); storing each alone",
                    len(answers),
                    type(error).__name__,
                )
            else:
                return [
                    (a, a.prepared.reply(window), a.job.key in claimed)
                    for a, window in zip(answers, in_window, strict=True)
                ]
        stored = []
        for a in answers:
            try:
                # The check's writes and the reply claim: one connection, one commit, before
                # the post (bot.store.transactions). A failure of the writes is the reply's
                # note (Service.complete); of the claim, the job goes back: nothing was posted.
                with self.service.store.transaction():
                    outcome = self.service.complete(a.prepared)
                    first = outcome is not None and self.ledger.claim(
                        a.job.key, a.message.channel, a.message.thread_ts
                    )
            except SQLAlchemyError:
                logger.exception("database failed during job %s; it is tried again", a.job.key)
                self._give_back(a.job)
                continue
            except Exception as error:
                try:
                    self._apologise(a.client, a.job, error, a.message, a.event)
                except SQLAlchemyError:
                    self._give_back(a.job)  # the apology's claim failed: tried again later
                else:
                    self._finish(a.job)
                continue
            stored.append((a, outcome, first))
        return stored

    def _post(self, answer: _Answer, outcome: CheckOutcome | None, claimed: bool) -> None:
        job, message = answer.job, answer.message
        finished: list[bool] = []

        def finish_with_the_ts(ts: str | None) -> None:
            # The job is done in the commit that stores its reply's ts (None: stored before).
            self._done(job, ts)
            finished.append(True)

        try:
            if outcome is not None:
                self.ledger.post_once(
                    answer.client,
                    job.key,
                    channel=message.channel,
                    thread_ts=message.thread_ts,
                    reply=build_reply(outcome),
                    store_ts=finish_with_the_ts,
                    claimed=claimed,
                )
        except SQLAlchemyError:
            raise
        except Exception as error:
            self._apologise(answer.client, job, error, message, answer.event)
        if not finished:
            self._finish(job)

    def _apologise(
        self,
        client: WebClient,
        job: Job,
        error: Exception,
        message: SlackMessage,
        event: dict[str, Any],
    ) -> None:
        channel, thread_ts = message.channel, message.thread_ts
        # The traceback goes to the log (never the payload: it may hold a private key).
        logger.error("job failed: %s", type(error).__name__, exc_info=error)
        reply: Reply = failure_reply(error, self.service.failure_reply(error))
        code = slack_error(error)
        try:
            if code in CHANNEL_REFUSED and event.get("user"):
                # A channel that refused the bot would refuse the apology too.
                client.chat_postMessage(
                    channel=str(event["user"]), text=reply.text, blocks=reply.blocks
                )
            else:
                self.ledger.post_once(
                    client, job.key, channel=channel, thread_ts=thread_ts, reply=reply
                )
        except SQLAlchemyError:
            raise
        except Exception:
            logger.exception("could not tell the user about the failure")
        log_event(
            logging.WARNING,
            id=message.event_id,
            team=message.team,
            channel=channel,
            verdict="failed",
            error=code or type(error).__name__,
        )

    def _done(self, job: Job, ts: str | None) -> None:
        """Finish `job` (storing its reply's ts), or leave it to the batch's end."""
        done: list[tuple[Job, str | None]] | None = getattr(self._local, "done", None)
        if done is not None:
            done.append((job, ts))
        else:
            self.queue.finish(job, reply_ts=ts)

    def _finish(self, job: Job) -> None:
        try:
            self._done(job, None)
        except SQLAlchemyError:
            # The reply (if any) is recorded; the job is taken again after its lease and finds it.
            logger.exception("could not mark job %s done", job.key)

    def _give_back(self, job: Job) -> None:
        try:
            self.queue.release(job, delay=RETRY_AFTER_SECONDS)
        except SQLAlchemyError:
            logger.warning("could not give job %s back; its lease expires instead", job.key)
