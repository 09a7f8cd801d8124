"""The check workflow behind every Slack surface: fetch files, add the thread's memory, run the engine, remember, render.

`Service` implements `handlers.ports.CertmatchService`. It owns the rules for staying quiet
(a busy channel gets no reply to messages without certificate material), for what is
remembered (public artefacts only, per thread, purged after the retention window) and for
logging (one line per check: ids, kinds and verdict, never text or key material).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from slack_sdk import WebClient

from bot import blocks
from bot.config import Settings
from bot.eventlog import log_event, ms
from bot.files import FileProblem, SlackFileFetcher
from bot.memory import Fingerprint
from bot.recall import Recall
from bot.reminders import Reminders
from bot.store import Store, storable
from certmatch import PROFILE_NAMES, Artefact, Input, check, contains_material, render_text
from handlers.ports import Reply, SlackMessage

logger = logging.getLogger("certmatch.bot")

# Appended to the names of inputs re-read from the thread's memory; artefacts whose source
# carries it are not stored again and are shown as coming from earlier in the thread.
MEMORY_MARK = " (earlier in this thread)"
# Extensions people give certificates, CSRs, bundles and keys; problems with these files are
# always reported, while a failed .png or .pdf in a busy channel gets silence.
CERT_EXTENSIONS = frozenset(
    {".csr", ".req", ".cer", ".crt", ".pem", ".der", ".p7b", ".p7c", ".pfx", ".p12", ".key", ".pub"}
)
# Files that never hold certificate material; not even downloaded.
_SKIPPED_MIMETYPE_PREFIXES = ("image/", "video/", "audio/")
_SKIPPED_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".mp4", ".mov", ".mp3", ".wav", ".pdf",
     ".docx", ".xlsx", ".pptx", ".zip", ".gz", ".tgz"}
)  # fmt: skip
_PURGE_EVERY_SECONDS = 3600.0
MEMORY_DOWN_NOTE = (
    "certmatch's database is unavailable right now: this reply covers only this message, it "
    "will not be remembered for the thread, and the detail buttons are missing. Nothing to do on "
    "your side; it recovers by itself."
)


def _extension(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def _is_cert_named(file: Mapping[str, Any]) -> bool:
    name = str(file.get("name") or "")
    # Slack Connect stubs have no name until files.info: treat them as candidates.
    return not name or _extension(name) in CERT_EXTENSIONS


def _worth_fetching(file: Mapping[str, Any]) -> bool:
    mimetype = str(file.get("mimetype") or "")
    if mimetype.startswith(_SKIPPED_MIMETYPE_PREFIXES):
        return False
    return _extension(str(file.get("name") or "")) not in _SKIPPED_EXTENSIONS


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
        self.fetcher = fetcher
        # Injected so tests can move time past the retention window.
        self.clock = clock
        self.recall = Recall(
            store,
            scope=settings.memory_scope,
            retention_days=settings.retention_days,
            clock=clock,
        )
        # Expiry reminders (issue 16): scheduled here at check time, posted by bot.reminders.
        self.reminders = Reminders(store, settings, self.recall, clock)
        self._purge_lock = threading.Lock()
        self._last_purge = 0.0

    # -- CertmatchService -------------------------------------------------------------------------

    def claim(self, key: str) -> bool:
        try:
            return self.store.claim(key)
        except Exception:
            # Without the database a duplicate reply is possible, a lost answer certain: answer.
            logger.exception("event store unavailable; answering %s without de-duplication", key)
            return True

    def forget_channel(self, team: str, channel: str) -> int:
        return self.store.forget_channel(team, channel)

    def profile_names(self) -> Sequence[str]:
        return PROFILE_NAMES

    def channel_profile(self, team: str, channel: str) -> str:
        try:
            chosen = self.store.channel_profile(team, channel)
        except Exception:
            logger.exception("profile store unavailable; using the default profile")
            chosen = None
        return chosen or self.settings.default_profile

    def set_channel_profile(self, team: str, channel: str, profile: str) -> str | None:
        if profile not in PROFILE_NAMES:
            return f"Unknown profile `{profile}`: choose one of " + ", ".join(
                f"`{n}`" for n in PROFILE_NAMES
            )
        self.store.set_channel_profile(team, channel, profile)
        return None

    def help_blocks(self) -> list[dict[str, Any]]:
        return blocks.build_help_blocks()

    def home_view(self) -> dict[str, Any]:
        return blocks.build_home_view(
            self.settings.retention_days,
            self.settings.default_profile,
            memory_scope=self.settings.memory_scope,
        )

    def check_modal(self, channel: str, response_url: str | None) -> dict[str, Any]:
        return blocks.build_check_modal(channel, response_url)

    def detail_view(self, detail_key: str, *, ca_note: bool) -> dict[str, Any]:
        stored = self.store.detail(detail_key)
        if stored is None:
            return blocks.build_text_view(
                "certmatch",
                f"These details are no longer kept (after {self.settings.retention_days} days "
                "they are deleted). Post the files again for a fresh check.",
            )
        if ca_note:
            return blocks.build_text_view("Note to the CA", stored.ca_note or "No re-issue needed.")
        return blocks.build_text_view("certmatch details", stored.detail)

    def failure_reply(self, error: Exception) -> Reply:
        text = (
            f"Sorry, certmatch failed while checking this ({type(error).__name__}); nothing "
            "was lost on your side. Please try again in a minute; if it keeps failing, run "
            "`python -m certmatch FILE...` locally and tell the app's admins."
        )
        return Reply(text, blocks.build_notice_blocks(":warning: " + text))

    def check(self, client: WebClient, message: SlackMessage, *, quiet: bool) -> Reply | None:
        started = time.monotonic()
        self._maybe_purge()
        candidates = [f for f in message.files if _worth_fetching(f)]
        fetched, fetch_problems = self.fetcher.fetch_all(client, candidates)
        fetch_seconds = time.monotonic() - started

        def done(
            verdict: str, kinds: str = "", memory: int = 0, check_seconds: float = 0.0
        ) -> None:
            log_event(
                id=message.event_id,
                team=message.team,
                channel=message.channel,
                thread=message.thread_ts,
                files=len(message.files),
                fetch_problems=",".join(p.code for p in fetch_problems),
                kinds=kinds,
                memory=memory,
                verdict=verdict,
                fetch_ms=ms(fetch_seconds),
                check_ms=ms(check_seconds),
                total_ms=ms(time.monotonic() - started),
            )

        text_has_material = bool(message.text) and contains_material(message.text)
        inputs = [Input(f.name, f.data) for f in fetched]
        if text_has_material:
            inputs.insert(0, Input("pasted text", message.text.encode("utf-8")))
        loud = (
            text_has_material
            or any(_is_cert_named(f) for f in candidates)
            or any(p.code == "missing-scope" for p in fetch_problems)
        )
        if not inputs:
            if fetch_problems and loud:
                done("unreadable-files")
                return self._problems_only(fetch_problems)
            done("quiet" if quiet else "nothing-found")
            if quiet:
                return None
            return Reply(
                "certmatch found no certificate, CSR, key or md5 line in that.",
                blocks.build_notice_blocks(
                    "I found no certificate, CSR, key or `openssl ... | openssl md5` line in "
                    "that. Paste PEM text (`-----BEGIN ...`) or attach `.csr`/`.cer`/`.p7b` files."
                ),
            )

        profile = self.channel_profile(message.team, message.channel)
        notes = [p.message for p in fetch_problems]
        try:
            memory = self._memory_inputs(message)
        except Exception:
            logger.exception("thread memory unavailable")
            memory, notes = [], [*notes, MEMORY_DOWN_NOTE]
        # Files that could not be fetched stay out of the engine: they are reported as notes in
        # our own words (they need a Slack-side fix, not a different file).
        check_started = time.monotonic()
        report = check(memory + inputs, profile=profile)
        check_seconds = time.monotonic() - check_started
        current_indexes = [i for i, a in enumerate(report.artifacts) if MEMORY_MARK not in a.source]
        current = [report.artifacts[i] for i in current_indexes]
        if quiet and not loud and not current:
            # Files that turned out to hold nothing (a log, a screenshot without a name).
            done("quiet", check_seconds=check_seconds)
            return None
        probes = self.recall.probes(message, current)
        recalled: list[str] = []
        try:
            recalled = self.recall.notes(client, report, current_indexes, probes)
        except Exception:
            # The reply stands without it; a database outage is already noted by the thread
            # memory read above, so no second note here.
            logger.exception("workspace memory lookup failed")
        new_key = uuid.uuid4().hex
        detail_key: str | None = new_key
        try:
            self._remember(message, current, probes)
            self.store.save_detail(
                new_key,
                render_text(report),
                report.ca_note,
                team=message.team,
                channel=message.channel,
                now=self.clock(),
            )
        except Exception:
            # The answer matters more than the memory: reply without buttons, say why.
            logger.exception("could not store the check")
            detail_key = None
            if MEMORY_DOWN_NOTE not in notes:
                notes.append(MEMORY_DOWN_NOTE)
        try:
            # A certificate already inside a reminder window: its first reply says so.
            recalled += self.reminders.watch(client, message, report, current_indexes, probes)
        except Exception:
            logger.exception("expiry reminders not scheduled")
        done(
            report.verdict.value,
            ",".join(a.kind.value for a in current),
            len(memory),
            check_seconds,
        )
        return Reply(
            text=blocks.fallback_text(report, recalled=recalled),
            blocks=blocks.build_report_blocks(
                report, detail_key=detail_key, notes=notes, recalled=recalled
            ),
            private_key=blocks.has_private_key(report),
        )

    # -- internals ------------------------------------------------------------------------------

    def _problems_only(self, problems: Sequence[FileProblem]) -> Reply:
        lines = [f"• {blocks.escape(p.message)}" for p in problems]
        text = ":warning: I could not read the files:\n" + "\n".join(lines)
        return Reply(
            "certmatch could not read the files: " + "; ".join(p.message for p in problems),
            blocks.build_notice_blocks(text),
        )

    def _memory_inputs(self, message: SlackMessage) -> list[Input]:
        if message.thread_ts is None:
            return []
        remembered = self.store.thread_artefacts(message.team, message.channel, message.thread_ts)
        return [
            Input(r.source + MEMORY_MARK, r.public_pem.encode("utf-8"))
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
        with self._purge_lock:
            self._last_purge = 0.0
        self._maybe_purge()

    def _maybe_purge(self) -> None:
        now = self.clock()
        with self._purge_lock:
            if now - self._last_purge < _PURGE_EVERY_SECONDS:
                return
            self._last_purge = now
        try:
            removed = self.store.purge(now - self.settings.retention_days * 86400, now=now)
            if removed:
                logger.info(
                    "purged %d rows older than %d days", removed, self.settings.retention_days
                )
        except Exception:
            # Retention must not cost anyone their answer; the next check tries again.
            logger.exception("purge failed")
            with self._purge_lock:
                self._last_purge = 0.0
