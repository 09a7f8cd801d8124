"""A check prepared up to its writes (`Service.prepare`): the reply so far, what it will store, and what it read.

On SQLite every write holds the host's one write lock until the commit, so a job stores its
check in one short transaction after everything else is done; several jobs' checks can then
share that transaction and its statements (bot.jobs.runner) when none of them read what
another writes: `PreparedCheck.reads` and `touches` say what that is.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from bot.eventlog import log_event, ms
from bot.files import FileProblem
from bot.memory import Fingerprint
from bot.reminder_watch import WatchPlan
from bot.store import StoredArtefact, storable
from bot.store.fingerprints import lookup_values
from certmatch import Artefact
from handlers.ports import CheckOutcome, SlackMessage

MEMORY_DOWN_NOTE = (
    "certmatch's database is unavailable right now: this reply covers only this message, it "
    "will not be remembered for the thread, and the detail buttons are missing. Nothing to do on "
    "your side; it recovers by itself."
)


class CheckLog:
    """One check's log line (ids, kinds and verdict, never text or key material), written once decided."""

    def __init__(
        self,
        message: SlackMessage,
        started: float,
        fetch_seconds: float,
        fetch_problems: Sequence[FileProblem],
    ) -> None:
        self.message, self.started, self.fetch_seconds = message, started, fetch_seconds
        self.fetch_problems = fetch_problems
        self.kinds, self.memory, self.check_seconds = "", 0, 0.0

    def done(self, verdict: str) -> None:
        m = self.message
        log_event(
            id=m.event_id,
            team=m.team,
            channel=m.channel,
            thread=m.thread_ts,
            files=len(m.files),
            fetch_problems=",".join(p.code for p in self.fetch_problems),
            kinds=self.kinds,
            memory=self.memory,
            verdict=verdict,
            fetch_ms=ms(self.fetch_seconds),
            check_ms=ms(self.check_seconds),
            total_ms=ms(time.monotonic() - self.started),
        )


@dataclass
class CheckWrites:
    """What a prepared check stores: its artefacts for the thread, their fingerprints, the
    reply's details, its expiry reminders."""

    current: list[Artefact]
    probes: list[Fingerprint]
    details: str
    ca_note: str | None
    watching: WatchPlan
    log: CheckLog
    now: float
    detail_key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def stored(self, message_ts: str) -> list[StoredArtefact]:
        rows = [storable(a, message_ts, self.now) for a in self.current]
        return [r for r in rows if r is not None]


@dataclass
class PreparedCheck:
    """`Service.prepare`'s answer: the reply so far, and what to store before it (None: nothing).

    `outcome` None with no writes: no reply (a quiet check).
    """

    message: SlackMessage
    outcome: CheckOutcome | None
    writes: CheckWrites | None = None

    def reply(self, in_window: list[str] | None) -> CheckOutcome | None:
        """The reply once `Service.store_checks` stored the check (`in_window`: its reminder
        sentences), or failed to (None: the reply says the memory is down, without buttons)."""
        writes, outcome = self.writes, self.outcome
        if writes is None or outcome is None:
            return outcome
        notes, recalled = outcome.notes, outcome.recalled
        detail_key: str | None = writes.detail_key
        if in_window is None:
            # The answer matters more than the memory: reply without buttons, say why. No
            # reminder sentence either: none of them was scheduled.
            detail_key, notes = None, memory_down(notes)
        else:
            recalled = [*recalled, *in_window]
        assert outcome.report is not None
        writes.log.done(outcome.report.verdict.value)
        return CheckOutcome(outcome.report, detail_key=detail_key, notes=notes, recalled=recalled)

    def touches(self) -> frozenset[tuple[str | None, ...]]:
        """What another check's reads would find of this one's writes: its thread, and its
        fingerprints' terms in the workspace (bot.recall's lookups, the reminders' names)."""
        return self._terms if self.writes is not None else frozenset()

    def reads(self) -> frozenset[tuple[str | None, ...]]:
        """What this check read that another's writes could change (the same terms)."""
        return self._terms

    @cached_property
    def _terms(self) -> frozenset[tuple[str | None, ...]]:
        # Asked of each waiting check again for every later check of its take.
        m = self.message
        probes = self.writes.probes if self.writes is not None else []
        return frozenset(
            {("thread", m.team, m.channel, m.thread_ts)}
            | {term for probe in probes for term in lookup_terms(probe)}
        )


def lookup_terms(probe: Fingerprint) -> list[tuple[str | None, ...]]:
    """The index terms a lookup of `probe` searches (bot.store.fingerprints), in its workspace."""
    return [(name, probe.team, value) for name, value in lookup_values(probe).items()]


def memory_down(notes: Sequence[str]) -> list[str]:
    return list(notes) if MEMORY_DOWN_NOTE in notes else [*notes, MEMORY_DOWN_NOTE]
