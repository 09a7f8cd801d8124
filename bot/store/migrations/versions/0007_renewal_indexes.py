"""The renewal lookup's indexes go on with `channel` (issue 17): it reads the certificates of its conversation only.

`same_names` (bot.store.reminders) wants the watched certificates of one conversation with
a certificate's CN or SAN set. On (team, common_name) and (team, san_set) the database read
every certificate of that name in the workspace and kept those of the channel: a name posted
in 60 channels cost 60 rows to find none or one (PostgreSQL 53 pages, 0.16 ms a lookup in the
sustained benchmark's fifth minute). On (team, name, channel) each term finds its rows
alone. Same names, so nothing else changes.

Revision ID: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (index, column): on the watched certificates' table, as bot.store.schema declares them.
_INDEXES = (("wc_cn", "common_name"), ("wc_sans", "san_set"))


def upgrade(prefix: str) -> None:
    table = f"{prefix}watched_certificates"
    for name, column in _INDEXES:
        op.drop_index(f"{prefix}{name}", table_name=table)
        op.create_index(f"{prefix}{name}", table, ["team", column, "channel"])


def downgrade(prefix: str) -> None:
    table = f"{prefix}watched_certificates"
    for name, column in reversed(_INDEXES):
        op.drop_index(f"{prefix}{name}", table_name=table)
        op.create_index(f"{prefix}{name}", table, ["team", column])
