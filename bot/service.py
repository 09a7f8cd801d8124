"""The check workflow behind every Slack surface: fetch files, add the thread's memory, run the engine, remember, render.

`Service` implements `handlers.ports.CertmatchService`. It owns the rules for staying quiet
(a busy channel gets no reply to messages without certificate material), for what is
remembered (public artefacts only, per thread, purged after the retention window) and for
logging (one line per check: ids, kinds and verdict, never text or key material).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_sdk import WebClient

from bot.config import Settings
from bot.endpoint import EndpointChecker
from bot.files import SlackFileFetcher
from bot.jobs.relevance import is_cert_named, worth_fetching
from bot.memory import Fingerprint
from bot.origins import REMEMBERED_SUFFIX, Origin, artefact_origins, own_indexes
from bot.prepared import (
    MEMORY_DOWN_NOTE,
    CheckLog,
    CheckWrites,
    PreparedCheck,
    memory_down,
)
from bot.recall import Lookups, Recall
from bot.reminder_watch import ReminderWatch
from bot.reminders import Reminders
from bot.retention import Retention
from bot.store import NewDetail, Store, storable
from bot.store.profiles import ProfileStore
from certmatch import (
    PROFILE_NAMES,
    Artefact,
    Input,
    check,
    contains_material,
    profile_products,
    render_text,
)
from handlers.blocks import Reply, build_notice_blocks, escape
from handlers.ports import About, CheckOutcome, Detail, SlackMessage

logger = logging.getLogger("certmatch.bot")


class Service:
    """One per process; thread-safe (the store takes a pooled connection per operation)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: SlackFileFetcher,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        # The channels' chosen profiles; bot.jobs.runner reads a take's at once (read_once).
        self.profiles = ProfileStore(store)
        self.fetcher = fetcher
        # Injected so tests can move time past the retention window.
        self.clock = clock
        self.recall = Recall(
            store,
            scope=settings.memory_scope,
            retention_days=settings.retention_days,
            clock=clock,
        )
        # Expiry reminders (issue 16): scheduled here at check time (bot.reminder_watch), posted
        # by bot.reminders.
        self.reminders = Reminders(store, settings, clock)
        self.reminder_watch = ReminderWatch(self.reminders.rows, settings, self.recall, clock)
        self.retention = Retention(store, settings.retention_days, clock)
        self.endpoints = EndpointChecker(settings.connect_allow)
        # Set by bot.wiring once the job queue exists (bot.jobs.intake.request_intake).
        self.request_intake: Callable[[str, Mapping[str, Any]], bool] | None = None

    # -- CertmatchService -------------------------------------------------------------------------

    def claim(self, key: str, team: str | None = None) -> bool:
        try:
            return self.store.claim(key, team=team)
        except Exception:
            # Without the database a duplicate reply is possible, a lost answer certain: answer.
            logger.exception("event store unavailable; answering %s without de-duplication", key)
            return True

    def enqueue(self, surface: str, payload: Mapping[str, Any]) -> bool:
        if self.request_intake is None:
            logger.error("no job queue attached: %s refused", surface)
            return False
        return self.request_intake(surface, payload)

    def forget_channel(self, team: str, channel: str) -> int:
        return self.store.forget_channel(team, channel, now=self.clock())

    def forget_workspace(self, team: str, reason: str) -> int:
        deleted = self.store.forget_workspace(team)
        # One line an admin can point to: what was deleted, and why.
        logger.info(
            "workspace %s: %s, its stored data deleted (%s)",
            team,
            reason,
            ", ".join(f"{name}={count}" for name, count in deleted.items()),
        )
        return sum(deleted.values())

    def channel_profile(self, team: str, channel: str) -> str:
        try:
            chosen = self.profiles.get(team, channel)
        except Exception:
            logger.exception("profile store unavailable; using the default profile")
            chosen = None
        return chosen or self.settings.default_profile

    def set_channel_profile(self, team: str, channel: str, profile: str) -> str | None:
        """`profile` is a profile name, or "cisco-uc:PRODUCT" (see channel_setting)."""
        name, product = channel_setting(profile)
        if name not in PROFILE_NAMES:
            return f"Unknown profile `{escape(name)}`: choose one of " + ", ".join(
                f"`{n}`" for n in PROFILE_NAMES
            )
        products = profile_products(name)
        if product is not None and product not in products:
            if not products:
                return f"The `{name}` profile takes no product."
            return f"Unknown product `{escape(product)}` for `{name}`: choose one of " + ", ".join(
                f"`{p}`" for p in products
            )
        self.profiles.set(team, channel, profile)
        return None

    def about(self) -> About:
        return About(
            retention_days=self.settings.retention_days,
            default_profile=self.settings.default_profile,
            memory_scope=self.settings.memory_scope,
            profile_names=PROFILE_NAMES,
        )

    def detail(self, detail_key: str) -> Detail | None:
        stored = self.store.detail(detail_key)
        if stored is None:
            return None
        return Detail(stored.detail, stored.ca_note, forgotten_at=stored.forgotten_at)

    # -- for bot.app's error handler, not the listeners ------------------------------------------

    def failure_reply(self, error: Exception) -> Reply:
        text = (
            f"Sorry, certmatch failed while checking this ({type(error).__name__}); nothing "
            "was lost on your side. Please try again in a minute; if it keeps failing, run "
            "`python -m certmatch FILE...` locally and tell the app's admins."
        )
        return Reply(text, build_notice_blocks(":warning: " + text))

    # -- CertmatchService: the check ------------------------------------------------------------

    def check(
        self, client: WebClient, message: SlackMessage, *, quiet: bool
    ) -> CheckOutcome | None:
        """Check a message and store what it leaves (in the caller's transaction if one is open)."""
        return self.complete(self.prepare(client, message, quiet=quiet))

    def prepare(self, client: WebClient, message: SlackMessage, *, quiet: bool) -> PreparedCheck:
        """A check done up to its writes: fetched, read, checked and rendered; nothing written.

        `complete` (or `store_checks` and `PreparedCheck.reply`, for several checks in one transaction:
        bot.jobs.runner) finishes it. Nothing is read or asked of Slack after this: on SQLite
        the writes hold the host's one write lock, which every other writer waits for.
        """
        started = time.monotonic()
        self.retention.maybe()
        candidates = [f for f in message.files if worth_fetching(f)]
        fetched, fetch_problems = self.fetcher.fetch_all(client, candidates)
        log = CheckLog(message, started, time.monotonic() - started, fetch_problems)

        text_has_material = bool(message.text) and contains_material(message.text)
        inputs = [Input(f.name, f.data) for f in fetched]
        if text_has_material:
            inputs.insert(0, Input("pasted text", message.text.encode("utf-8")))
        loud = (
            text_has_material
            or any(is_cert_named(f) for f in candidates)
            or any(p.code == "missing-scope" for p in fetch_problems)
        )
        if not inputs:
            if fetch_problems and loud:
                log.done("unreadable-files")
                return PreparedCheck(
                    message,
                    CheckOutcome(None, file_problems=[p.message for p in fetch_problems]),
                )
            log.done("quiet" if quiet else "nothing-found")
            return PreparedCheck(message, None if quiet else CheckOutcome(None))

        profile, product = channel_setting(self.channel_profile(message.team, message.channel))
        notes = [p.message for p in fetch_problems]
        try:
            memory = self._memory_inputs(message)
        except Exception:
            logger.exception("thread memory unavailable")
            memory, notes = [], [*notes, MEMORY_DOWN_NOTE]
        # Files that could not be fetched stay out of the engine: they are reported as notes in
        # our own words (they need a Slack-side fix, not a different file).
        check_started = time.monotonic()
        report = check([m for m, _ in memory] + inputs, profile=profile, product=product)
        log.check_seconds = time.monotonic() - check_started
        log.memory = len(memory)
        origins = artefact_origins(report.artifacts, [pem for _, pem in memory])
        current_indexes = [i for i, o in enumerate(origins) if o is Origin.MESSAGE]
        current = [report.artifacts[i] for i in current_indexes]
        if quiet and not loud and not current:
            # Files that turned out to hold nothing (a log, a screenshot without a name).
            log.done("quiet")
            return PreparedCheck(message, None)
        probes = self.recall.probes(message, current)
        recalled: list[str] = []
        lookups = Lookups()
        try:
            recalled = self.recall.notes(client, report, current_indexes, probes, lookups)
        except Exception:
            # The reply stands without it; a database outage is already noted by the thread
            # memory read above, so no second note here.
            logger.exception("workspace memory lookup failed")
        try:
            watching = self.reminder_watch.plan(
                client, message, report, current_indexes, probes, lookups
            )
        except Exception:
            # The reminders' reads failed: nothing is stored, as when the writes fail.
            logger.exception("could not store the check; expiry reminders not scheduled")
            log.done(report.verdict.value)
            return PreparedCheck(
                message, CheckOutcome(report, notes=memory_down(notes), recalled=recalled)
            )
        log.kinds = ",".join(a.kind.value for a in current)
        return PreparedCheck(
            message,
            CheckOutcome(report, notes=notes, recalled=recalled),
            CheckWrites(
                current, probes, render_text(report), report.ca_note, watching, log, self.clock()
            ),
        )

    def complete(self, prepared: PreparedCheck) -> CheckOutcome | None:
        """Store one prepared check (its own transaction, or the caller's) and return its reply."""
        if prepared.writes is None:
            return prepared.outcome
        in_window: list[str] | None = None
        try:
            with self.store.transaction():
                in_window = self.store_checks([prepared])[0]
        except Exception:
            logger.exception("could not store the check; expiry reminders not scheduled")
        return prepared.reply(in_window)

    def store_checks(self, prepared: Sequence[PreparedCheck]) -> list[list[str] | None]:
        """Write several prepared checks in the caller's transaction, a statement a table; raises
        what the database raises. For each: the reminder sentences for its reply (None when it
        had nothing to store), for `PreparedCheck.reply`.

        The checks must not read what another of them writes (bot.jobs.runner groups them so):
        each was prepared before any of them was stored.
        """
        writes = [p.writes for p in prepared]
        posted = [
            (p.message, w)
            for p, w in zip(prepared, writes, strict=True)
            if w is not None and p.message.thread_ts is not None and p.message.message_ts
        ]
        # Slash commands and the form have no thread to remember for, nor a message to index.
        self.store.add_artefacts_of_threads(
            [
                ((m.team, m.channel, m.thread_ts or ""), w.stored(m.message_ts or ""))
                for m, w in posted
            ]
        )
        # The index takes every artefact, a private key by its public fingerprint only.
        self.recall.index([probe for _, w in posted for probe in w.probes])
        self.store.save_details(
            [
                NewDetail(
                    w.detail_key, w.details, w.ca_note, p.message.team, p.message.channel, w.now
                )
                for p, w in zip(prepared, writes, strict=True)
                if w is not None
            ]
        )
        # A certificate already inside a reminder window: its first reply says so.
        sentences = iter(self.reminder_watch.watch_many([w.watching for w in writes if w]))
        return [None if w is None else next(sentences) for w in writes]

    def check_endpoint(
        self, client: WebClient, message: SlackMessage, text: str
    ) -> CheckOutcome | str:
        """`check HOST[:PORT]`: what the server serves, against this thread's memory and the
        post's own material (a CSR pasted under the request, or attached), which is remembered
        for the thread as a plain post's would be."""
        try:
            memory = self._memory_inputs(message)
        except Exception:
            logger.exception("thread memory unavailable")
            memory = []
        own, notes = self._own_inputs(client, message)
        outcome = self.endpoints.run(
            text,
            memory=[m for m, _ in memory] + own,
            profile=self.channel_profile(message.team, message.channel),
        )
        if isinstance(outcome, str):
            return outcome
        # The served certificates' CSR may have been posted elsewhere: the memory says where
        # (under its privacy rules). They are not remembered themselves: nobody posted them.
        served = list(outcome.endpoint.served_order) if outcome.endpoint else []
        recalled: list[str] = []
        try:
            probes = self.recall.probes(message, [outcome.artifacts[i] for i in served])
            recalled = self.recall.notes(client, outcome, served, probes)
        except Exception:
            logger.exception("workspace memory lookup failed")
        posted = own_indexes(outcome.artifacts, [pem for _, pem in memory], served)
        current = [outcome.artifacts[i] for i in posted]
        try:
            self._remember(message, current, self.recall.probes(message, current))
        except Exception:
            logger.exception("could not remember the request's own material")
        return CheckOutcome(outcome, notes=notes, recalled=recalled)

    def _own_inputs(
        self, client: WebClient, message: SlackMessage
    ) -> tuple[list[Input], list[str]]:
        """A check request's own material: its pasted text (when it holds any) and its files."""
        fetched, problems = self.fetcher.fetch_all(
            client, [f for f in message.files if worth_fetching(f)]
        )
        inputs = [Input(f.name, f.data) for f in fetched]
        if message.text and contains_material(message.text):
            inputs.insert(0, Input("pasted text", message.text.encode("utf-8")))
        return inputs, [p.message for p in problems]

    # -- internals ------------------------------------------------------------------------------

    def _memory_inputs(self, message: SlackMessage) -> list[tuple[Input, str]]:
        """The thread's remembered artefacts as inputs, each with the public PEM it holds."""
        if message.thread_ts is None or message.opens_thread:
            # No thread, or one that begins with this message: nothing to read (a read a
            # job on PostgreSQL, about 4 % of the bot's CPU there; issue 17).
            return []
        remembered = self.store.thread_artefacts(message.team, message.channel, message.thread_ts)
        return [
            (Input(r.source + REMEMBERED_SUFFIX, r.public_pem.encode("utf-8")), r.public_pem)
            for r in remembered
            # The shortcut may re-check a message whose artefacts are already remembered.
            if r.message_ts != message.message_ts
        ]

    def _remember(
        self, message: SlackMessage, current: Sequence[Artefact], probes: Sequence[Fingerprint]
    ) -> None:
        if message.thread_ts is None or message.message_ts is None:
            return  # slash commands and the form have no thread to remember for
        now = self.clock()
        rows = [storable(a, message.message_ts, now) for a in current]
        kept = [r for r in rows if r is not None]
        if kept:
            self.store.add_thread_artefacts(message.team, message.channel, message.thread_ts, kept)
        # The index takes every artefact, a private key by its public fingerprint only.
        self.recall.index(probes)

    def purge_expired(self) -> None:
        """Delete everything older than the retention window now (safe from every process)."""
        self.retention.purge_now()


def channel_setting(stored: str) -> tuple[str, str | None]:
    """(profile, product) of a channel's stored profile: "cisco-uc:uccx" or "cisco-uc".

    The product rides in the profile column ("PROFILE:PRODUCT") so the store needs no new
    column; no profile or product name contains a colon.
    """
    name, _, product = stored.partition(":")
    return name, product or None
