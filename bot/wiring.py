"""The bot's wiring, written once: env -> logging -> store -> service, job queue, workers -> Bolt app.

`python -m bot` (Socket Mode or HTTP) and gunicorn (`bot.web:create_wsgi_app()`) both start
from `bot_from_environment()`; tests call `build_bot(settings, store)` with their own store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from bot.app import build_app
from bot.config import ConfigError, Settings, load_settings
from bot.files import SlackFileFetcher
from bot.jobs.intake import DoorIntake, door_intake, message_intake, request_intake
from bot.jobs.queue import JobQueue
from bot.jobs.replies import ReplyLedger
from bot.jobs.runner import JobRunner
from bot.jobs.sealing import Sealer
from bot.jobs.surfaces import SurfaceJobs
from bot.jobs.workers import Workers
from bot.logs import configure_logging
from bot.reminder_poller import ReminderPoller
from bot.service import Service
from bot.store import Store
from bot.store.upkeep import Upkeep

logger = logging.getLogger("certmatch.bot")


@dataclass
class Bot:
    """One process's bot: the app Slack talks to, and the workers answering its queue."""

    settings: Settings
    store: Store
    service: Service
    queue: JobQueue
    workers: Workers
    app: App
    reminder_poller: ReminderPoller | None = None
    # SQLite's WAL checkpointer or PostgreSQL's table maintenance (Store.upkeep).
    upkeep: Upkeep[Any] | None = None
    # Queues a relevant message at the WSGI door, before Bolt (bot.chatter, bot.web).
    door_intake: DoorIntake | None = None

    def stop_workers(self, seconds: float) -> int:
        """Stop taking jobs and reminders, let those in hand finish for up to `seconds`; return
        how many were given back (jobs to the queue, reminders to the reminder table)."""
        deadline = time.monotonic() + seconds
        poller = self.reminder_poller
        if poller is not None:
            poller.stop_taking()  # at once, not after the jobs: both drain within one bound
        given_back = self.workers.stop(seconds)
        if poller is not None:
            given_back += poller.stop(max(0.0, deadline - time.monotonic()))
        if self.upkeep is not None:
            self.upkeep.stop()
        self.store.log_write_lock_stats()
        return given_back


def build_bot(
    settings: Settings,
    store: Store,
    clock: Callable[[], float] = time.time,
    *,
    remind: bool = False,
) -> Bot:
    """The whole bot on an open store. `clock` (epoch seconds) is what retention and the memory read.

    `remind` starts the expiry reminders' poller (the entry points do; tests drive
    `Reminders.run_due` themselves on a moved clock).
    """
    fetcher = SlackFileFetcher(
        settings.bot_token, settings.api_url, settings.max_file_bytes, settings.download_timeout
    )
    service = Service(settings, store, fetcher, clock)
    # Retention also runs at start, not only with the first check after an idle stretch.
    service.purge_expired()
    queue = JobQueue(
        store, lease_seconds=settings.job_lease_seconds, max_waiting=settings.max_queued_jobs
    )
    sealer = Sealer(settings.bot_token)
    ledger = ReplyLedger(store)
    # Commands, the form, the shortcut and `@certmatch check HOST` are jobs of their own kinds.
    runner = JobRunner(service, queue, ledger, sealer, SurfaceJobs(service, ledger).kinds())
    # The workers' client is the app's: one Web API client with SLACK_API_URL and the retries.
    holder: list[Workers] = []

    def notify() -> None:
        holder[0].notify()

    service.request_intake = request_intake(queue, sealer, notify)
    app = build_app(settings, service, message_intake(queue, sealer, notify))
    workers = Workers(queue, app.client, runner.run, settings.job_workers, batch_scope=runner.batch)
    holder.append(workers)
    workers.start()
    # SQLite: the workers' commits no longer each stop to checkpoint the WAL. PostgreSQL: the
    # cached plans follow the tables' growth.
    upkeep = store.upkeep().start()
    poller = ReminderPoller(service.reminders, app.client).start() if remind else None
    door = door_intake(queue, sealer, notify)
    return Bot(settings, store, service, queue, workers, app, poller, upkeep, door)


def open_store(settings: Settings, attempts: int = 5, first_delay: float = 1.0) -> Store:
    """Open (and migrate) the database, retrying with backoff: a database that starts a moment late is normal."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return Store.open(
                settings.database_url,
                settings.table_prefix,
                prepared_statements=settings.pg_prepared_statements,
                write_lock_stats=settings.write_lock_stats,
            )
        except Exception as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "no detail"
            if attempt == attempts:
                raise ConfigError(
                    f"DATABASE_URL: cannot open the database after {attempts} attempts "
                    f"({type(exc).__name__}: {detail}); "
                    "check that it is running and the URL is right"
                ) from None
            logger.warning(
                "database not reachable (attempt %d/%d: %s), retrying in %.0fs",
                attempt,
                attempts,
                type(exc).__name__,
                delay,
            )
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def bot_from_environment(*, require_signing_secret: bool = False) -> Bot:
    """Settings from env/.env, logging, the store (with retries), the bot; ConfigError with one line."""
    settings = load_settings()
    if require_signing_secret and not settings.signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is missing: HTTP mode needs the app's Signing Secret "
            "(Basic Information page)"
        )
    configure_logging(settings.log_level)
    return build_bot(settings, open_store(settings), remind=True)
