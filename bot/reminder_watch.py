"""Expiry reminders at check time (issue 16): what a posted message's server certificates schedule, and what the first reply says of them.

Each server certificate is recorded for its conversation with one reminder per window
(`CERTMATCH_REMINDER_DAYS`); a window it is already inside goes into the first reply
instead; a newer certificate for the same names cancels an older one's remaining reminders.
`plan` does the reads (the certificates of the same names, whether the channel takes
reminders) and asks Slack for a renewal's permalink; `watch_many` does the writes, inside the
check's transaction. On SQLite that transaction holds the host's one write lock from its
first write to its commit, and every other writer waits for it (issue 17): nothing is read
or asked of Slack after the first write. bot.reminders posts them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from slack_sdk import WebClient

from bot import memory
from bot.config import Settings
from bot.memory import Fingerprint
from bot.recall import Lookups, Recall
from bot.reminders import DAY, KEEP_DAYS_AFTER_EXPIRY, certificate_facts, permalink
from bot.store import reminders as rows
from bot.store.reminders import ReminderStore
from bot.store.rows import WatchedCertificate
from certmatch import Report
from handlers.ports import SlackMessage
from handlers.reminder_blocks import slack_date, window_sentence

# A renewal to record once the newer certificate is watched: (the older certificate, the
# newer one's notAfter, where the newer one was posted).
Renewal = tuple[WatchedCertificate, float, str]


@dataclass(frozen=True)
class _Planned:
    cert: WatchedCertificate
    renewals: list[Renewal]
    superseded_if_new: bool  # a newer certificate for the same names was posted here before
    reminders_on: bool | None  # the channel's setting, read when a window is already entered


@dataclass
class WatchPlan:
    """`ReminderWatch.plan`'s answer for `ReminderWatch.watch_many`."""

    now: float
    certificates: list[_Planned] = field(default_factory=list)


class ReminderWatch:
    """One per process."""

    def __init__(
        self, store: ReminderStore, settings: Settings, recall: Recall, clock: Callable[[], float]
    ) -> None:
        self.rows = store
        self.windows = settings.reminder_days
        self.scope = settings.memory_scope
        self.recall = recall
        self.clock = clock

    def plan(
        self,
        client: WebClient,
        message: SlackMessage,
        report: Report,
        current: Sequence[int],
        probes: Sequence[Fingerprint],
        lookups: Lookups | None = None,
    ) -> WatchPlan:
        """What watching a posted message's server certificates will write: reads only.

        `current` are the indexes in `report.artifacts` of the message's own artefacts, in the
        order of `probes`; `lookups` are the check's lookups so far (bot.recall). Slash
        commands and the form (no message) schedule nothing. The reads (the certificates of
        the same names) and the permalinks of renewals happen here, before the check's first
        write: on SQLite that write takes the host's one write lock, which every other
        writer then waits for until the commit (issue 17).
        """
        now = self.clock()
        planned = WatchPlan(now)
        if message.message_ts is None or message.thread_ts is None:
            return planned
        paired = {p.right: p.left for p in report.pairs if p.match}
        for index, probe in zip(current, probes, strict=True):
            artefact = report.artifacts[index]
            if not probe.is_leaf or artefact.not_after is None:
                continue
            not_after = artefact.not_after.timestamp()
            if not_after <= now:
                continue  # expired: the check's own finding says so, loudly
            csr_where, partner = self._csr_partner(probe, index in paired, lookups)
            cert = WatchedCertificate(
                cert_key=rows.cert_key(
                    message.team, message.channel, probe.key_id, artefact.serial, not_after
                ),
                team=message.team,
                channel=message.channel,
                thread_ts=message.thread_ts,
                message_ts=message.message_ts,
                key_id=probe.key_id,
                subject=artefact.subject,
                common_name=probe.common_name,
                san_set=probe.san_set,
                serial=artefact.serial,
                not_after=not_after,
                csr_where=csr_where,
                posted_at=now,
                csr_channel=partner.channel if partner else None,
                csr_message_ts=partner.message_ts if partner else None,
            )
            renewals, superseded = self._renewals(client, cert)
            entered = self._entered(cert, now)
            on = self.rows.channel_enabled(cert.team, cert.channel) if entered else None
            planned.certificates.append(_Planned(cert, renewals, superseded, on))
        return planned

    def watch_many(self, plans: Sequence[WatchPlan]) -> list[list[str]]:
        """Write what `plan` found for each of several checks (inside their transaction), their
        certificates in two statements: for each plan, the sentences for its reply.

        A certificate this conversation already had is left as it was, renewals included.
        """
        new = self.rows.watch_many(
            [(p.cert, plan.now) for plan in plans for p in plan.certificates],
            self.windows,
            keep_days=KEEP_DAYS_AFTER_EXPIRY,
        )
        answers = []
        for plan in plans:
            sentences = []
            for p in plan.certificates:
                superseded = False
                if p.cert.cert_key in new:
                    for renewed, renewed_not_after, where in p.renewals:
                        self.rows.mark_renewed(renewed, renewed_not_after, where, now=plan.now)
                    superseded = p.superseded_if_new
                sentence = self._window_sentence(p.cert, plan.now, superseded or not p.reminders_on)
                if sentence:
                    sentences.append(sentence)
            answers.append(sentences)
        return answers

    def _csr_partner(
        self, probe: Fingerprint, paired_here: bool, lookups: Lookups | None
    ) -> tuple[str | None, Fingerprint | None]:
        """What its reminders say about its CSR (what matched it and where, as the reply said)."""
        partner = self.recall.partner(probe, same_thread=paired_here, lookups=lookups)
        if partner is None:
            return ("the CSR posted with it" if paired_here else None), None
        # No permalink yet: it is asked for when a reminder is posted (the reply asked already).
        return f"{memory.kind_words(partner)} posted {memory.where(partner, probe, None)}", partner

    def _entered(self, cert: WatchedCertificate, now: float) -> list[float]:
        """The reminder windows (days before notAfter) `cert` is already inside at `now`."""
        return [d for d in self.windows if cert.not_after - d * DAY <= now]

    def _window_sentence(
        self, cert: WatchedCertificate, now: float, none_later: bool
    ) -> str | None:
        entered = self._entered(cert, now)
        if not entered:
            return None
        later = [d for d in self.windows if cert.not_after - d * DAY > now]
        if none_later:
            later = []  # superseded, or the channel takes no reminders: say none will follow
        return window_sentence(certificate_facts(cert), min(entered), later, now=now)

    def _renewals(self, client: WebClient, cert: WatchedCertificate) -> tuple[list[Renewal], bool]:
        """A newer certificate for the same names (CN or SAN set) cancels an older one's reminders.

        Returns the renewals to record once `cert` is watched, each (the older certificate,
        the newer one's notAfter, where the newer one was posted), and whether `cert` itself
        is the older one (a newer one was posted here before it).
        """
        renewals: list[Renewal] = []
        superseded = False
        for other in self.rows.same_names(cert.team, cert.channel, cert.common_name, cert.san_set):
            if other.cert_key == cert.cert_key or not self._same_thread_if_asked(other, cert):
                continue
            if other.not_after < cert.not_after and other.renewed_not_after is None:
                renewals.append((other, cert.not_after, self._renewal_where(client, other, cert)))
            elif other.not_after > cert.not_after and not superseded:
                renewals.append((cert, other.not_after, self._renewal_where(client, cert, other)))
                superseded = True
        return renewals, superseded

    def _same_thread_if_asked(self, a: WatchedCertificate, b: WatchedCertificate) -> bool:
        """Whether one certificate's renewal may act on the other's thread, both of one conversation.

        `same_names` reads the certificate's own conversation only: across conversations the
        DESIGN's privacy rule would need both conversations' kinds, which the watched rows do
        not know (unknown counts as private), so a renewal posted elsewhere leaves the old
        certificate's reminders alone (they still name it correctly). Under the `thread`
        scope, one thread only.
        """
        return self.scope != "thread" or a.thread_ts == b.thread_ts

    @staticmethod
    def _renewal_where(client: WebClient, old: WatchedCertificate, new: WatchedCertificate) -> str:
        """Where the renewal was posted (the same conversation), with a link to it."""
        place = "in this thread" if old.thread_ts == new.thread_ts else f"in <#{new.channel}>"
        link = permalink(client, new.channel, new.message_ts)
        return f"{place} on {slack_date(new.posted_at)}" + (f" (<{link}|message>)" if link else "")
