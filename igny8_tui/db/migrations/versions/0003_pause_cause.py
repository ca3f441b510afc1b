"""Revision 0003: why a run paused (pause_cause), so a host knows if resume alone continues it."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("automation_runs") as batch:
        batch.add_column(sa.Column("pause_cause", sa.String(length=20), nullable=True))
    # Runs paused before this revision say why only in words: credits pauses were the ones
    # that needed the operator.
    op.execute(
        "UPDATE automation_runs SET pause_cause = CASE"
        " WHEN pause_reason LIKE 'insufficient credits%' THEN 'credits'"
        " ELSE 'requested' END WHERE status = 'paused'"
    )


def downgrade() -> None:
    with op.batch_alter_table("automation_runs") as batch:
        batch.drop_column("pause_cause")
