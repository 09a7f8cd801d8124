"""Expiry reminders (issue 16): watch the server certificates posted, remind their thread before notAfter, once.

`bot.reminder_watch` runs when a posted message is checked: each server certificate is recorded
for its conversation with one reminder per window (`CERTMATCH_REMINDER_DAYS`); a window it is
already inside goes into the first reply instead; a newer certificate for the same names cancels
an older one's remaining reminders. `Reminders.run_due()` posts what is due, each reminder
claimed in the database first so several processes post it once; `bot.reminder_poller` calls
it every `CERTMATCH_REMINDER_POLL_SECONDS`. A reminder goes only to the thread where its
certificate was posted, with message metadata naming it, and the thread is read for it first,
so a reminder posted by a process that died (or was cut off at shutdown) before recording it
is not posted again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from itertools import groupby

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.eventlog import log_event
from bot.jobs.replies import METADATA_EVENT_TYPE, find_in_thread
from bot.store import Store
from bot.store import reminders as rows
from bot.store.reminders import ReminderStore
from bot.store.rows import DueReminder, WatchedCertificate
from handlers.reminder_blocks import (
    CertificateFacts,
    build_reminder_blocks,
    build_renewed_blocks,
    reminder_text,
    renewed_text,
)

logger = logging.getLogger("certmatch.bot")

DAY = 86400.0
# A watched certificate (its names, its index row, its reminders) is kept this long after notAfter.
KEEP_DAYS_AFTER_EXPIRY = 1.0
# A claimed reminder whose process died before posting is taken again after this long.
LEASE_SECONDS = 600.0
# Tries before a reminder Slack keeps refusing is given up.
GIVE_UP_AFTER = 5
# Slack errors that no retry can fix: the bot is out of the channel, or it is gone.
_PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "thread_not_found",
    }
)
_MAX_LISTED = 25


class Reminders:
    """One per process; implements handlers.reminder_commands.ReminderPort."""

    def __init__(self, store: Store, settings: Settings, clock: Callable[[], float]) -> None:
        self.rows = ReminderStore(store)
        self.poll_seconds = settings.reminder_poll_seconds
        self.clock = clock
        # Who holds a claim: enough to tell processes (and restarts of one) apart in the table.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()
        self._in_hand: set[str] = set()  # claimed by this process, being posted

    # -- sending --------------------------------------------------------------------------------

    def run_due(self, client: WebClient, stopping: Callable[[], bool] = lambda: False) -> int:
        """Post every reminder that is due and not yet taken; return how many this process posted.

        `stopping` is asked before each certificate's reminders are taken: on SIGTERM the
        poller takes no more (the rest stay pending for the next process).
        """
        now = self.clock()
        due = self.rows.due(now, LEASE_SECONDS)
        posted = 0
        ordered = sorted(due, key=lambda d: d.certificate.cert_key)
        for _, group in groupby(ordered, key=lambda d: d.certificate.cert_key):
            if stopping():
                break
            items = list(group)
            for note in (i for i in items if i.window_days is None):
                posted += self._post(client, note, now)
            windows = [i for i in items if i.window_days is not None]
            if not windows:
                continue
            if windows[0].certificate.renewed_not_after is not None:
                self.rows.settle([w.reminder_key for w in windows], rows.CANCELLED, now=now)
                continue
            # Several windows due at once (certmatch was down): only the most urgent is posted.
            target = min(windows, key=lambda w: w.window_days or 0.0)
            if not self.rows.claim(
                target.reminder_key, self.owner, now=now, lease_seconds=LEASE_SECONDS
            ):
                continue  # another process has it
            rest = [w.reminder_key for w in windows if w is not target]
            if rest:
                self.rows.settle(rest, rows.SKIPPED, now=now)
            posted += self._post(client, target, now, claimed=True)
        return posted

    def _post(self, client: WebClient, due: DueReminder, now: float, claimed: bool = False) -> int:
        if not claimed and not self.rows.claim(
            due.reminder_key, self.owner, now=now, lease_seconds=LEASE_SECONDS
        ):
            return 0
        with self._lock:
            self._in_hand.add(due.reminder_key)
        try:
            return self._post_claimed(client, due, now)
        finally:
            with self._lock:
                self._in_hand.discard(due.reminder_key)

    def release_in_hand(self) -> int:
        """Give back the reminders claimed and not yet settled (a post cut off by the shutdown
        bound): pending again at once, for the next process, instead of after the claim's lease."""
        with self._lock:
            keys = list(self._in_hand)
        for key in keys:
            try:
                self.rows.release(key, self.owner, give_up_after=GIVE_UP_AFTER)
            except Exception:
                logger.warning("could not give reminder back; its claim expires instead")
        return len(keys)

    def _post_claimed(self, client: WebClient, due: DueReminder, now: float) -> int:
        cert = due.certificate
        window = "renewed" if due.window_days is None else rows.window_label(due.window_days)
        if not self.rows.channel_enabled(cert.team, cert.channel):
            self.rows.settle([due.reminder_key], rows.MUTED, now=now, owner=self.owner)
            _log(cert, window, "muted")
            return 0
        facts = certificate_facts(cert)
        if cert.csr_where and cert.csr_channel and cert.csr_message_ts:
            link = permalink(client, cert.csr_channel, cert.csr_message_ts)
            if link:
                facts = replace(facts, csr_where=f"{cert.csr_where} (<{link}|message>)")
        if due.window_days is None:
            text, blocks = renewed_text(facts), build_renewed_blocks(facts)
        else:
            late = now - due.due_at > max(2 * self.poll_seconds, 600.0)
            text = reminder_text(facts, due.window_days, now)
            blocks = build_reminder_blocks(
                facts, due.window_days, now=now, late_since=due.due_at if late else None
            )
        marker = f"reminder:{due.reminder_key}"
        if _already_posted(client, cert, marker):
            # Posted by a process that died (or was cut off at shutdown) before recording it.
            self.rows.settle([due.reminder_key], rows.SENT, now=now, owner=self.owner)
            _log(cert, window, "found-in-thread")
            return 0
        try:
            client.chat_postMessage(
                channel=cert.channel,
                thread_ts=cert.thread_ts,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"job": marker}},
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error in _PERMANENT:
                self.rows.settle([due.reminder_key], rows.FAILED, now=now, owner=self.owner)
            else:
                self.rows.release(due.reminder_key, self.owner, give_up_after=GIVE_UP_AFTER)
            _log(cert, window, "failed", error)
            return 0
        except Exception as exc:
            # Network trouble: the next poll tries again (the claim is given back).
            self.rows.release(due.reminder_key, self.owner, give_up_after=GIVE_UP_AFTER)
            _log(cert, window, "failed", type(exc).__name__)
            return 0
        self.rows.settle([due.reminder_key], rows.SENT, now=now, owner=self.owner)
        _log(cert, window, "sent")
        return 1

    # -- the commands (handlers.reminder_commands.ReminderPort) ---------------------------------

    def expiring(
        self, client: WebClient, team: str, channel: str, days: float
    ) -> tuple[list[CertificateFacts], bool, float]:
        now = self.clock()
        found = self.rows.expiring(
            team, channel, until=now + days * DAY, since=now - DAY, limit=_MAX_LISTED + 1
        )
        listed = [
            certificate_facts(c, link=permalink(client, c.channel, c.message_ts))
            for c in found[:_MAX_LISTED]
        ]
        return listed, len(found) > _MAX_LISTED, now

    def reminders_enabled(self, team: str, channel: str) -> bool:
        return self.rows.channel_enabled(team, channel)

    def set_reminders_enabled(
        self, team: str, channel: str, enabled: bool, user: str | None
    ) -> None:
        self.rows.set_channel_enabled(team, channel, enabled, user=user, now=self.clock())


def certificate_facts(cert: WatchedCertificate, link: str | None = None) -> CertificateFacts:
    return CertificateFacts(
        subject=cert.subject,
        sans=tuple(_display_san(s) for s in cert.san_set),
        serial=cert.serial,
        not_after=cert.not_after,
        csr_where=cert.csr_where,
        renewed_not_after=cert.renewed_not_after,
        renewed_where=cert.renewed_where or None,
        link=link,
    )


def permalink(client: WebClient, channel: str, message_ts: str) -> str | None:
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=message_ts).get("permalink")
    except Exception:
        logger.warning("no permalink for a watched certificate in channel=%s", channel)
        return None
    return str(link) if link else None


def _already_posted(client: WebClient, cert: WatchedCertificate, marker: str) -> bool:
    """Whether the thread holds the reminder already, by its metadata (as a job's reply is found)."""
    try:
        return find_in_thread(client, cert.channel, cert.thread_ts, marker) is not None
    except Exception:
        # No history scope for this conversation, or Slack is away: post (a lost reminder is worse).
        logger.warning("could not look for an earlier reminder in channel=%s", cert.channel)
        return False


def _log(cert: WatchedCertificate, window: str, outcome: str, error: str = "") -> None:
    log_event(
        logging.INFO if outcome in ("sent", "muted", "found-in-thread") else logging.WARNING,
        id="reminder",
        team=cert.team,
        channel=cert.channel,
        thread=cert.thread_ts,
        window=window,
        verdict=outcome,
        error=error,
    )


_SAN_TYPES = {"dns": "DNS", "ip": "IP", "email": "email", "uri": "URI"}


def _display_san(san: str) -> str:
    """The index keeps SANs lowercased for matching ("dns:a.example"); show the type as openssl does."""
    kind, sep, value = san.partition(":")
    return f"{_SAN_TYPES.get(kind, kind)}{sep}{value}"
