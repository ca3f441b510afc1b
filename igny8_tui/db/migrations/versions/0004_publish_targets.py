"""Revision 0004: each site's publish target, and the remote ids of what was published there."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "publish_targets",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("folder_dir", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("username", sa.String(length=200), nullable=True),
        sa.Column("post_status", sa.String(length=10), nullable=False),
        sa.Column("drip_minutes", sa.Integer(), nullable=False),
        sa.Column("category_from_cluster", sa.Boolean(), nullable=False),
        sa.Column("tags_from_keywords", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("site_id"),
    )
    with op.batch_alter_table("contents") as batch:
        batch.add_column(sa.Column("publish_target", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("remote_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("remote_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("remote_status", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("scheduled_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("remote_media_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("remote_url", sa.Text(), nullable=True))
    # Everything published before this revision went to the folder.
    op.execute("UPDATE contents SET publish_target = 'folder' WHERE status = 'published'")


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_column("remote_url")
        batch.drop_column("remote_media_id")
    with op.batch_alter_table("contents") as batch:
        for column in ("scheduled_at", "remote_status", "remote_url", "remote_id"):
            batch.drop_column(column)
        batch.drop_column("publish_target")
    op.drop_table("publish_targets")
