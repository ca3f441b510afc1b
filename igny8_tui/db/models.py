"""SQLAlchemy 2 models: accounts, sites, the planner/writer entities, runs, hosts, log and
ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no time zone."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    balance_milli: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    domain: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PublishTargetConfig(Base):
    """Where a site publishes (revision 0004); no row means the default folder. The WordPress
    application password is never here: it lives in the secrets file (publish/secrets.py)."""

    __tablename__ = "publish_targets"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # folder | wordpress
    folder_dir: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    username: Mapped[str | None] = mapped_column(String(200))
    post_status: Mapped[str] = mapped_column(String(10), default="publish")
    drip_minutes: Mapped[int] = mapped_column(default=0)
    category_from_cluster: Mapped[bool] = mapped_column(default=True)
    tags_from_keywords: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AutomationConfig(Base):
    __tablename__ = "automation_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    frequency: Mapped[str] = mapped_column(String(10), default="daily")
    scheduled_time: Mapped[time] = mapped_column(Time, default=time(2, 0))
    timezone: Mapped[str | None] = mapped_column(String(64))
    stage_1_batch_size: Mapped[int] = mapped_column(default=50)
    stage_2_batch_size: Mapped[int] = mapped_column(default=10)
    stage_3_batch_size: Mapped[int] = mapped_column(default=10)
    stage_4_batch_size: Mapped[int] = mapped_column(default=6)
    stage_5_batch_size: Mapped[int] = mapped_column(default=10)
    stage_6_batch_size: Mapped[int] = mapped_column(default=10)
    within_stage_delay: Mapped[int] = mapped_column(default=0)
    between_stage_delay: Mapped[int] = mapped_column(default=0)
    skip_stage_1: Mapped[bool] = mapped_column(default=False)
    skip_stage_2: Mapped[bool] = mapped_column(default=False)
    skip_stage_3: Mapped[bool] = mapped_column(default=False)
    skip_stage_4: Mapped[bool] = mapped_column(default=False)
    skip_stage_5: Mapped[bool] = mapped_column(default=False)
    skip_stage_6: Mapped[bool] = mapped_column(default=False)
    skip_stage_7: Mapped[bool] = mapped_column(default=False)
    # Weekly runs fall on this date's weekday, monthly ones on its day of the month.
    schedule_anchor: Mapped[date | None]
    last_run_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AutomationRun(Base):
    __tablename__ = "automation_runs"
    __table_args__ = (
        # The site lock: at most one running or paused run per site, whatever the process.
        Index(
            "uq_automation_runs_one_active_per_site",
            "site_id",
            unique=True,
            sqlite_where=text("status IN ('running', 'paused')"),
            postgresql_where=text("status IN ('running', 'paused')"),
        ),
        Index("ix_automation_runs_site_started", "site_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("automation_configs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    trigger_type: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), index=True)
    current_stage: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    paused_at: Mapped[datetime | None]
    resumed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    total_credits_used_milli: Mapped[int] = mapped_column(default=0)
    initial_snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stage_1_result: Mapped[dict[str, Any] | None]
    stage_2_result: Mapped[dict[str, Any] | None]
    stage_3_result: Mapped[dict[str, Any] | None]
    stage_4_result: Mapped[dict[str, Any] | None]
    stage_5_result: Mapped[dict[str, Any] | None]
    stage_6_result: Mapped[dict[str, Any] | None]
    stage_7_result: Mapped[dict[str, Any] | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    pause_reason: Mapped[str | None] = mapped_column(String(500))
    control_request: Mapped[str | None] = mapped_column(String(10))
    control_requested_by: Mapped[str | None] = mapped_column(String(200))
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_token: Mapped[int] = mapped_column(default=0)
    lease_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    heartbeat_at: Mapped[datetime | None]
    # Revision 0003 added it; last, where ALTER TABLE puts it, so fresh and upgraded agree.
    pause_cause: Mapped[str | None] = mapped_column(String(20))
    # Revision 0005: time spent in pauses that have ended (the pause in hand runs from paused_at).
    paused_seconds: Mapped[float] = mapped_column(default=0.0, server_default="0")

    def stage_result(self, stage: int) -> dict[str, Any] | None:
        result: dict[str, Any] | None = getattr(self, f"stage_{stage}_result")
        return result


class Host(Base):
    """A process that executes runs (revision 0006): the dashboard, `igny8 daemon` or `igny8 run`.
    The run's lease says who holds it now; this row remembers the host itself: when it started,
    its own heartbeat, a clean stop, and the last run it claimed."""

    __tablename__ = "hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # its `host_identity`
    role: Mapped[str] = mapped_column(String(40))
    machine: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int | None]
    # The host's own lease TTL: its heartbeat interval, and how long its silence may last.
    lease_ttl_s: Mapped[float]
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime] = mapped_column(index=True)
    stopped_at: Mapped[datetime | None]
    runs_claimed: Mapped[int] = mapped_column(default=0)
    last_run_id: Mapped[int | None]
    last_token: Mapped[int | None]
    last_claimed_at: Mapped[datetime | None]


class WebhookEndpoint(Base):
    """Where events are sent, signed (revision 0007). Its secret is never here: it lives in the
    data directory's 0600 secrets file, by endpoint id."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))  # None: every site
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column(default=list)  # empty: every event type
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    failing_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """The outbox (revision 0007): an event, written in the transaction of the change it tells
    of. `event_id` is the webhook-id every attempt of every delivery carries."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One event to one destination (a webhook endpoint, or the site's notifications), with its
    attempts. A host claims an attempt as it claims a run, so no two hosts send the same one."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # webhook | notify
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_endpoints.id"))
    status: Mapped[str] = mapped_column(String(10))  # pending delivered failed disabled skipped
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_expires_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None]
    # Notifications: the (hashed) notify URLs already sent to, so a retry sends only the rest.
    sent_to: Mapped[list[Any]] = mapped_column(default=list)


class Keyword(Base):
    __tablename__ = "keywords"
    __table_args__ = (
        UniqueConstraint("site_id", "text_norm"),
        Index("ix_keywords_queue", "site_id", "status", "volume", "text_norm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    text: Mapped[str] = mapped_column(String(300))
    text_norm: Mapped[str] = mapped_column(String(300))
    volume: Mapped[int] = mapped_column(default=0)
    difficulty: Mapped[int | None]
    intent: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="new")
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cluster(Base):
    __tablename__ = "clusters"
    __table_args__ = (Index("ix_clusters_queue", "site_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="new")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("automation_runs.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentIdea(Base):
    __tablename__ = "content_ideas"
    __table_args__ = (Index("ix_content_ideas_queue", "site_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    outline: Mapped[list[Any]]
    content_type: Mapped[str] = mapped_column(String(40))
    content_structure: Mapped[str] = mapped_column(String(40))
    target_keywords: Mapped[list[Any]]
    target_word_count: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="new")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_queue", "site_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("content_ideas.id"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Content(Base):
    __tablename__ = "contents"
    __table_args__ = (Index("ix_contents_queue", "site_id", "status", "has_image_prompts", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text)
    meta_title: Mapped[str] = mapped_column(String(200))
    meta_description: Mapped[str] = mapped_column(String(400))
    word_count: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="draft")
    has_image_prompts: Mapped[bool] = mapped_column(default=False)
    published_path: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Revision 0004: where it was published (folder or wordpress) and, on a remote target, the
    # post's id, URL and status there, and when a drip-published post goes live.
    publish_target: Mapped[str | None] = mapped_column(String(20))
    remote_id: Mapped[int | None]
    remote_url: Mapped[str | None] = mapped_column(Text)
    remote_status: Mapped[str | None] = mapped_column(String(10))
    scheduled_at: Mapped[datetime | None]


class Image(Base):
    __tablename__ = "images"
    __table_args__ = (
        UniqueConstraint("content_id", "position"),
        Index("ix_images_queue", "site_id", "status", "id"),
        Index("ix_images_content_status", "content_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id"))
    kind: Mapped[str] = mapped_column(String(12))
    position: Mapped[int]
    prompt: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    file_path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Revision 0004: the media item it became on a remote target.
    remote_media_id: Mapped[int | None]
    remote_url: Mapped[str | None] = mapped_column(Text)


class ActivityLog(Base):
    __tablename__ = "activity_log"
    __table_args__ = (
        Index("ix_activity_log_run", "run_id", "id"),
        Index("ix_activity_log_site", "site_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("automation_runs.id"))
    stage: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    level: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text)


class CreditLedger(Base):
    __tablename__ = "credit_ledger"
    __table_args__ = (
        # Exactly-once charging: one row per (run, stage, item), whatever retries or crashes.
        UniqueConstraint("run_id", "stage", "item_key"),
        Index("ix_credit_ledger_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("automation_runs.id"))
    stage: Mapped[int | None]
    item_key: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    amount_milli: Mapped[int]
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
