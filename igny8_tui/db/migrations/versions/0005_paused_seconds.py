"""Revision 0005: the seconds a run spent paused, so durations and rates count working time."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("automation_runs") as batch:
        batch.add_column(
            sa.Column("paused_seconds", sa.Double(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("automation_runs") as batch:
        batch.drop_column("paused_seconds")
