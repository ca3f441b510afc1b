"""Pydantic models at the service boundary: config, stage results, the operations' payloads."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from igny8_tui.constants import MAX_SITE_DOMAIN_CHARS, MAX_SITE_NAME_CHARS
from igny8_tui.errors import first_validation_error
from igny8_tui.printable import VisibleStr

Frequency = Literal["daily", "weekly", "monthly"]
RunStatus = Literal["running", "paused", "cancelled", "completed", "failed"]
# A run in one of these holds its site's lock (one active run per site).
ACTIVE_RUN_STATUSES: tuple[RunStatus, ...] = ("running", "paused")
TriggerType = Literal["manual", "scheduled"]
ControlRequest = Literal["pause", "cancel"]
# Why a run paused. `requested`: an operator or a stopping host asked, and a resume continues
# it. The others need the operator to fix something first (add credits, free disk space or fix
# permissions, fix the API key or model), so `igny8 run` exits on them instead of waiting.
PauseCause = Literal["requested", "credits", "environment", "credentials", "configuration"]
CAUSES_NEEDING_THE_OPERATOR: frozenset[PauseCause] = frozenset(
    {"credits", "environment", "credentials", "configuration"}
)
HostState = Literal["hosted", "stuck", "waiting"]
# A host as the hosts view shows it: holding runs now, serving with none, stopped cleanly, or
# gone (silent for a few lease TTLs, or its process died, without a clean stop).
HostActivity = Literal["holding", "idle", "stopped", "gone"]
StageState = Literal["waiting", "active", "paused", "completed", "skipped", "failed", "cancelled"]
LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR"]
LOG_LEVELS: tuple[LogLevel, ...] = ("DEBUG", "INFO", "WARN", "ERROR")

MAX_BATCH_SIZE = 1000
MAX_DELAY_S = 3600


class RunOutcome(enum.Enum):
    """How executing a run on a host ended."""

    COMPLETED = "completed"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FAILED = "failed"
    RELEASED = "released"  # this host stopped; the run stays running for another host
    LOST = "lost"  # another host took the lease over
    STALLED = "stalled"  # this host could not write to the database; the run awaits recovery


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----- config -----


class ConfigUpdate(_Payload):
    """Fields an operator may change; every one is optional and validated."""

    enabled: bool | None = None
    frequency: Frequency | None = None
    scheduled_time: time | None = None
    timezone: str | None = None
    stage_1_batch_size: int | None = Field(default=None, ge=1, le=MAX_BATCH_SIZE)
    stage_2_batch_size: int | None = Field(default=None, ge=1, le=MAX_BATCH_SIZE)
    stage_3_batch_size: int | None = Field(default=None, ge=1, le=MAX_BATCH_SIZE)
    stage_4_batch_size: int | None = Field(default=None, ge=1, le=MAX_BATCH_SIZE)
    stage_5_batch_size: int | None = Field(default=None, ge=1, le=MAX_BATCH_SIZE)
    stage_6_batch_size: int | None = Field(default=None, ge=1, le=MAX_BATCH_SIZE)
    within_stage_delay: int | None = Field(default=None, ge=0, le=MAX_DELAY_S)
    between_stage_delay: int | None = Field(default=None, ge=0, le=MAX_DELAY_S)
    skip_stage_1: bool | None = None
    skip_stage_2: bool | None = None
    skip_stage_3: bool | None = None
    skip_stage_4: bool | None = None
    skip_stage_5: bool | None = None
    skip_stage_6: bool | None = None
    skip_stage_7: bool | None = None

    @field_validator("scheduled_time")
    @classmethod
    def _whole_minutes(cls, value: time | None) -> time | None:
        if value is not None and (value.second or value.microsecond or value.tzinfo):
            raise ValueError("use HH:MM, without seconds or a time zone")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value or None


def describe_config_error(exc: ValidationError, values: Mapping[str, str]) -> str:
    """The first problem of a config update, in one line: `field=value: message`."""
    field, message = first_validation_error(exc)
    if exc.errors()[0]["type"] == "extra_forbidden":
        known = ", ".join(ConfigUpdate.model_fields)
        return f"{field}: unknown setting (known: {known})"
    return f"{field}={values.get(field, '')}: {message}"


class ConfigPayload(_Payload):
    site_id: int
    enabled: bool
    frequency: Frequency
    scheduled_time: str
    timezone: str | None
    stage_1_batch_size: int
    stage_2_batch_size: int
    stage_3_batch_size: int
    stage_4_batch_size: int
    stage_5_batch_size: int
    stage_6_batch_size: int
    within_stage_delay: int
    between_stage_delay: int
    skip_stage_1: bool
    skip_stage_2: bool
    skip_stage_3: bool
    skip_stage_4: bool
    skip_stage_5: bool
    skip_stage_6: bool
    skip_stage_7: bool
    last_run_at: datetime | None
    next_run_at: datetime | None


# ----- stage results (stored as JSON on the run, the spec's fields plus ours) -----


class StageResult(_Payload):
    status: StageState = "active"
    skipped: bool = False
    skip_reason: str | None = None
    partial: bool = False
    input_count: int = 0
    items_failed: int = 0
    batches_run: int = 0
    # The stage's batch count as of the latest batch's start, as its log line said it.
    batches_planned: int = 0
    batch_items_done: int = 0
    credits_used: float = 0
    time_elapsed: float = 0
    errors: list[str] = Field(default_factory=list)

    # The counter of items processed, and what the stage made: (counter, noun) pairs.
    PROCESSED_FIELD: ClassVar[str]
    MADE: ClassVar[tuple[tuple[str, str], ...]]

    @property
    def processed_count(self) -> int:
        return int(getattr(self, self.PROCESSED_FIELD))

    def made(self) -> list[tuple[int, str]]:
        """What the stage made, e.g. [(36, "articles"), (54000, "words")]."""
        return [(int(getattr(self, counter)), noun) for counter, noun in self.MADE]


# ----- operation payloads -----


class RunSummary(_Payload):
    run_id: int
    site_id: int
    trigger_type: TriggerType
    status: RunStatus
    current_stage: int
    started_at: datetime
    paused_at: datetime | None
    resumed_at: datetime | None
    cancelled_at: datetime | None
    completed_at: datetime | None
    # Time at work: paused time is not counted (paused_seconds holds the pauses that ended).
    duration_seconds: float
    paused_seconds: float = 0
    total_credits_used: float
    items_processed: int
    error_message: str | None
    pause_reason: str | None
    pause_cause: PauseCause | None
    control_request: ControlRequest | None
    host: str | None
    heartbeat_at: datetime | None
    host_state: HostState | None
    seconds_since_heartbeat: float | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES


class RunNowResult(_Payload):
    run_id: int
    status: RunStatus
    estimated_credits: float
    balance: float


class HostedHere(_Payload):
    """The run a process is about to host itself: new (with its estimate), or adopted."""

    run_id: int
    adopted: bool
    estimated_credits: float | None


class StageOverview(_Payload):
    number: int
    name: str
    pending: int
    skip: bool


class PipelineOverview(_Payload):
    site_id: int
    stages: list[StageOverview]


class CurrentProcessing(_Payload):
    run_id: int
    status: RunStatus
    stage: int
    stage_name: str
    current_items: list[str]
    batch_number: int
    batch_count: int
    processed_in_stage: int
    input_in_stage: int
    items_per_minute: float
    up_next: list[str]
    pause_reason: str | None


class RunInfo(_Payload):
    run_id: int
    status: RunStatus
    current_stage: int


class GlobalProgress(_Payload):
    total_items: int
    completed_items: int
    percentage: int


class StageProgress(_Payload):
    number: int
    name: str
    status: StageState
    input_count: int
    processed_count: int
    credits_used: float
    time_elapsed: float
    skip_reason: str | None
    result: dict[str, Any] | None


class RunMetrics(_Payload):
    credits_used: float
    duration_seconds: float


class Reforecast(_Payload):
    """What the rest of a run (stages 2-7) needs once stage 1 has made its real clusters, and
    whether the balance covers it; `pause_stage` is where the credits would run out."""

    rest_credits: float
    required_credits: float
    balance: float
    pause_stage: int | None
    warning: str | None


class RunProgress(_Payload):
    run: RunInfo
    global_progress: GlobalProgress
    stages: list[StageProgress]
    metrics: RunMetrics
    initial_snapshot: dict[str, int]
    # Set after stage 1 when the balance will not cover the rest of the run (with the numbers).
    forecast_warning: str | None = None


class LogEntry(_Payload):
    id: int
    run_id: int | None
    stage: int | None
    created_at: datetime
    level: LogLevel
    message: str


class LogEvent(_Payload):
    """A log line as it is written, for an in-process listener (a host's own log)."""

    site_id: int
    run_id: int | None
    stage: int | None
    level: LogLevel
    message: str
    created_at: datetime


# Stage 1's forecast: a dry run of the offline clusterer, the site's runs, or the default model.
ClustersBasis = Literal["dry run", "history", "model"]


class StageEstimate(_Payload):
    number: int
    name: str
    items: int
    credits: float


class Estimate(_Payload):
    site_id: int
    stages: list[StageEstimate]
    total_credits: float
    buffer_multiplier: float
    required_credits: float
    balance: float
    sufficient: bool
    basis: Literal["defaults", "history"]
    clusters_basis: ClustersBasis


class NewSite(_Payload):
    """A site as the operator names it: a name and a domain that fit their columns, with no
    control characters; a name of digits only would read as a site id."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: VisibleStr = Field(min_length=1, max_length=MAX_SITE_NAME_CHARS)
    domain: VisibleStr | None = Field(default=None, max_length=MAX_SITE_DOMAIN_CHARS)

    @field_validator("name")
    @classmethod
    def _not_an_id(cls, value: str) -> str:
        if value.isdigit():
            raise PydanticCustomError(
                "digits_only", "digits only would read as a site id; give it a letter"
            )
        return value


class SiteInfo(BaseModel):
    id: int
    name: str
    slug: str
    domain: str | None
    keywords: int = 0


class SiteState(_Payload):
    """A site as the site picker lists it: its active run (if any) and its queues."""

    site: SiteInfo
    run: RunSummary | None
    # The site's latest run when none is active: how its last run ended.
    last_run: RunSummary | None = None
    overview: PipelineOverview
    target: str = "folder"  # where it publishes: `folder`, or `WordPress <host>`


class DashboardSnapshot(_Payload):
    """Everything the main screen shows, read in one transaction, so one frame is one moment.

    `run` is the site's active run, else its latest; `new_logs` are that run's log lines after
    the last one the screen has (all of them from the start when the shown run changed)."""

    site: SiteInfo
    site_number: int
    site_count: int
    balance: float
    run: RunSummary | None
    progress: RunProgress | None
    processing: CurrentProcessing | None
    overview: PipelineOverview
    log_run_id: int | None
    new_logs: list[LogEntry]
    # Where the site's articles go: a folder's absolute path, or a WordPress site's address.
    published_to: str = ""
    # Webhook endpoints of this site (or of every site) that igny8 stopped sending to, and why.
    disabled_webhooks: list[str] = []

    @property
    def active(self) -> bool:
        return self.run is not None and self.run.active


class HeldLease(_Payload):
    """A run whose lease names a host now: how fresh its heartbeat is, when the lease runs out,
    and, once it is stuck, how and when another host recovers it."""

    run_id: int
    site_id: int
    site_name: str
    status: RunStatus
    token: int
    heartbeat_at: datetime | None
    seconds_since_heartbeat: float | None
    # Negative once the lease has run out (that many seconds ago).
    seconds_until_expiry: float | None
    stuck: bool
    recovery: str | None


class HostView(_Payload):
    """A process that executes runs (the dashboard, `igny8 daemon`, `igny8 run`), as
    `igny8 hosts` and the hosts view show it. `seconds_since_seen`: its own heartbeat or a
    lease heartbeat, whichever is newer."""

    name: str
    role: str
    machine: str
    pid: int | None
    state: HostActivity
    started_at: datetime | None
    seen_at: datetime | None
    seconds_since_seen: float | None
    stopped_at: datetime | None
    runs_claimed: int
    last_run_id: int | None
    last_token: int | None
    last_claimed_at: datetime | None
    leases: list[HeldLease]

    @property
    def stuck(self) -> list[HeldLease]:
        return [lease for lease in self.leases if lease.stuck]


# ----- the workspace: credits, sites, keywords, listings -----


class ImportReport(BaseModel):
    site: str
    rows: int
    added: int
    merged: int


class KeywordListing(BaseModel):
    keyword: str
    volume: int
    difficulty: int | None
    intent: str | None
    status: str
    cluster: str | None


class ClusterListing(BaseModel):
    id: int
    name: str
    keywords: int
    status: str


class ContentListing(BaseModel):
    id: int
    title: str
    words: int
    status: str
    published_path: str | None
    # The workbench's columns (issue 11): the cluster, the images made and expected, and where
    # the article is: an absolute path, or the post's URL on a WordPress target.
    cluster: str | None = None
    images_made: int = 0
    images_expected: int = 0
    location: str | None = None
    # "article", or "task" for a task whose article failed (status failed): it has no article
    # yet, so its id is the task's (`igny8 retry --stage 4 --item ID`).
    kind: Literal["article", "task"] = "article"


CONTENT_STATUSES = ("draft", "review", "published", "failed")


class ItemFailure(_Payload):
    """Something of an article that failed: its task, or one of its images, with the reason."""

    stage: int
    item_id: int
    what: str  # e.g. "task 12", "featured image 0"
    reason: str


class ArticleImageDetail(_Payload):
    id: int
    kind: str
    position: int
    status: str  # pending, generated, failed
    prompt: str
    file_path: str | None
    remote_url: str | None
    error: str | None


class ArticleDetail(_Payload):
    """One article, as `igny8 content show` and the items screen's detail show it."""

    id: int
    site_id: int
    title: str
    slug: str
    status: str
    cluster: str | None
    keywords: list[str]
    words: int
    meta_title: str
    meta_description: str
    location: str | None
    published_at: datetime | None
    images: list[ArticleImageDetail]
    failures: list[ItemFailure]
    markdown: str  # the article's body as Markdown, as the folder target writes it


class RetryReport(_Payload):
    """`igny8 retry`: what was put back in its queue."""

    site_id: int
    stage: int | None
    item_id: int | None
    retried: list[ItemFailure]


class CreditsReport(BaseModel):
    account: str
    balance: float
    ledger_sum: float


# ----- publish targets -----

PublishKind = Literal["folder", "wordpress", "webhook"]
PostStatus = Literal["publish", "draft"]
MAX_DRIP_MINUTES = 7 * 24 * 60


class FolderTargetSettings(_Payload):
    """`igny8 publish set --site S folder [--dir PATH]`."""

    kind: Literal["folder"] = "folder"
    folder_dir: str | None = None  # an absolute path; None: <home>/published


class WordPressTargetSettings(_Payload):
    """`igny8 publish set --site S wordpress --url URL --user USER ...`; the application
    password travels apart from these, straight to the secrets file."""

    model_config = ConfigDict(str_strip_whitespace=True)

    kind: Literal["wordpress"] = "wordpress"
    url: VisibleStr = Field(min_length=1, max_length=500)
    user: VisibleStr = Field(min_length=1, max_length=200)
    status: PostStatus = "publish"
    drip_minutes: int = Field(default=0, ge=0, le=MAX_DRIP_MINUTES)
    category_from_cluster: bool = True
    tags_from_keywords: bool = True

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PydanticCustomError(
                "not_a_site", "give the site's address, e.g. https://example.com"
            )
        if parts.username or parts.password:
            raise PydanticCustomError(
                "credentials_in_url",
                "keep the user and password out of the address (--user, and the password "
                "from $IGNY8_WP_APP_PASSWORD or --password-stdin)",
            )
        if parts.query or parts.fragment:
            raise PydanticCustomError("query_in_url", "give the site's address without ? or #")
        return value.rstrip("/")


class PublishTargetInfo(_Payload):
    """Where a site publishes, as `igny8 publish show` and the dashboard show it: never the
    password, only whether one is stored."""

    site_id: int
    site_name: str
    kind: PublishKind
    folder: str | None
    url: str | None
    user: str | None
    status: PostStatus
    drip_minutes: int
    category_from_cluster: bool
    tags_from_keywords: bool
    password_stored: bool


class PublishCheck(_Payload):
    """`igny8 publish test`: the target answered as it must for stage 7 to publish there."""

    site_id: int
    kind: PublishKind
    where: str  # the folder, or the site's URL
    detail: str


# ----- events: webhooks and their deliveries -----


class WebhookInfo(_Payload):
    """A webhook endpoint as `igny8 webhook list` shows it (never its secret)."""

    id: int
    url: str
    site: str | None  # None: every site
    events: list[str]  # empty: every event
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None


class WebhookAdded(_Payload):
    """A new endpoint and its secret: shown this once, then only kept in the secrets file."""

    webhook: WebhookInfo
    secret: str


class DeliveryView(_Payload):
    """One event to one destination, with its attempts (`igny8 events`)."""

    id: int
    event_id: str
    type: str
    site: str | None
    run_id: int | None
    channel: str  # webhook | notify
    destination: str  # the endpoint's URL, or `notifications`
    status: str  # pending delivered failed disabled skipped
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
