"""The event outbox: an event is written in the transaction of the change it tells of, with one
delivery per destination; hosts claim due deliveries an attempt at a time (as they claim runs),
send them outside any transaction, and record the outcome.

A crash can delay an event, never lose it: a claim whose host died runs out, and the next host
makes the next attempt with the same webhook-id."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from igny8_tui.automation import credits as credit_math
from igny8_tui.automation.host_names import holder_is_dead_here
from igny8_tui.automation.publish_targets import target_label
from igny8_tui.automation.working_time import working_seconds
from igny8_tui.db.models import (
    AutomationRun,
    Content,
    Delivery,
    Event,
    Image,
    PublishTargetConfig,
    Site,
    WebhookEndpoint,
    utcnow,
)
from igny8_tui.event_payloads import (
    ContentPublishedData,
    CreditsLowData,
    EventData,
    EventType,
    PublishedImage,
    RunEventData,
    WebhookTestData,
    envelope,
)
from igny8_tui.notify import NOTIFIED_EVENTS

# Seconds before each retry, after the first attempt (made at once): Svix's schedule.
RETRY_DELAYS_S = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(RETRY_DELAYS_S) + 1
RETRY_JITTER = 0.1  # each delay is stretched or shrunk by up to 10%
DISABLE_AFTER_FAILING_S = 5 * 24 * 3600
CLAIM_TTL_S = 60.0  # longer than a send may take (its timeout is 15 s)


# ----- writing events (in the caller's transaction) -----


def emit(
    session: Session,
    event_type: EventType,
    data: EventData,
    site_id: int | None,
    run_id: int | None = None,
    only_endpoint: int | None = None,
) -> Event:
    """Write the event and a pending delivery to each endpoint that wants it (and, for the
    events notified, one to the site's notification URLs)."""
    now = utcnow()
    event = Event(
        event_id=f"msg_{uuid.uuid4().hex}",
        type=event_type,
        site_id=site_id,
        run_id=run_id,
        payload=envelope(event_type, now, data),
        created_at=now,
    )
    session.add(event)
    session.flush()
    for endpoint in _endpoints_for(session, event_type, site_id, only_endpoint):
        session.add(_pending(event, "webhook", now, endpoint.id))
    # The events notified also go to the site's notification URLs (config.toml `notify_urls`);
    # a pause for credits is told once, as credits.low.
    paused_for_credits = isinstance(data, RunEventData) and data.pause_cause == "credits"
    if event_type in NOTIFIED_EVENTS and only_endpoint is None and not paused_for_credits:
        session.add(_pending(event, "notify", now, None))
    return event


def _pending(event: Event, channel: str, now: datetime, endpoint_id: int | None) -> Delivery:
    return Delivery(
        event_pk=event.id,
        channel=channel,
        endpoint_id=endpoint_id,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        sent_to=[],
    )


def _endpoints_for(
    session: Session, event_type: str, site_id: int | None, only: int | None
) -> list[WebhookEndpoint]:
    if only is not None:
        endpoint = session.get(WebhookEndpoint, only)
        return [endpoint] if endpoint is not None else []
    query = select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
    if site_id is not None:
        query = query.where(
            or_(WebhookEndpoint.site_id.is_(None), WebhookEndpoint.site_id == site_id)
        )
    return [e for e in session.scalars(query) if not e.events or event_type in e.events]


def site_name(session: Session, site_id: int) -> str:
    site = session.get(Site, site_id)
    return site.name if site is not None else str(site_id)


def run_event(session: Session, event_type: EventType, run: AutomationRun) -> None:
    """A `run.*` event for the run as it stands now."""
    data = RunEventData(
        site_id=run.site_id,
        site_name=site_name(session, run.site_id),
        run_id=run.id,
        status=run.status,
        trigger_type=run.trigger_type,
        current_stage=run.current_stage,
        started_at=run.started_at,
        total_credits_used=credit_math.from_milli(run.total_credits_used_milli),
        duration_seconds=round(working_seconds(run, utcnow()), 3),
    )
    if event_type == "run.paused":
        data.pause_reason, data.pause_cause = run.pause_reason, run.pause_cause
    if event_type == "run.failed":
        data.error_message = run.error_message
    if event_type == "run.completed":
        results = {
            str(number): dict(result)
            for number in range(1, 8)
            if (result := run.stage_result(number)) is not None
        }
        data.stage_results = results
        data.published = int((results.get("7") or {}).get("published", 0))
    emit(session, event_type, data, run.site_id, run.id)


def content_published(session: Session, content: Content, run_id: int | None) -> None:
    images = session.scalars(
        select(Image).where(Image.content_id == content.id).order_by(Image.position)
    )
    data = ContentPublishedData(
        site_id=content.site_id,
        site_name=site_name(session, content.site_id),
        run_id=run_id,
        content_id=content.id,
        title=content.title,
        slug=content.slug,
        target=target_label(session.get(PublishTargetConfig, content.site_id)),
        location=content.remote_url or content.published_path,
        html=content.html,
        images=[
            PublishedImage(
                role="featured" if image.kind == "featured" else "in_article",
                position=image.position,
                alt=image.prompt[:200],
                location=image.remote_url or image.file_path,
            )
            for image in images
            if image.status == "generated"
        ],
    )
    emit(session, "content.published", data, content.site_id, run_id)


def credits_low(
    session: Session, site_id: int, run_id: int | None, balance: float, required: float
) -> None:
    data = CreditsLowData(
        site_id=site_id,
        site_name=site_name(session, site_id),
        run_id=run_id,
        balance=balance,
        required_credits=required,
    )
    emit(session, "credits.low", data, site_id, run_id)


def webhook_test(session: Session, endpoint_id: int) -> Event:
    data = WebhookTestData(endpoint_id=endpoint_id, message="a test event from igny8")
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    site_id = endpoint.site_id if endpoint is not None else None
    return emit(session, "webhook.test", data, site_id, None, only_endpoint=endpoint_id)


# ----- claiming and recording attempts -----


@dataclass(frozen=True)
class Attempt:
    """A claimed attempt: what to send, and where."""

    delivery_id: int
    attempt: int
    channel: str
    endpoint_id: int | None
    url: str | None
    event_id: str
    event_type: str
    site_id: int | None
    body: dict[str, Any]
    sent_to: tuple[str, ...]


def due_ids(
    session: Session, now: datetime, run_id: int | None = None, limit: int = 20
) -> list[int]:
    """Due deliveries a host may claim: unclaimed, their claim run out, or held by a process
    that died here (those a live host is sending are left alone: claiming them would only be
    a refused write)."""
    query = (
        select(Delivery.id, Delivery.claimed_by, Delivery.claim_expires_at)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if run_id is not None:
        query = query.join(Event, Event.id == Delivery.event_pk).where(Event.run_id == run_id)
    return [
        row.id
        for row in session.execute(query)
        if row.claimed_by is None
        or (row.claim_expires_at is not None and row.claim_expires_at < now)
        or holder_is_dead_here(row.claimed_by)
    ]


def claim(
    session: Session, delivery_id: int, owner: str, ttl_s: float = CLAIM_TTL_S
) -> Attempt | None:
    """Take the next attempt of a due delivery: a compare-and-set, so of two hosts only one
    wins it. None when another host has it, it is no longer due, or its endpoint was turned
    off meanwhile (then it is marked so, unsent). `ttl_s` outlasts the longest send."""
    now = utcnow()
    free = or_(Delivery.claimed_by.is_(None), Delivery.claim_expires_at < now)
    holder = session.scalar(select(Delivery.claimed_by).where(Delivery.id == delivery_id))
    if holder and holder_is_dead_here(holder):
        # Its host died mid-send (kill -9): no need to wait out the claim. Still a
        # compare-and-set on that holder, so two hosts taking it over cannot both win.
        free = or_(free, Delivery.claimed_by == holder)
    attempt = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
            free,
        )
        .values(
            claimed_by=owner,
            claim_expires_at=now + timedelta(seconds=ttl_s),
            attempts=Delivery.attempts + 1,
            last_attempt_at=now,
        )
        .returning(Delivery.attempts)
    ).scalar_one_or_none()
    if attempt is None:
        return None
    delivery = session.get(Delivery, delivery_id, populate_existing=True)
    assert delivery is not None
    event = session.get(Event, delivery.event_pk)
    assert event is not None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
    if endpoint is not None and not endpoint.enabled:
        delivery.status, delivery.claimed_by, delivery.claim_expires_at = "disabled", None, None
        delivery.attempts -= 1  # nothing was sent
        return None
    return Attempt(
        delivery_id=delivery.id,
        attempt=attempt,
        channel=delivery.channel,
        endpoint_id=delivery.endpoint_id,
        url=endpoint.url if endpoint is not None else None,
        event_id=event.event_id,
        event_type=event.type,
        site_id=event.site_id,
        body=dict(event.payload),
        sent_to=tuple(str(key) for key in delivery.sent_to or []),
    )


@dataclass(frozen=True)
class Outcome:
    """What an attempt came to."""

    delivered: bool
    status_code: int | None = None
    error: str | None = None
    retry_after_s: float | None = None
    gone: bool = False  # 410: the receiver wants no more
    final: bool = False  # no retry can help (the endpoint's secret is gone): failed at once
    nothing_to_send: bool = False  # notifications: no URL configured for the site
    sent_to: tuple[str, ...] = ()


def record(session: Session, attempt: Attempt, outcome: Outcome, retry_scale: float) -> str:
    """The attempt's outcome on its delivery (and its endpoint); the delivery's new status."""
    now = utcnow()
    delivery = session.get(Delivery, attempt.delivery_id, populate_existing=True)
    if delivery is None or delivery.attempts != attempt.attempt:
        return "superseded"  # a redelivery or another host's later attempt took over
    delivery.claimed_by = delivery.claim_expires_at = None
    delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
    delivery.sent_to = sorted(set(delivery.sent_to or []) | set(outcome.sent_to))
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
    if outcome.nothing_to_send:
        delivery.status = "skipped"
    elif outcome.delivered:
        delivery.status, delivery.delivered_at = "delivered", now
        if endpoint is not None:
            endpoint.failing_since = None
    elif outcome.gone:
        delivery.status = "disabled"
        if endpoint is not None:
            _disable(endpoint, "the receiver answered 410 Gone")
    else:
        if endpoint is not None:
            endpoint.failing_since = endpoint.failing_since or now
            if (now - endpoint.failing_since).total_seconds() >= DISABLE_AFTER_FAILING_S:
                _disable(endpoint, f"failing since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC")
        if (
            outcome.final
            or attempt.attempt >= MAX_ATTEMPTS
            or (endpoint is not None and not endpoint.enabled)
        ):
            delivery.status = "failed"
        else:
            delay_s = _retry_delay_s(attempt.attempt, retry_scale, outcome.retry_after_s)
            delivery.next_attempt_at = now + timedelta(seconds=delay_s)
    return delivery.status


def _retry_delay_s(attempt: int, scale: float, retry_after_s: float | None) -> float:
    base = RETRY_DELAYS_S[attempt - 1] * scale
    jittered = base * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)
    return max(jittered, retry_after_s or 0.0)


def _disable(endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:500]


def redeliver(session: Session, delivery_id: int) -> Delivery | None:
    """Make the delivery due again now, whatever it came to: its next attempt carries the same
    webhook-id. An endpoint disabled is enabled again (the operator asked for it)."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        return None
    delivery.status, delivery.next_attempt_at = "pending", utcnow()
    delivery.claimed_by = delivery.claim_expires_at = None
    if delivery.endpoint_id is not None:
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is not None and not endpoint.enabled:
            endpoint.enabled, endpoint.disabled_reason, endpoint.failing_since = True, None, None
    return delivery
