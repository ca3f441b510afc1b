"""Sending one event to a webhook endpoint, signed as the Standard Webhooks specification says:
`webhook-id` (the same on every attempt), `webhook-timestamp` (fresh on each), and
`webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

from igny8_tui.errors import InvalidInputError
from igny8_tui.event_payloads import (
    ContentPublishedData,
    PublishedImage,
    WebhookTestData,
    envelope,
)
from igny8_tui.publish.target import (
    ArticleToPublish,
    PublishError,
    PublishFatalError,
    PublishResult,
)
from igny8_tui.redaction import redacted_text, redacted_url

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
SEND_TIMEOUT_S = 15.0
USER_AGENT = "igny8-webhooks/1"


def new_secret() -> SecretStr:
    """A fresh secret in the Standard Webhooks form: `whsec_` and the base64 of 32 bytes."""
    raw = base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()
    return SecretStr(SECRET_PREFIX + raw)


def checked_secret(value: str) -> SecretStr:
    """An operator's own secret, if it has the Standard Webhooks form; else a one-line error
    (which never repeats the value)."""
    body = value.removeprefix(SECRET_PREFIX)
    try:
        raw = base64.b64decode(body, validate=True)
    except ValueError:
        raw = b""
    if not value.startswith(SECRET_PREFIX) or not MIN_SECRET_BYTES <= len(raw) <= MAX_SECRET_BYTES:
        raise InvalidInputError(
            f"--secret: expected `{SECRET_PREFIX}` followed by the base64 of "
            f"{MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes"
        )
    return SecretStr(value)


@dataclass(frozen=True)
class WebhookResponse:
    """What the receiver answered: delivered only on 2xx (a redirect is a failure)."""

    status_code: int | None
    error: str | None
    retry_after_s: float | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def signed_headers(secret: SecretStr, event_id: str, body: str, now: datetime) -> dict[str, str]:
    # `sign` reads the datetime's clock time as UTC whatever its zone: give it UTC.
    signature = Webhook(secret.get_secret_value()).sign(event_id, now.astimezone(UTC), body)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def send(
    client: httpx.Client, url: str, secret: SecretStr, event_id: str, body: dict[str, Any]
) -> WebhookResponse:
    """POST the event, signed; never raises for what the network or the receiver does."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    headers = signed_headers(secret, event_id, text, datetime.now(UTC))
    try:
        response = client.post(url, content=text.encode(), headers=headers)
    except httpx.TimeoutException:
        return WebhookResponse(None, "no answer within the timeout", None)
    except httpx.HTTPError as exc:
        return WebhookResponse(None, redacted_text(f"{type(exc).__name__}: {exc}")[:300], None)
    error = None
    if not 200 <= response.status_code < 300:
        error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    return WebhookResponse(response.status_code, error, _retry_after_s(response))


def _retry_after_s(response: httpx.Response) -> float | None:
    if response.status_code != 429 and response.status_code < 500:
        return None
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


def client(timeout_s: float = SEND_TIMEOUT_S) -> httpx.Client:
    """A client that never follows redirects (a redirect is a failed delivery)."""
    return httpx.Client(timeout=timeout_s, follow_redirects=False)


class WebhookPublishTarget:
    """Stage 7 through a webhook: each article goes as a signed `content.published` event with
    its HTML and its images, and counts as published only when the receiver answers 2xx. Its
    webhook-id is the article's own, the same on every try, so the receiver can de-duplicate."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: SecretStr,
        site_id: int,
        site_name: str,
        timeout_s: float = SEND_TIMEOUT_S,
    ) -> None:
        self.url = url
        self.secret = secret
        self.site_id = site_id
        self.site_name = site_name
        self._client = client(timeout_s)

    def site_folder(self, site_slug: str) -> Path | None:
        return None

    def close(self) -> None:
        self._client.close()

    def check(self) -> str:
        """Send a signed `webhook.test` event: one line if accepted, else InvalidInputError."""
        data = WebhookTestData(endpoint_id=0, message="a test of the publish webhook")
        body = envelope("webhook.test", datetime.now(UTC), data)
        event_id = f"msg_test_{secrets.token_hex(8)}"
        response = send(self._client, self.url, self.secret, event_id, body)
        if not response.delivered:
            raise InvalidInputError(f"webhook {redacted_url(self.url)}: {response.error}")
        return f"the receiver accepted a signed test event (HTTP {response.status_code})"

    def publish(self, article: ArticleToPublish) -> PublishResult:
        data = ContentPublishedData(
            site_id=self.site_id,
            site_name=self.site_name,
            run_id=None,
            content_id=article.content_id,
            title=article.title,
            slug=article.slug,
            target=f"webhook {urlsplit(self.url).hostname}",
            location=self.url,
            html=article.html,
            images=[
                PublishedImage(
                    role=image.kind,
                    position=image.position,
                    alt=image.alt,
                    location=None,
                    png_base64=base64.b64encode(image.path.read_bytes()).decode(),
                )
                for image in article.images
            ],
        )
        body = envelope("content.published", datetime.now(UTC), data)
        event_id = f"msg_publish_{self.site_id}_{article.content_id}"
        response = send(self._client, self.url, self.secret, event_id, body)
        if response.delivered:
            return PublishResult(location=self.url, remote_status="publish")
        why = f"webhook {redacted_url(self.url)}: {response.error}"
        if response.status_code in (401, 403, 410):
            raise PublishFatalError(f"{why}; check the receiver, then resume", "credentials")
        raise PublishError(why)
