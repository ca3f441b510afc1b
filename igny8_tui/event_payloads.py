"""The events igny8 sends (webhooks, notifications): their types and the `data` of each, as
pydantic models. The JSON schemas shipped in `igny8_tui/data/event_schemas/` are made from them
(`python scripts/event_schemas.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

EventType = Literal[
    "run.started",
    "run.paused",
    "run.resumed",
    "run.completed",
    "run.failed",
    "run.cancelled",
    "content.published",
    "credits.low",
    "webhook.test",
]
EVENT_TYPES: tuple[EventType, ...] = (
    "run.started",
    "run.paused",
    "run.resumed",
    "run.completed",
    "run.failed",
    "run.cancelled",
    "content.published",
    "credits.low",
    "webhook.test",
)


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunEventData(EventData):
    """Every `run.*` event: the run as it stands after the change."""

    site_id: int
    site_name: str
    run_id: int
    status: str
    trigger_type: str
    current_stage: int
    started_at: datetime
    total_credits_used: float
    duration_seconds: float
    # run.paused
    pause_reason: str | None = None
    pause_cause: str | None = None
    # run.failed
    error_message: str | None = None
    # run.completed: each stage's result as the spec shapes it ("1".."7"), and what was published
    stage_results: dict[str, dict[str, Any]] | None = None
    published: int | None = None


class PublishedImage(EventData):
    role: str  # featured | in_article
    position: int
    alt: str
    location: str | None  # the image's URL on the target, or its file
    # The PNG itself, base64: only when the webhook is the site's publish target (the receiver
    # has no other way to the file).
    png_base64: str | None = None


class ContentPublishedData(EventData):
    site_id: int
    site_name: str
    run_id: int | None
    content_id: int
    title: str
    slug: str
    target: str  # `folder`, or `WordPress <host>`
    location: str | None  # the post's URL, or the published file's path
    html: str
    images: list[PublishedImage]


class CreditsLowData(EventData):
    site_id: int
    site_name: str
    run_id: int | None
    balance: float
    required_credits: float


class WebhookTestData(EventData):
    endpoint_id: int
    message: str


DATA_MODELS: dict[EventType, type[EventData]] = {
    "run.started": RunEventData,
    "run.paused": RunEventData,
    "run.resumed": RunEventData,
    "run.completed": RunEventData,
    "run.failed": RunEventData,
    "run.cancelled": RunEventData,
    "content.published": ContentPublishedData,
    "credits.low": CreditsLowData,
    "webhook.test": WebhookTestData,
}


def envelope(event_type: EventType, timestamp: datetime, data: EventData) -> dict[str, Any]:
    """The body every event is sent as (the Standard Webhooks shape): type, timestamp, data."""
    return {
        "type": event_type,
        "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
        "data": data.model_dump(mode="json"),
    }
