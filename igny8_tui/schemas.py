"""Pydantic models at the service boundary: config, stage results, the operations' payloads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Frequency = Literal["daily", "weekly", "monthly"]
RunStatus = Literal["running", "paused", "cancelled", "completed", "failed"]
StageState = Literal["waiting", "active", "paused", "completed", "skipped", "failed", "cancelled"]
LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR"]
LOG_LEVELS: tuple[LogLevel, ...] = ("DEBUG", "INFO", "WARN", "ERROR")

STAGE_NAMES: dict[int, str] = {
    1: "Keywords → Clusters",
    2: "Clusters → Ideas",
    3: "Ideas → Tasks",
    4: "Tasks → Content",
    5: "Content → Image Prompts",
    6: "Image Prompts → Images",
    7: "Review → Published",
}
STAGES = tuple(STAGE_NAMES)
BATCHED_STAGES = (1, 2, 3, 4, 5, 6)
MAX_BATCH_SIZE = 1000
MAX_DELAY_S = 3600


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
    err = exc.errors()[0]
    field = ".".join(str(part) for part in err["loc"])
    if err["type"] == "extra_forbidden":
        known = ", ".join(ConfigUpdate.model_fields)
        return f"{field}: unknown setting (known: {known})"
    return f"{field}={values.get(field, '')}: {err['msg']}"


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
    batch_items_done: int = 0
    credits_used: float = 0
    time_elapsed: float = 0
    errors: list[str] = Field(default_factory=list)

    PROCESSED_FIELD: ClassVar[str]

    @property
    def processed_count(self) -> int:
        return int(getattr(self, self.PROCESSED_FIELD))


class Stage1Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "keywords_processed"
    keywords_processed: int = 0
    clusters_created: int = 0


class Stage2Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "clusters_processed"
    clusters_processed: int = 0
    ideas_created: int = 0


class Stage3Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "ideas_processed"
    ideas_processed: int = 0
    tasks_created: int = 0


class Stage4Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "tasks_processed"
    tasks_processed: int = 0
    content_created: int = 0
    total_words: int = 0


class Stage5Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "content_processed"
    content_processed: int = 0
    prompts_created: int = 0


class Stage6Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "images_processed"
    images_processed: int = 0
    images_generated: int = 0


class Stage7Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "ready_for_review"
    ready_for_review: int = 0
    published: int = 0


STAGE_RESULT_MODELS: dict[int, type[StageResult]] = {
    1: Stage1Result,
    2: Stage2Result,
    3: Stage3Result,
    4: Stage4Result,
    5: Stage5Result,
    6: Stage6Result,
    7: Stage7Result,
}


def parse_stage_result(stage: int, data: dict[str, Any] | None) -> StageResult | None:
    return None if data is None else STAGE_RESULT_MODELS[stage].model_validate(data)


# ----- operation payloads -----


class RunSummary(_Payload):
    run_id: int
    site_id: int
    trigger_type: Literal["manual", "scheduled"]
    status: RunStatus
    current_stage: int
    started_at: datetime
    paused_at: datetime | None
    resumed_at: datetime | None
    cancelled_at: datetime | None
    completed_at: datetime | None
    duration_seconds: float
    total_credits_used: float
    items_processed: int
    error_message: str | None
    pause_reason: str | None
    control_request: Literal["pause", "cancel"] | None
    host: str | None
    heartbeat_at: datetime | None
    host_state: Literal["hosted", "stuck", "waiting"] | None
    seconds_since_heartbeat: float | None


class RunNowResult(_Payload):
    run_id: int
    status: RunStatus
    estimated_credits: float
    balance: float


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


class RunProgress(_Payload):
    run: RunInfo
    global_progress: GlobalProgress
    stages: list[StageProgress]
    metrics: RunMetrics
    initial_snapshot: dict[str, int]


class LogEntry(_Payload):
    id: int
    run_id: int | None
    stage: int | None
    created_at: datetime
    level: LogLevel
    message: str


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
