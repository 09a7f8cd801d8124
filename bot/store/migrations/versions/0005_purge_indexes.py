"""Indexes for the hourly retention purge (issue 17): each of its DELETEs finds its rows by an index.

Before, the purge read every row of events, thread_artefacts, details, replies and reminders
to find the old ones, and checked each old fingerprint against every watched certificate of
its channel. One index per timestamp the purge compares, and one for the watched
certificate a fingerprint row belongs to (`Store.purge`'s NOT EXISTS).

Revision ID: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (index, table, columns): the same as bot.store.schema declares.
_INDEXES = (
    ("events_seen", "events", ["seen_at"]),
    ("ta_posted", "thread_artefacts", ["posted_at"]),
    ("details_created", "details", ["created_at"]),
    ("replies_claimed", "replies", ["claimed_at"]),
    ("rem_keep", "reminders", ["keep_until"]),
    ("wc_message", "watched_certificates", ["team", "channel", "message_ts"]),
)


def upgrade(prefix: str) -> None:
    for name, table, columns in _INDEXES:
        op.create_index(f"{prefix}{name}", f"{prefix}{table}", columns)


def downgrade(prefix: str) -> None:
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(f"{prefix}{name}", table_name=f"{prefix}{table}")
