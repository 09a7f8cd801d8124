"""The tables as the store had them before Alembic: created when missing, an old details table given team/channel.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade(prefix: str) -> None:
    bind = op.get_bind()
    md = sa.MetaData()
    sa.Table(
        f"{prefix}events",
        md,
        sa.Column("event_key", sa.Text, primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    sa.Table(
        f"{prefix}thread_artefacts",
        md,
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("thread_ts", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("subject", sa.Text),
        sa.Column("spki_sha256", sa.Text),
        sa.Column("modulus_md5", sa.Text),
        sa.Column("public_pem", sa.Text, nullable=False),
        sa.Column("message_ts", sa.Text, nullable=False),
        sa.Column("posted_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("team", "channel", "thread_ts", "fingerprint"),
    )
    sa.Table(
        f"{prefix}fingerprints",
        md,
        sa.Column("row_key", sa.Text, primary_key=True),
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("thread_ts", sa.Text, nullable=False),
        sa.Column("message_ts", sa.Text, nullable=False),
        sa.Column("poster", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("spki_sha256", sa.Text),
        sa.Column("modulus_md5", sa.Text),
        sa.Column("key_id", sa.Text),
        sa.Column("common_name", sa.Text),
        sa.Column("san_set", sa.Text, nullable=False),
        sa.Column("is_ca", sa.Integer, nullable=False),
        sa.Column("posted_at", sa.Float, nullable=False),
        sa.Index(f"{prefix}fp_key", "team", "key_id"),
        sa.Index(f"{prefix}fp_md5", "team", "modulus_md5"),
        sa.Index(f"{prefix}fp_spki", "team", "spki_sha256"),
        sa.Index(f"{prefix}fp_cn", "team", "common_name"),
        sa.Index(f"{prefix}fp_sans", "team", "san_set"),
        sa.Index(f"{prefix}fp_channel", "team", "channel"),
        sa.Index(f"{prefix}fp_time", "posted_at"),
    )
    sa.Table(
        f"{prefix}channel_profiles",
        md,
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("team", "channel"),
    )
    sa.Table(
        f"{prefix}details",
        md,
        sa.Column("detail_key", sa.Text, primary_key=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("ca_note", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("team", sa.Text),
        sa.Column("channel", sa.Text),
    )
    # checkfirst: a database the hand-written store created already has (some of) these.
    md.create_all(bind, checkfirst=True)
    have = {c["name"] for c in sa.inspect(bind).get_columns(f"{prefix}details")}
    for column in ("team", "channel"):
        if column not in have:
            op.add_column(f"{prefix}details", sa.Column(column, sa.Text))


def downgrade(prefix: str) -> None:
    raise NotImplementedError("the first schema has nothing to go back to")
