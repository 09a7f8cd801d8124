"""The fingerprint lookup's indexes end in posted_at (issue 17): each term reads its newest rows only.

The lookup asks, for each of a probe's values (key id, modulus hash, SPKI hash, CN, SAN set),
for the newest rows sharing it (bot.store.fingerprints). With (team, column) the server read
every row sharing the value and sorted them, so a lookup grew with the reposts of one
artefact; with (team, column, posted_at) each term walks its index from the newest row and
stops at its limit. The new indexes replace the old ones, which they cover.

Revision ID: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (old index, new index, column): the new ones as bot.store.schema declares them.
_INDEXES = (
    ("fp_key", "fp_key_at", "key_id"),
    ("fp_md5", "fp_md5_at", "modulus_md5"),
    ("fp_spki", "fp_spki_at", "spki_sha256"),
    ("fp_cn", "fp_cn_at", "common_name"),
    ("fp_sans", "fp_sans_at", "san_set"),
)


def upgrade(prefix: str) -> None:
    table = f"{prefix}fingerprints"
    for old, new, column in _INDEXES:
        op.create_index(f"{prefix}{new}", table, ["team", column, "posted_at"])
        op.drop_index(f"{prefix}{old}", table_name=table)


def downgrade(prefix: str) -> None:
    table = f"{prefix}fingerprints"
    for old, new, column in reversed(_INDEXES):
        op.create_index(f"{prefix}{old}", table, ["team", column])
        op.drop_index(f"{prefix}{new}", table_name=table)
