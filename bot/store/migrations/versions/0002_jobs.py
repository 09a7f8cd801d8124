"""The durable job queue and the reply claims (issue 17); where a fingerprint was posted (issue 13).

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade(prefix: str) -> None:
    op.create_table(
        f"{prefix}jobs",
        sa.Column("job_key", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("payload", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("available_at", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
    )
    op.create_index(f"{prefix}jobs_ready", f"{prefix}jobs", ["state", "available_at"])
    op.create_index(f"{prefix}jobs_created", f"{prefix}jobs", ["created_at"])
    op.create_table(
        f"{prefix}replies",
        sa.Column("reply_key", sa.Text, primary_key=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("thread_ts", sa.Text),
        sa.Column("ts", sa.Text),
        sa.Column("claimed_at", sa.Float, nullable=False),
    )
    # NULL for rows stored before: their conversation's kind is unknown, so they count as private.
    op.add_column(f"{prefix}fingerprints", sa.Column("conversation_kind", sa.Text))
    op.add_column(f"{prefix}fingerprints", sa.Column("ext_shared", sa.Boolean))


def downgrade(prefix: str) -> None:
    op.drop_column(f"{prefix}fingerprints", "ext_shared")
    op.drop_column(f"{prefix}fingerprints", "conversation_kind")
    op.drop_table(f"{prefix}replies")
    op.drop_table(f"{prefix}jobs")
