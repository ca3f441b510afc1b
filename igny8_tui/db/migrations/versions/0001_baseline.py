"""Baseline: the schema igny8 made with create_all before it had migrations (commit 078c3d8)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# models.UTCDateTime keeps naive UTC in a plain DateTime column: revisions name the plain type.


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("balance_milli", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index("ix_sites_account_id", "sites", ["account_id"])
    op.create_table(
        "automation_configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("scheduled_time", sa.Time(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("stage_1_batch_size", sa.Integer(), nullable=False),
        sa.Column("stage_2_batch_size", sa.Integer(), nullable=False),
        sa.Column("stage_3_batch_size", sa.Integer(), nullable=False),
        sa.Column("stage_4_batch_size", sa.Integer(), nullable=False),
        sa.Column("stage_5_batch_size", sa.Integer(), nullable=False),
        sa.Column("stage_6_batch_size", sa.Integer(), nullable=False),
        sa.Column("within_stage_delay", sa.Integer(), nullable=False),
        sa.Column("between_stage_delay", sa.Integer(), nullable=False),
        sa.Column("skip_stage_1", sa.Boolean(), nullable=False),
        sa.Column("skip_stage_2", sa.Boolean(), nullable=False),
        sa.Column("skip_stage_3", sa.Boolean(), nullable=False),
        sa.Column("skip_stage_4", sa.Boolean(), nullable=False),
        sa.Column("skip_stage_5", sa.Boolean(), nullable=False),
        sa.Column("skip_stage_6", sa.Boolean(), nullable=False),
        sa.Column("skip_stage_7", sa.Boolean(), nullable=False),
        sa.Column("schedule_anchor", sa.Date(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id"),
    )
    op.create_index("ix_automation_configs_account_id", "automation_configs", ["account_id"])
    op.create_index("ix_automation_configs_enabled", "automation_configs", ["enabled"])
    op.create_index("ix_automation_configs_next_run_at", "automation_configs", ["next_run_at"])
    op.create_table(
        "automation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("trigger_type", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("current_stage", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=True),
        sa.Column("resumed_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("total_credits_used_milli", sa.Integer(), nullable=False),
        sa.Column("initial_snapshot", sa.JSON(), nullable=False),
        sa.Column("stage_1_result", sa.JSON(), nullable=True),
        sa.Column("stage_2_result", sa.JSON(), nullable=True),
        sa.Column("stage_3_result", sa.JSON(), nullable=True),
        sa.Column("stage_4_result", sa.JSON(), nullable=True),
        sa.Column("stage_5_result", sa.JSON(), nullable=True),
        sa.Column("stage_6_result", sa.JSON(), nullable=True),
        sa.Column("stage_7_result", sa.JSON(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("pause_reason", sa.String(length=500), nullable=True),
        sa.Column("control_request", sa.String(length=10), nullable=True),
        sa.Column("control_requested_by", sa.String(length=200), nullable=True),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_token", sa.Integer(), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["config_id"], ["automation_configs.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_automation_runs_config_id", "automation_runs", ["config_id"])
    op.create_index("ix_automation_runs_lease_expires_at", "automation_runs", ["lease_expires_at"])
    op.create_index("ix_automation_runs_site_started", "automation_runs", ["site_id", "started_at"])
    op.create_index("ix_automation_runs_status", "automation_runs", ["status"])
    op.create_index(
        "uq_automation_runs_one_active_per_site",
        "automation_runs",
        ["site_id"],
        unique=True,
        sqlite_where=sa.text("status IN ('running', 'paused')"),
        postgresql_where=sa.text("status IN ('running', 'paused')"),
    )
    op.create_table(
        "activity_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["automation_runs.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_activity_log_run", "activity_log", ["run_id", "id"])
    op.create_index("ix_activity_log_site", "activity_log", ["site_id", "id"])
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["automation_runs.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_clusters_queue", "clusters", ["site_id", "status", "id"])
    op.create_table(
        "credit_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("item_key", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_milli", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["automation_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "stage", "item_key"),
    )
    op.create_index("ix_credit_ledger_account", "credit_ledger", ["account_id", "id"])
    op.create_table(
        "content_ideas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("outline", sa.JSON(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("content_structure", sa.String(length=40), nullable=False),
        sa.Column("target_keywords", sa.JSON(), nullable=False),
        sa.Column("target_word_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_content_ideas_cluster_id", "content_ideas", ["cluster_id"])
    op.create_index("ix_content_ideas_queue", "content_ideas", ["site_id", "status", "id"])
    op.create_table(
        "keywords",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("text_norm", sa.String(length=300), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=True),
        sa.Column("intent", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "text_norm"),
    )
    op.create_index("ix_keywords_cluster_id", "keywords", ["cluster_id"])
    op.create_index("ix_keywords_queue", "keywords", ["site_id", "status", "volume", "text_norm"])
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["content_ideas.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idea_id"),
    )
    op.create_index("ix_tasks_queue", "tasks", ["site_id", "status", "id"])
    op.create_table(
        "contents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("slug", sa.String(length=300), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("meta_title", sa.String(length=200), nullable=False),
        sa.Column("meta_description", sa.String(length=400), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("has_image_prompts", sa.Boolean(), nullable=False),
        sa.Column("published_path", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id"),
    )
    op.create_index(
        "ix_contents_queue",
        "contents",
        ["site_id", "status", "has_image_prompts", "id"],
    )
    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["contents.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_id", "position"),
    )
    op.create_index("ix_images_content_status", "images", ["content_id", "status"])
    op.create_index("ix_images_queue", "images", ["site_id", "status", "id"])


def downgrade() -> None:
    op.drop_table("images")
    op.drop_table("contents")
    op.drop_table("tasks")
    op.drop_table("keywords")
    op.drop_table("content_ideas")
    op.drop_table("credit_ledger")
    op.drop_table("clusters")
    op.drop_table("activity_log")
    op.drop_table("automation_runs")
    op.drop_table("automation_configs")
    op.drop_table("sites")
    op.drop_table("accounts")
