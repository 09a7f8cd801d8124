"""Workspace recall: index what a message carried, and find a lone artefact's partner (or a regenerated CSR) elsewhere.

The glue between the store's fingerprint index, the pure rules in `bot.memory` and Slack
(permalinks). `Service.check` calls `index()` after every check of a posted message and
`notes()` to get the sentences for the reply. Everything read here is limited to the
retention window, the privacy rule (bot.privacy: a reply names another conversation only if
everyone who reads the reply can read it) and the configured scope; another channel is named
only by mention, permalink, poster and date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient

from bot import memory
from bot.memory import Fingerprint
from bot.store import Store
from certmatch import Artefact, Report
from handlers.ports import SlackMessage

logger = logging.getLogger("certmatch.bot")

# At most this many memory sentences in one reply (a bundle of ten certificates stays readable).
_MAX_NOTES = 3


class Lookups(dict[Fingerprint, list[Fingerprint]]):
    """One check's lookups by probe: the reply's notes and the expiry reminders ask about the
    same certificate, and the second asking cost a statement per job (issue 17). `answers`
    are the store's answers by what was asked: a CSR and its certificate share their key and
    names, and the second lookup, a statement and up to 50 rows made Fingerprints, was about
    6 % of the bot's CPU under the sustained benchmark (docs/performance.md)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[Any, list[Fingerprint]] = {}


class Recall:
    """One per process; stateless apart from settings (the store does the locking)."""

    def __init__(
        self,
        store: Store,
        *,
        scope: str,
        retention_days: int,
        clock: Callable[[], float],
    ) -> None:
        if scope not in memory.SCOPES:
            raise ValueError(f"memory scope must be one of {memory.SCOPES}, not {scope!r}")
        self.store = store
        self.scope = scope
        self.retention_days = retention_days
        self.clock = clock

    def probes(self, message: SlackMessage, artefacts: Sequence[Artefact]) -> list[Fingerprint]:
        """Fingerprints of a message's own artefacts, to look up and (for posted messages) index.

        Slash commands and the form have no message: their probes carry empty ts values, are
        looked up like any other, and are never indexed (Service only indexes posted messages).
        """
        now = self.clock()
        return [
            memory.fingerprint(
                a,
                team=message.team,
                channel=message.channel,
                thread_ts=message.thread_ts or "",
                message_ts=message.message_ts or "",
                poster=message.poster,
                posted_at=now,
                conversation_kind=message.conversation_kind,
                ext_shared=message.ext_shared,
            )
            for a in artefacts
        ]

    def index(self, probes: Sequence[Fingerprint]) -> int:
        return self.store.add_fingerprints(probes)

    def notes(
        self,
        client: WebClient,
        report: Report,
        current: Sequence[int],
        probes: Sequence[Fingerprint],
        lookups: Lookups | None = None,
    ) -> list[str]:
        """Sentences about partners posted elsewhere and regenerated CSRs, for this reply.

        `current` are the indexes in `report.artifacts` of this message's own artefacts, in
        the order of `probes`. `lookups` keeps what was looked up for the rest of the check.
        """
        paired = {p.left for p in report.pairs if p.match} | {
            p.right for p in report.pairs if p.match
        }
        partner_in_report = {p.right: p.left for p in report.pairs if p.match}
        links: dict[tuple[str, str], str | None] = {}
        out: list[str] = []
        for index, probe in zip(current, probes, strict=True):
            if len(out) >= _MAX_NOTES:
                break
            if not (probe.is_leaf or probe.is_requester):
                continue
            candidates = self._candidates(probe, lookups)
            if probe.is_leaf:
                sentence = self._certificate_note(
                    client, probe, candidates, index in partner_in_report, links
                )
            elif index not in paired:
                sentence = self._requester_note(client, probe, candidates, links)
            else:
                sentence = None
            if sentence and sentence not in out:
                out.append(sentence)
        return out

    def partner(
        self, probe: Fingerprint, *, same_thread: bool = False, lookups: Lookups | None = None
    ) -> Fingerprint | None:
        """The remembered partner of `probe` (what `notes` names), under the same scope and privacy rules.

        The expiry reminders (bot.reminders) say with it where a certificate's CSR was matched.
        """
        candidates = self._candidates(probe, lookups)
        if same_thread:
            candidates = [c for c in candidates if c.thread_ts == probe.thread_ts]
        return memory.partner_of(probe, candidates)

    # -- internals ------------------------------------------------------------------------------

    def _candidates(self, probe: Fingerprint, lookups: Lookups | None = None) -> list[Fingerprint]:
        if lookups is not None and probe in lookups:
            return lookups[probe]
        found = self._look_up(probe, lookups.answers if lookups is not None else None)
        if lookups is not None:
            lookups[probe] = found
        return found

    def _look_up(
        self, probe: Fingerprint, answers: dict[Any, list[Fingerprint]] | None = None
    ) -> list[Fingerprint]:
        since = self.clock() - self.retention_days * 86400
        # A reader who may see no other conversation is looked up in its own only; the others
        # only among their own and public internal channels (the rule below still decides).
        sees_others = memory.may_see_other_conversations(probe)
        channel = None if self.scope == "workspace" and sees_others else probe.channel
        rows = self.store.related_fingerprints(
            probe, channel=channel, since=since, public_elsewhere=channel is None, answers=answers
        )
        kept = [
            row
            for row in rows
            # Not this very message (a shortcut re-check); the thread scope narrows further.
            if not row.same_place(probe)
            and (self.scope != "thread" or row.thread_ts == probe.thread_ts)
        ]
        # The privacy rule, before any memory rule reads the rows (issue 13).
        return memory.visible_from(probe, kept)

    def _requester_note(
        self,
        client: WebClient,
        probe: Fingerprint,
        candidates: Sequence[Fingerprint],
        links: dict[tuple[str, str], str | None],
    ) -> str | None:
        partner = memory.partner_of(probe, candidates)
        if partner is not None:
            return memory.partner_sentence(
                probe, partner, self._where(client, partner, probe, links)
            )
        if probe.kind != "csr":
            return None
        older = memory.earlier_pending_csr(probe, candidates)
        if older is None:
            return None
        return memory.pending_sentence(_name(probe), self._where(client, older, probe, links))

    def _certificate_note(
        self,
        client: WebClient,
        probe: Fingerprint,
        candidates: Sequence[Fingerprint],
        paired_here: bool,
        links: dict[tuple[str, str], str | None],
    ) -> str | None:
        name = _name(probe)
        partner: Fingerprint | None
        if paired_here:
            # Its CSR/key is in this thread (or this message); remembered from when, if at all.
            same_thread = [c for c in candidates if c.thread_ts == probe.thread_ts]
            partner = memory.partner_of(probe, same_thread) or probe
        else:
            partner = memory.partner_of(probe, candidates)
        if partner is None:
            suspect = memory.regenerated_suspect(probe, candidates)
            if suspect is None:
                return None
            return memory.suspect_sentence(name, self._where(client, suspect, probe, links))
        newer = memory.regenerated_after(probe, partner, candidates)
        if newer is not None:
            partner_loc = (
                "with it" if partner is probe else self._where(client, partner, probe, links)
            )
            return memory.regenerated_sentence(
                name, partner_loc, self._where(client, newer, probe, links)
            )
        if paired_here:
            return None  # the engine's report already says everything
        return memory.partner_sentence(probe, partner, self._where(client, partner, probe, links))

    def _where(
        self,
        client: WebClient,
        row: Fingerprint,
        here: Fingerprint,
        links: dict[tuple[str, str], str | None],
    ) -> str:
        key = (row.channel, row.message_ts)
        if key not in links:
            links[key] = self._permalink(client, row)
        return memory.where(row, here, links[key])

    @staticmethod
    def _permalink(client: WebClient, row: Fingerprint) -> str | None:
        try:
            answer = client.chat_getPermalink(channel=row.channel, message_ts=row.message_ts)
        except Exception:
            # A channel the bot has left, a deleted message: the mention and date still help.
            logger.warning("no permalink for a remembered message in channel=%s", row.channel)
            return None
        link = answer.get("permalink")
        return str(link) if link else None


def _name(row: Fingerprint) -> str | None:
    """The name a person knows the server by: the CN, else the first SAN's value."""
    return row.common_name or (row.san_set[0].split(":", 1)[-1] if row.san_set else None)
