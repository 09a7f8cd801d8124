"""Admin controls (issue 13): event claims name their workspace, forgotten details leave a marker.

`events.team` lets `app_uninstalled` and `tokens_revoked` delete a workspace's event claims
(NULL for claims made before: they go with the retention purge). `details.forgotten_at`
marks a reply's details deleted with `/certmatch forget` (text emptied, row kept until the
retention purge), so its Details button says so instead of blaming the retention window.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade(prefix: str) -> None:
    op.add_column(f"{prefix}events", sa.Column("team", sa.Text))
    op.add_column(f"{prefix}details", sa.Column("forgotten_at", sa.Float))


def downgrade(prefix: str) -> None:
    op.drop_column(f"{prefix}details", "forgotten_at")
    op.drop_column(f"{prefix}events", "team")
