"""Expiry reminders (issue 16): the certificates watched, one row per reminder window, channels that muted them.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade(prefix: str) -> None:
    op.create_table(
        f"{prefix}watched_certificates",
        sa.Column("cert_key", sa.Text, primary_key=True),
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("thread_ts", sa.Text, nullable=False),
        sa.Column("message_ts", sa.Text, nullable=False),
        sa.Column("key_id", sa.Text),
        sa.Column("subject", sa.Text),
        sa.Column("common_name", sa.Text),
        sa.Column("san_set", sa.Text, nullable=False),
        sa.Column("serial", sa.Text),
        sa.Column("not_after", sa.Float, nullable=False),
        sa.Column("csr_where", sa.Text),
        sa.Column("csr_channel", sa.Text),
        sa.Column("csr_message_ts", sa.Text),
        sa.Column("posted_at", sa.Float, nullable=False),
        sa.Column("keep_until", sa.Float, nullable=False),
        sa.Column("renewed_not_after", sa.Float),
        sa.Column("renewed_where", sa.Text),
    )
    table = f"{prefix}watched_certificates"
    op.create_index(f"{prefix}wc_channel", table, ["team", "channel", "not_after"])
    op.create_index(f"{prefix}wc_cn", table, ["team", "common_name"])
    op.create_index(f"{prefix}wc_sans", table, ["team", "san_set"])
    op.create_index(f"{prefix}wc_keep", table, ["keep_until"])
    op.create_table(
        f"{prefix}reminders",
        sa.Column("reminder_key", sa.Text, primary_key=True),
        sa.Column("cert_key", sa.Text, nullable=False),
        sa.Column("window_days", sa.Float),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_at", sa.Float),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.Float),
        sa.Column("keep_until", sa.Float, nullable=False),
    )
    op.create_index(f"{prefix}rem_due", f"{prefix}reminders", ["state", "due_at"])
    op.create_index(f"{prefix}rem_cert", f"{prefix}reminders", ["cert_key"])
    op.create_table(
        f"{prefix}reminder_channels",
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.Text),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("team", "channel"),
    )


def downgrade(prefix: str) -> None:
    op.drop_table(f"{prefix}reminder_channels")
    op.drop_table(f"{prefix}reminders")
    op.drop_table(f"{prefix}watched_certificates")
