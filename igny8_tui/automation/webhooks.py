"""Webhook endpoints (add, list, remove, test) and the deliveries of events (`igny8 events`,
redeliver). Secrets go to the 0600 secrets file, never to the database."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from igny8_tui.automation import outbox
from igny8_tui.automation.courier import Courier
from igny8_tui.db.engine import Database
from igny8_tui.db.models import Delivery, Event, WebhookEndpoint
from igny8_tui.errors import InvalidInputError, NotFoundError
from igny8_tui.event_payloads import EVENT_TYPES
from igny8_tui.publish import webhook
from igny8_tui.publish.secrets import SecretStore
from igny8_tui.redaction import redacted_url
from igny8_tui.schemas import DeliveryView, WebhookAdded, WebhookInfo

REMOVED = "removed by the operator"
EVENTS_SHOWN = 50


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(f"webhook URL {redacted_url(url)!r}: expected http(s)://host/...")
    return url


def _checked_events(events: list[str]) -> list[str]:
    unknown = [name for name in events if name not in EVENT_TYPES]
    if unknown:
        raise InvalidInputError(
            f"--events: unknown event {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}"
        )
    return sorted(set(events))


def disabled_endpoints(session: Session, site_id: int) -> list[str]:
    """`webhook 2 (https://…) off: the receiver answered 410 Gone`, for each endpoint of the
    site (or of every site) igny8 stopped sending to; removed ones are not news."""
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.enabled.is_(False),
        (WebhookEndpoint.site_id.is_(None)) | (WebhookEndpoint.site_id == site_id),
    )
    return [
        f"webhook {e.id} ({redacted_url(e.url)}) off: {e.disabled_reason}"
        for e in session.scalars(query.order_by(WebhookEndpoint.id))
        if e.disabled_reason != REMOVED
    ]


def _site_of(session: Session, site_id: int | None) -> str | None:
    """The site's name, or None for what concerns every site."""
    return None if site_id is None else outbox.site_name(session, site_id)


class Webhooks:
    def __init__(self, db: Database, secrets: SecretStore, courier: Courier) -> None:
        self.db = db
        self.secrets = secrets
        self.courier = courier

    def add(
        self, url: str, site_id: int | None, events: list[str], secret: str | None = None
    ) -> WebhookAdded:
        """A new endpoint, with `secret` (checked: the Standard Webhooks form) or a new one."""
        signing: SecretStr = webhook.checked_secret(secret) if secret else webhook.new_secret()
        with self.db.write() as session:
            endpoint = WebhookEndpoint(
                url=_checked_url(url), site_id=site_id, events=_checked_events(events)
            )
            session.add(endpoint)
            session.flush()
            # The secret is kept before the row commits: an endpoint never lacks its secret.
            self.secrets.set_webhook_secret(endpoint.id, signing)
            info = self._info(session, endpoint)
        return WebhookAdded(webhook=info, secret=signing.get_secret_value())

    def endpoints(self) -> list[WebhookInfo]:
        with self.db.read() as session:
            endpoints = session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
            return [self._info(session, e) for e in endpoints if e.disabled_reason != REMOVED]

    def remove(self, endpoint_id: int) -> WebhookInfo:
        """The endpoint gets nothing more; its past deliveries stay listed. Its secret goes."""
        with self.db.write() as session:
            endpoint = self._endpoint(session, endpoint_id)
            endpoint.enabled, endpoint.disabled_reason = False, REMOVED
            for delivery in session.scalars(
                select(Delivery).where(
                    Delivery.endpoint_id == endpoint_id, Delivery.status == "pending"
                )
            ):
                delivery.status = "disabled"
            info = self._info(session, endpoint)
        self.secrets.forget_webhook(endpoint_id)
        return info

    def test(self, endpoint_id: int) -> DeliveryView:
        """Send a `webhook.test` event to the endpoint now; its delivery, as it came out."""
        with self.db.write() as session:
            self._endpoint(session, endpoint_id)
            event = outbox.webhook_test(session, endpoint_id)
            delivery_id = session.scalars(
                select(Delivery.id).where(Delivery.event_pk == event.id)
            ).one()
        self.courier.deliver_one(delivery_id)
        return self.delivery(delivery_id)

    # ----- deliveries -----

    def deliveries(self, site_id: int | None, failed_only: bool) -> list[DeliveryView]:
        with self.db.read() as session:
            query = select(Delivery, Event).join(Event, Event.id == Delivery.event_pk)
            if site_id is not None:  # and the events of no site (a webhook's test)
                query = query.where((Event.site_id == site_id) | Event.site_id.is_(None))
            if failed_only:
                query = query.where(
                    Delivery.status.in_(("failed", "disabled"))
                    | ((Delivery.status == "pending") & (Delivery.attempts > 0))
                )
            rows = session.execute(query.order_by(Delivery.id.desc()).limit(EVENTS_SHOWN))
            return [self._view(session, d, e) for d, e in rows]

    def delivery(self, delivery_id: int) -> DeliveryView:
        with self.db.read() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None:
                raise NotFoundError(f"no delivery {delivery_id}; `igny8 events` lists them")
            event = session.get(Event, delivery.event_pk)
            assert event is not None
            return self._view(session, delivery, event)

    def redeliver(self, delivery_id: int) -> DeliveryView:
        """Send it again now, with the same webhook-id (an endpoint disabled is enabled)."""
        with self.db.write() as session:
            if outbox.redeliver(session, delivery_id) is None:
                raise NotFoundError(f"no delivery {delivery_id}; `igny8 events` lists them")
        self.courier.deliver_one(delivery_id)
        return self.delivery(delivery_id)

    # ----- reading rows -----

    @staticmethod
    def _endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None or endpoint.disabled_reason == REMOVED:
            raise NotFoundError(f"no webhook {endpoint_id}; `igny8 webhook list` lists them")
        return endpoint

    def _info(self, session: Session, endpoint: WebhookEndpoint) -> WebhookInfo:
        return WebhookInfo(
            id=endpoint.id,
            url=redacted_url(endpoint.url),
            site=_site_of(session, endpoint.site_id),
            events=list(endpoint.events or []),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            failing_since=endpoint.failing_since,
        )

    def _view(self, session: Session, delivery: Delivery, event: Event) -> DeliveryView:
        destination = "notifications"
        if delivery.endpoint_id is not None:
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
            destination = redacted_url(endpoint.url) if endpoint else str(delivery.endpoint_id)
        return DeliveryView(
            id=delivery.id,
            event_id=event.event_id,
            type=event.type,
            site=_site_of(session, event.site_id),
            run_id=event.run_id,
            channel=delivery.channel,
            destination=destination,
            status=delivery.status,
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
            created_at=event.created_at,
            delivered_at=delivery.delivered_at,
        )
