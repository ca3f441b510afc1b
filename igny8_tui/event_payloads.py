"""The events igny8 sends (webhooks, notifications): their types and the `data` of each, as
pydantic models. The JSON schemas shipped in `igny8_tui/data/event_schemas/` are made from them
(`python scripts/event_schemas.py`)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

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
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


# When each event is sent: the description of its schema (and the README's table).
EVENT_DESCRIPTIONS: dict[EventType, str] = {
    "run.started": "A run was created (by the operator, a schedule or `igny8 run`).",
    "run.paused": "A run paused: asked to, or for something the operator must fix (credits, "
    "a full disk, a refused API key); `pause_reason` and `pause_cause` say which.",
    "run.resumed": "A paused run was resumed.",
    "run.completed": "A run went through every stage; `stage_results` holds each stage's "
    "result and `published` the articles published.",
    "run.failed": "A run ended failed; `error_message` says why.",
    "run.cancelled": "A run was cancelled (what was done stays done).",
    "content.published": "An article was published, with its HTML and its images.",
    "credits.low": (
        "A run paused because the balance is below what its next item needs, or a run"
        " completed leaving work the balance would not start (below the next run's estimate)."
    ),
    "webhook.test": "Sent to one endpoint by `igny8 webhook test`.",
}
SCHEMA_DIR = Path(__file__).parent / "data" / "event_schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


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


def event_schemas() -> dict[EventType, dict[str, Any]]:
    """The JSON Schema of each event's body: the envelope, with the `data` of its model."""
    schemas: dict[EventType, dict[str, Any]] = {}
    for event_type in EVENT_TYPES:
        data = DATA_MODELS[event_type].model_json_schema()
        # `$ref`s point at `#/$defs/...`: the definitions belong at the document's root.
        defs = data.pop("$defs", None)
        schemas[event_type] = {
            "$schema": JSON_SCHEMA_DIALECT,
            "title": f"igny8 event {event_type}",
            "description": EVENT_DESCRIPTIONS[event_type],
            "type": "object",
            "properties": {
                "type": {"const": event_type},
                "timestamp": {"type": "string", "format": "date-time"},
                "data": data,
            },
            "required": ["type", "timestamp", "data"],
            "additionalProperties": False,
            **({"$defs": defs} if defs else {}),
        }
    return schemas


def event_schema_files() -> dict[str, str]:
    """The files of `SCHEMA_DIR` by name (`<type>.json` and `index.json`), as written."""
    schemas = event_schemas()
    index = {
        "events": [
            {"type": t, "schema": f"{t}.json", "description": s["description"]}
            for t, s in schemas.items()
        ]
    }
    documents: dict[str, Any] = {f"{t}.json": s for t, s in schemas.items()}
    documents["index.json"] = index
    return {
        name: json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for name, document in documents.items()
    }
