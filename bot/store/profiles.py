"""`ProfileStore`: the profile each channel chose with `/certmatch profile`, and one read of them for a take.

Every check asks its channel's profile: a statement a job. The jobs of one take (up to
bot.jobs.workers.TAKE_AT_ONCE, each in its own channel under load) ask theirs in one
statement instead, inside `read_once` (bot.jobs.runner): on SQLite 3.3 % and on PostgreSQL
5.4 % of the bot's CPU was the per-job read (py-spy, issue 17, docs/performance.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError

from bot.store.store import Store

# The channels read once, each with the profile it chose in each workspace (none: empty).
_Known = dict[str, dict[str, str]]


class ProfileStore:
    """The channel_profiles table of one Store (same engine, same prefix); thread-safe."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._p = store.tables.channel_profiles
        # Inside read_once, on its thread: a _Known.
        self._local = threading.local()

    def get(self, team: str, channel: str) -> str | None:
        """The profile `channel` chose, None when it chose none."""
        known: _Known | None = getattr(self._local, "known", None)
        if known is not None and channel in known:
            return known[channel].get(team)
        statements = self.store.statements
        stmt = statements.get("channel_profile")
        if stmt is None:
            p = self._p
            stmt = statements["channel_profile"] = select(p.c.profile).where(
                p.c.team == bindparam("team"), p.c.channel == bindparam("channel")
            )
        with self.store.connect() as conn:
            found = conn.execute(stmt, {"team": team, "channel": channel}).scalar_one_or_none()
        return str(found) if found is not None else None

    def set(self, team: str, channel: str, profile: str) -> None:
        stmt = self.store.insert(self._p).values(
            team=team, channel=channel, profile=profile, updated_at=time.time()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team", "channel"],
            set_={"profile": stmt.excluded.profile, "updated_at": stmt.excluded.updated_at},
        )
        with self.store.begin() as conn:
            conn.execute(stmt)
        known: _Known | None = getattr(self._local, "known", None)
        if known is not None and channel in known:
            # A command of the take changed it: the take's later checks see the change.
            known[channel][team] = profile

    @contextmanager
    def read_once(self, channels: Collection[str]) -> Iterator[None]:
        """Inside, on this thread, `get` answers for `channels` from one statement run here.

        By channel id alone (the jobs' keys name no workspace): the rows of every workspace
        with such a channel, which `get` tells apart. The table holds a row per channel that
        chose a profile, so reading it by channel without its (team, channel) key's first
        column reads little. A database that fails here leaves each `get` to read (and fail)
        on its own, as before.
        """
        if not channels or getattr(self._local, "known", None) is not None:
            yield
            return
        stmt = self.store.statements.get("channel_profiles")
        if stmt is None:
            p = self._p
            stmt = self.store.statements["channel_profiles"] = select(
                p.c.team, p.c.channel, p.c.profile
            ).where(p.c.channel.in_(bindparam("channels", expanding=True)))
        known: _Known = {channel: {} for channel in sorted(channels)}
        try:
            with self.store.connect() as conn:
                rows = conn.execute(stmt, {"channels": list(known)}).all()
        except SQLAlchemyError:
            yield
            return
        for team, channel, profile in rows:
            known[str(channel)][str(team)] = str(profile)
        self._local.known = known
        try:
            yield
        finally:
            self._local.known = None
