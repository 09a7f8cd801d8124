"""Reposts (issue 17): the fingerprint lookup reads an artefact's newest row per channel, not every post.

`fingerprints.artefact_key` names one artefact in one channel (bot.store.fingerprints), and
`superseded` marks all but its newest row. The lookup's term indexes end in `superseded`;
fp_channel gains `thread_ts` (the lookup reads the probe's own thread whole) and
fp_artefact finds an artefact's rows when a repost supersedes them. Rows stored before get
their key and flag here, in batches, in the migration's transaction.

Revision ID: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.fingerprints import artefact_key

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TERMS = (
    ("fp_key", "key_id"),
    ("fp_md5", "modulus_md5"),
    ("fp_spki", "spki_sha256"),
    ("fp_cn", "common_name"),
    ("fp_sans", "san_set"),
)
_BATCH = 1000


def upgrade(prefix: str) -> None:
    table = f"{prefix}fingerprints"
    op.add_column(table, sa.Column("artefact_key", sa.Text))
    op.add_column(
        table, sa.Column("superseded", sa.Boolean, nullable=False, server_default=sa.false())
    )
    for name, column in _TERMS:
        op.drop_index(f"{prefix}{name}", table_name=table)
        op.create_index(f"{prefix}{name}", table, ["team", column, "superseded"])
    op.drop_index(f"{prefix}fp_channel", table_name=table)
    op.create_index(f"{prefix}fp_channel", table, ["team", "channel", "thread_ts"])
    op.create_index(f"{prefix}fp_artefact", table, ["artefact_key", "superseded", "posted_at"])
    _backfill(sa.table(table, *(sa.column(name) for name in _COLUMNS)))


_COLUMNS = (
    "row_key",
    "team",
    "channel",
    "kind",
    "key_id",
    "modulus_md5",
    "spki_sha256",
    "common_name",
    "san_set",
    "is_ca",
    "posted_at",
    "artefact_key",
    "superseded",
)


def _backfill(f: sa.TableClause) -> None:
    conn = op.get_bind()
    keys = []
    for row in conn.execute(sa.select(*(f.c[name] for name in _COLUMNS[:10]))):
        (row_key, team, channel, kind, key_id, md5, spki, cn, sans, is_ca) = row
        key = artefact_key(team, channel, kind, key_id, md5, spki, cn, sans, bool(is_ca))
        keys.append({"rk": row_key, "ak": key})
    set_key = (
        f.update().where(f.c.row_key == sa.bindparam("rk")).values(artefact_key=sa.bindparam("ak"))
    )
    for start in range(0, len(keys), _BATCH):
        conn.execute(set_key, keys[start : start + _BATCH])
    newer = f.alias("newer")
    has_newer = (
        sa.select(newer.c.row_key)
        .where(
            newer.c.artefact_key == f.c.artefact_key,
            sa.or_(
                newer.c.posted_at > f.c.posted_at,
                sa.and_(newer.c.posted_at == f.c.posted_at, newer.c.row_key > f.c.row_key),
            ),
        )
        .exists()
    )
    conn.execute(f.update().where(has_newer).values(superseded=True))


def downgrade(prefix: str) -> None:
    table = f"{prefix}fingerprints"
    op.drop_index(f"{prefix}fp_artefact", table_name=table)
    op.drop_index(f"{prefix}fp_channel", table_name=table)
    op.create_index(f"{prefix}fp_channel", table, ["team", "channel"])
    for name, column in _TERMS:
        op.drop_index(f"{prefix}{name}", table_name=table)
        op.create_index(f"{prefix}{name}", table, ["team", column])
    op.drop_column(table, "superseded")
    op.drop_column(table, "artefact_key")
