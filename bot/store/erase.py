"""Deleting what people ask to be deleted: one channel (`/certmatch forget`) or a whole workspace (uninstall).

A part of `Store` (bot.store.store), kept apart because it is what an admin reads to know what
goes and what stays. The retention purge is `Store.purge`.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, delete, select, update

from bot.store.schema import Tables


class Erasing:
    """`Store`'s deletions; it provides `engine` and `tables`."""

    engine: Engine
    tables: Tables

    def forget_channel(self, team: str, channel: str, now: float | None = None) -> int:
        """Delete what was stored from one channel (`/certmatch forget`).

        Thread artefacts, fingerprint index rows and the details behind that channel's reply
        buttons (their text; the row stays, marked forgotten, until the retention purge, so a
        button pressed later says why). Returns how many artefacts were remembered (thread
        artefacts, or index rows where that is more, e.g. private key fingerprints). Event
        claims and jobs stay: they hold no content and keep a Slack retry from being answered
        twice.
        """
        t = self.tables
        forgotten_at = time.time() if now is None else now
        with self.engine.begin() as conn:
            artefacts = conn.execute(
                delete(t.thread_artefacts).where(
                    t.thread_artefacts.c.team == team, t.thread_artefacts.c.channel == channel
                )
            ).rowcount
            indexed = conn.execute(
                delete(t.fingerprints).where(
                    t.fingerprints.c.team == team, t.fingerprints.c.channel == channel
                )
            ).rowcount
            conn.execute(
                update(t.details)
                .where(t.details.c.team == team, t.details.c.channel == channel)
                .values(detail="", ca_note=None, forgotten_at=forgotten_at)
            )
            # Expiry reminders (issue 16): the channel's watched certificates and their reminders.
            watched = t.watched_certificates
            keys = select(watched.c.cert_key).where(
                watched.c.team == team, watched.c.channel == channel
            )
            conn.execute(delete(t.reminders).where(t.reminders.c.cert_key.in_(keys)))
            conn.execute(
                delete(watched).where(watched.c.team == team, watched.c.channel == channel)
            )
        return max(artefacts, indexed, 0)

    def forget_workspace(self, team: str) -> dict[str, int]:
        """Delete everything stored for one workspace (uninstalled, or its token revoked).

        Event claims, thread artefacts, fingerprints, reply details and channel profiles, in
        one transaction; returns the rows deleted per table. Jobs and reply claims name no
        workspace and go with the retention purge (a queued job's payload is encrypted).
        """
        t = self.tables
        deleted: dict[str, int] = {}
        with self.engine.begin() as conn:
            # Expiry reminders (issue 16) name no workspace: through their watched certificate.
            watched = t.watched_certificates
            keys = select(watched.c.cert_key).where(watched.c.team == team)
            deleted["reminders"] = max(
                conn.execute(delete(t.reminders).where(t.reminders.c.cert_key.in_(keys))).rowcount,
                0,
            )
            for name, table in (
                ("events", t.events),
                ("thread_artefacts", t.thread_artefacts),
                ("fingerprints", t.fingerprints),
                ("details", t.details),
                ("channel_profiles", t.channel_profiles),
                ("watched_certificates", watched),
                ("reminder_channels", t.reminder_channels),
            ):
                deleted[name] = max(
                    conn.execute(delete(table).where(table.c.team == team)).rowcount, 0
                )
        return deleted
