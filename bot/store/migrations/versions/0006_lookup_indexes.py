"""The fingerprint lookup's indexes go on with `posted_at` (issue 17): each term reads its newest rows only.

The lookup wants the newest rows sharing the probe's key, CN or SAN set. On (team, column)
indexes the database had to fetch every row of the term (every post of that key in the
retention window) and sort them all to keep the newest 50: a lookup grew with the reposts
(SQLite 0.5-0.7 ms at 50 posts of a key and 2.0-3.4 ms at 1,000, PostgreSQL 1.2-1.4 and
19-22 ms; docs/performance.md).
On (team, column, posted_at, channel, conversation_kind, ext_shared) each term walks its
index from the newest row and stops at the limit, deciding the privacy filter on the index
alone (bot.store.fingerprints.related_select). Same names, so nothing else changes.

Revision ID: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (index, column): on the fingerprints table, as bot.store.schema declares them at this revision.
_INDEXES = (
    ("fp_key", "key_id"),
    ("fp_md5", "modulus_md5"),
    ("fp_spki", "spki_sha256"),
    ("fp_cn", "common_name"),
    ("fp_sans", "san_set"),
)

_TAIL = ["posted_at", "channel", "conversation_kind", "ext_shared"]


def upgrade(prefix: str) -> None:
    table = f"{prefix}fingerprints"
    for name, column in _INDEXES:
        op.drop_index(f"{prefix}{name}", table_name=table)
        op.create_index(f"{prefix}{name}", table, ["team", column, *_TAIL])


def downgrade(prefix: str) -> None:
    table = f"{prefix}fingerprints"
    for name, column in reversed(_INDEXES):
        op.drop_index(f"{prefix}{name}", table_name=table)
        op.create_index(f"{prefix}{name}", table, ["team", column])
