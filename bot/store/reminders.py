"""The expiry reminders' rows: certificates watched per conversation, one reminder per window, muted channels.

Every reminder is sent once, whatever the number of processes: a process takes it with one
`UPDATE ... WHERE state = 'pending'` (or a claim whose lease ran out, left by a process that
died while posting), and only the process whose update changed the row posts it. What a row
holds is what the reminder says (subject, SANs, serial, notAfter, where the CSR was matched),
never a PEM; rows are kept until the certificate's notAfter plus a day (`keep_until`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, case, or_, select, update

from bot.store.rows import DueReminder, WatchedCertificate
from bot.store.store import Store

# States a reminder ends in; `pending` and `claimed` are the only ones that still lead to a post.
PENDING = "pending"
CLAIMED = "claimed"
SENT = "sent"
IN_REPLY = "in_reply"  # the certificate was posted inside this window: its first reply said it
SKIPPED = "skipped"  # a later window was due at the same time (certmatch was not running)
CANCELLED = "cancelled"  # a renewed certificate for the same names was seen
MUTED = "muted"  # due while `/certmatch reminders off` held for the channel
FAILED = "failed"  # Slack refused it for good (not in the channel, archived) or kept failing
RENEWED_WINDOW = "renewed"


def cert_key(
    team: str, channel: str, key_id: str | None, serial: str | None, not_after: float
) -> str:
    """One watched row per certificate per conversation: a re-post in another thread adds nothing."""
    parts = (team, channel, key_id or "", serial or "", repr(not_after))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def window_label(days: float) -> str:
    return f"{days:g}"


class ReminderStore:
    """The reminder tables of one Store (same engine, same prefix)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.t = store.tables

    # -- scheduling -----------------------------------------------------------------------------

    def watch_many(
        self,
        certs: Sequence[tuple[WatchedCertificate, float]],
        windows: Sequence[float],
        *,
        keep_days: float,
    ) -> set[str]:
        """Record certificates, each with the time it was checked, and their reminders, in two
        statements; the keys of those this conversation did not have yet (only theirs get
        reminders). A window entered by then gets `in_reply` (the first reply says it)."""
        if not certs:
            return set()
        rows = {c.cert_key: _watched_row(c, c.not_after + keep_days * 86400) for c, _ in certs}
        checked_at = {c.cert_key: now for c, now in certs}
        statements = self.store.statements
        stmt = statements.get("watch_certificates")
        if stmt is None:
            w = self.t.watched_certificates
            stmt = statements["watch_certificates"] = self.store.insert_new(w).returning(
                w.c.cert_key
            )
        with self.store.begin() as conn:
            new = {str(key) for (key,) in conn.execute(stmt, list(rows.values()))}
            reminders = [
                {
                    "reminder_key": f"{key}:{window_label(days)}",
                    "cert_key": key,
                    "window_days": days,
                    "due_at": rows[key]["not_after"] - days * 86400,
                    "state": (
                        PENDING
                        if rows[key]["not_after"] - days * 86400 > checked_at[key]
                        else IN_REPLY
                    ),
                    "attempts": 0,
                    "keep_until": rows[key]["keep_until"],
                }
                for key in rows
                if key in new
                for days in windows
            ]
            if reminders:
                conn.execute(self.store.insert_new(self.t.reminders), reminders)
        return new

    def same_names(
        self, team: str, channel: str, common_name: str | None, san_set: Sequence[str]
    ) -> list[WatchedCertificate]:
        """Watched certificates of one conversation (where a renewal acts) with this CN or this (non-empty) SAN set, newest first."""
        w = self.t.watched_certificates
        sans = "\n".join(san_set)
        params = {"team": team, "channel": channel, "common_name": common_name, "san_set": sans}
        names = tuple(n for n in ("common_name", "san_set") if params[n])
        if not names:
            return []
        # Built once per shape, run with parameters (bot.store.store: building cost more CPU).
        statements = self.store.statements
        stmt = statements.get(("same_names", names))
        if stmt is None:
            # The team and the channel inside each OR term: each term is then one search of
            # its (team, name, channel) index (migration 0007), on SQLite by its MULTI-INDEX
            # OR, and the channel's other certificates (wc_channel) are not read.
            here = and_(w.c.team == bindparam("team"), w.c.channel == bindparam("channel"))
            matches = [and_(here, w.c[n] == bindparam(n)) for n in names]
            stmt = statements[("same_names", names)] = (
                self._watched_select()
                .where(or_(*matches))
                .order_by(w.c.posted_at.desc())
                .limit(200)
            )
        with self.store.connect() as conn:
            return [_watched(r) for r in conn.execute(stmt, params)]

    def mark_renewed(
        self, old: WatchedCertificate, renewed_not_after: float, renewed_where: str, *, now: float
    ) -> bool:
        """Cancel `old`'s remaining reminders; if some already reached its thread, queue the note saying so.

        Returns whether a note was queued. A second renewal seen later changes nothing.
        """
        w, r = self.t.watched_certificates, self.t.reminders
        with self.store.begin() as conn:
            changed = conn.execute(
                update(w)
                .where(w.c.cert_key == old.cert_key, w.c.renewed_not_after.is_(None))
                .values(renewed_not_after=renewed_not_after, renewed_where=renewed_where)
            ).rowcount
            if changed != 1:
                return False
            conn.execute(
                update(r)
                .where(r.c.cert_key == old.cert_key, r.c.state == PENDING)
                .values(state=CANCELLED)
            )
            told = conn.execute(
                select(r.c.reminder_key).where(
                    r.c.cert_key == old.cert_key, r.c.state.in_((SENT, IN_REPLY, CLAIMED))
                )
            ).first()
            if told is None:
                return False
            note = {
                "reminder_key": f"{old.cert_key}:{RENEWED_WINDOW}",
                "cert_key": old.cert_key,
                "window_days": None,
                "due_at": now,
                "state": PENDING,
                "attempts": 0,
                "keep_until": old.not_after + 86400,
            }
            conn.execute(self.store.insert_new(r), note)
        return True

    # -- sending --------------------------------------------------------------------------------

    def due(self, now: float, lease_seconds: float, limit: int = 100) -> list[DueReminder]:
        """Reminders due by `now` that nobody holds (or whose holder's lease ran out), soonest first."""
        w, r = self.t.watched_certificates, self.t.reminders
        stmt = (
            select(
                r.c.reminder_key,
                r.c.window_days,
                r.c.due_at,
                r.c.attempts,
                *self._watched_columns(),
            )
            .join(w, w.c.cert_key == r.c.cert_key)
            .where(r.c.due_at <= now, self._takeable(now, lease_seconds))
            .order_by(r.c.due_at)
            .limit(limit)
        )
        with self.store.connect() as conn:
            return [
                DueReminder(row[0], row[1], float(row[2]), int(row[3]), _watched(row[4:]))
                for row in conn.execute(stmt)
            ]

    def claim(self, reminder_key: str, owner: str, *, now: float, lease_seconds: float) -> bool:
        """True for exactly one caller: the reminder is now this owner's to post."""
        r = self.t.reminders
        stmt = (
            update(r)
            .where(r.c.reminder_key == reminder_key, self._takeable(now, lease_seconds))
            .values(state=CLAIMED, claimed_by=owner, claimed_at=now)
        )
        with self.store.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def settle(
        self, reminder_keys: Sequence[str], state: str, *, now: float, owner: str | None = None
    ) -> int:
        """Move reminders to a final state: those still pending, or claimed by `owner`."""
        r = self.t.reminders
        takeable = [r.c.state == PENDING]
        if owner is not None:
            takeable.append(and_(r.c.state == CLAIMED, r.c.claimed_by == owner))
        stmt = (
            update(r)
            .where(r.c.reminder_key.in_(list(reminder_keys)), or_(*takeable))
            .values(state=state, sent_at=now if state == SENT else None)
        )
        with self.store.begin() as conn:
            return max(conn.execute(stmt).rowcount, 0)

    def release(self, reminder_key: str, owner: str, *, give_up_after: int) -> None:
        """A post that failed for now: pending again for the next poll, or failed after enough tries."""
        r = self.t.reminders
        with self.store.begin() as conn:
            conn.execute(
                update(r)
                .where(
                    r.c.reminder_key == reminder_key, r.c.claimed_by == owner, r.c.state == CLAIMED
                )
                .values(
                    attempts=r.c.attempts + 1,
                    state=_release_state(r.c.attempts, give_up_after),
                    claimed_by=None,
                    claimed_at=None,
                )
            )

    # -- listing and channel settings -------------------------------------------------------------

    def expiring(
        self, team: str, channel: str, *, until: float, since: float, limit: int
    ) -> list[WatchedCertificate]:
        """Certificates seen in this conversation with notAfter in (since, until], soonest first."""
        w = self.t.watched_certificates
        stmt = (
            self._watched_select()
            .where(
                w.c.team == team,
                w.c.channel == channel,
                w.c.not_after > since,
                w.c.not_after <= until,
            )
            .order_by(w.c.not_after, w.c.posted_at)
            .limit(limit)
        )
        with self.store.connect() as conn:
            return [_watched(r) for r in conn.execute(stmt)]

    def watched_in(self, team: str, channel: str) -> list[WatchedCertificate]:
        w = self.t.watched_certificates
        stmt = (
            self._watched_select()
            .where(w.c.team == team, w.c.channel == channel)
            .order_by(w.c.posted_at)
        )
        with self.store.connect() as conn:
            return [_watched(r) for r in conn.execute(stmt)]

    def channel_enabled(self, team: str, channel: str) -> bool:
        c = self.t.reminder_channels
        stmt = select(c.c.enabled).where(c.c.team == team, c.c.channel == channel)
        with self.store.connect() as conn:
            found = conn.execute(stmt).scalar_one_or_none()
        return True if found is None else bool(found)

    def set_channel_enabled(
        self, team: str, channel: str, enabled: bool, *, user: str | None, now: float
    ) -> None:
        stmt = self.store.insert(self.t.reminder_channels).values(
            team=team, channel=channel, enabled=enabled, updated_by=user, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team", "channel"],
            set_={
                "enabled": stmt.excluded.enabled,
                "updated_by": stmt.excluded.updated_by,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        with self.store.begin() as conn:
            conn.execute(stmt)

    # -- internals ------------------------------------------------------------------------------

    def _takeable(self, now: float, lease_seconds: float) -> Any:
        r = self.t.reminders
        return or_(
            r.c.state == PENDING,
            and_(r.c.state == CLAIMED, r.c.claimed_at < now - lease_seconds),
        )

    def _watched_columns(self) -> list[Any]:
        w = self.t.watched_certificates
        return [
            w.c.cert_key,
            w.c.team,
            w.c.channel,
            w.c.thread_ts,
            w.c.message_ts,
            w.c.key_id,
            w.c.subject,
            w.c.common_name,
            w.c.san_set,
            w.c.serial,
            w.c.not_after,
            w.c.csr_where,
            w.c.posted_at,
            w.c.renewed_not_after,
            w.c.renewed_where,
            w.c.csr_channel,
            w.c.csr_message_ts,
        ]

    def _watched_select(self) -> Any:
        return select(*self._watched_columns())


def _release_state(attempts: Any, give_up_after: int) -> Any:
    return case((attempts + 1 >= give_up_after, FAILED), else_=PENDING)


def _watched(row: Sequence[Any]) -> WatchedCertificate:
    (
        key,
        team,
        channel,
        thread,
        ts,
        key_id,
        subject,
        cn,
        sans,
        serial,
        not_after,
        csr_where,
        posted,
        r_after,
        r_where,
        csr_channel,
        csr_ts,
    ) = row
    return WatchedCertificate(
        cert_key=str(key),
        team=str(team),
        channel=str(channel),
        thread_ts=str(thread),
        message_ts=str(ts),
        key_id=key_id,
        subject=subject,
        common_name=cn,
        san_set=tuple(s for s in str(sans).split("\n") if s),
        serial=serial,
        not_after=float(not_after),
        csr_where=csr_where,
        posted_at=float(posted),
        renewed_not_after=float(r_after) if r_after is not None else None,
        renewed_where=r_where,
        csr_channel=csr_channel,
        csr_message_ts=csr_ts,
    )


def _watched_row(cert: WatchedCertificate, keep_until: float) -> dict[str, Any]:
    return {
        "cert_key": cert.cert_key,
        "team": cert.team,
        "channel": cert.channel,
        "thread_ts": cert.thread_ts,
        "message_ts": cert.message_ts,
        "key_id": cert.key_id,
        "subject": cert.subject,
        "common_name": cert.common_name,
        "san_set": "\n".join(cert.san_set),
        "serial": cert.serial,
        "not_after": cert.not_after,
        "csr_where": cert.csr_where,
        "csr_channel": cert.csr_channel,
        "csr_message_ts": cert.csr_message_ts,
        "posted_at": cert.posted_at,
        "keep_until": keep_until,
    }
