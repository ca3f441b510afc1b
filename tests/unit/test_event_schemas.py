"""The JSON schemas shipped for the events: made from the pydantic models (regenerate them with
`python scripts/event_schemas.py`), and true of the bodies igny8 really sends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from igny8_tui.event_payloads import (
    DATA_MODELS,
    EVENT_TYPES,
    SCHEMA_DIR,
    ContentPublishedData,
    CreditsLowData,
    EventData,
    EventType,
    PublishedImage,
    RunEventData,
    WebhookTestData,
    envelope,
    event_schema_files,
    event_schemas,
)

STARTED = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)
RUN = {
    "site_id": 1,
    "site_name": "green-thumb",
    "run_id": 4,
    "status": "running",
    "trigger_type": "manual",
    "current_stage": 1,
    "started_at": STARTED,
    "total_credits_used": 0.0,
    "duration_seconds": 0.0,
}
SITE = {"site_id": 1, "site_name": "green-thumb", "run_id": 4}
IMAGE = PublishedImage(role="featured", position=0, alt="a raised bed", location=None)

# One body's data per event type, with the optional fields each type fills in.
SAMPLES: dict[EventType, EventData] = {
    "run.started": RunEventData(**RUN),
    "run.paused": RunEventData(
        **RUN | {"status": "paused"}, pause_reason="insufficient credits", pause_cause="credits"
    ),
    "run.resumed": RunEventData(**RUN),
    "run.completed": RunEventData(
        **RUN | {"status": "completed", "current_stage": 7},
        stage_results={"1": {"keywords_processed": 150}, "7": {"published": 36}},
        published=36,
    ),
    "run.failed": RunEventData(**RUN | {"status": "failed"}, error_message="the disk is full"),
    "run.cancelled": RunEventData(**RUN | {"status": "cancelled"}),
    "content.published": ContentPublishedData(
        **SITE,
        content_id=12,
        title="Soil mixes",
        slug="soil-mixes",
        target="folder",
        location="/srv/published/green-thumb/soil-mixes/index.md",
        html="<p>Loam, compost and grit.</p>",
        images=[IMAGE, IMAGE.model_copy(update={"role": "in_article", "location": "img-1.png"})],
    ),
    "credits.low": CreditsLowData(**SITE, balance=3.5, required_credits=15.0),
    "webhook.test": WebhookTestData(endpoint_id=2, message="a test event from igny8"),
}


def _bodies() -> list[tuple[EventType, dict[str, Any]]]:
    return [(t, envelope(t, datetime.now(UTC), SAMPLES[t])) for t in EVENT_TYPES]


def test_the_shipped_schema_files_are_what_the_models_make() -> None:
    expected = event_schema_files()
    shipped = {path.name: path.read_text(encoding="utf-8") for path in SCHEMA_DIR.glob("*.json")}
    assert sorted(shipped) == sorted(expected), "run: python scripts/event_schemas.py"
    for name, text in expected.items():
        assert shipped[name] == text, f"{name} is stale; run: python scripts/event_schemas.py"


def test_every_event_type_has_a_schema_and_a_sample() -> None:
    assert set(event_schemas()) == set(EVENT_TYPES) == set(DATA_MODELS) == set(SAMPLES)


@pytest.mark.parametrize(("event_type", "body"), _bodies(), ids=list(EVENT_TYPES))
def test_a_body_igny8_sends_has_what_its_schema_requires(
    event_type: EventType, body: dict[str, Any]
) -> None:
    schema = event_schemas()[event_type]
    assert set(body) == set(schema["required"]) == set(schema["properties"])
    assert body["type"] == schema["properties"]["type"]["const"]
    assert datetime.fromisoformat(body["timestamp"]).utcoffset() is not None
    data_schema = schema["properties"]["data"]
    assert set(data_schema["required"]) <= set(body["data"]) <= set(data_schema["properties"])
    # The data read back through its model is the data sent.
    assert DATA_MODELS[event_type].model_validate(body["data"]) == SAMPLES[event_type]


@pytest.mark.parametrize(("event_type", "body"), _bodies(), ids=list(EVENT_TYPES))
def test_a_body_igny8_sends_validates_against_its_schema(
    event_type: EventType, body: dict[str, Any]
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = event_schemas()[event_type]
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(body)
    wrong_type = body | {"type": "run.unknown"}
    assert not validator.is_valid(wrong_type)
    assert not validator.is_valid(body | {"data": body["data"] | {"surprise": 1}})
