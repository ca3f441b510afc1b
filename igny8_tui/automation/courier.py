"""Delivering the outbox: any host (dashboard, daemon, `igny8 run`) claims due attempts, sends
them outside any transaction and records what came of each."""

from __future__ import annotations

import hashlib
import logging
import threading

from pydantic import SecretStr

from igny8_tui import notify
from igny8_tui.automation import outbox
from igny8_tui.automation.environment import environment_fault
from igny8_tui.automation.outbox import Attempt, Outcome
from igny8_tui.db.engine import Database
from igny8_tui.db.models import utcnow
from igny8_tui.notify import human_message
from igny8_tui.publish import webhook
from igny8_tui.publish.secrets import SecretStore
from igny8_tui.redaction import redacted_notify_url
from igny8_tui.settings import Settings, notify_urls_for

COURIER_POLL_S = 1.0
# Where deliveries are logged when the host gives no logger (a command's own courier): the
# command prints its result; nothing more reaches the terminal.
EVENTS_LOGGER = logging.getLogger("igny8.events")
EVENTS_LOGGER.addHandler(logging.NullHandler())
EVENTS_LOGGER.propagate = False


def _url_key(url: SecretStr) -> str:
    """A notification URL as the outbox remembers it: a hash, never the URL (it holds secrets)."""
    return hashlib.sha256(url.get_secret_value().encode()).hexdigest()[:16]


class Courier:
    """Delivers due events as `owner` (a host's identity)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        owner: str,
        logger: logging.Logger | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.owner = owner
        self.secrets = SecretStore(settings.home)
        self.logger = logger or EVENTS_LOGGER
        self._client = webhook.client(settings.event_timeout_s)

    def close(self) -> None:
        self._client.close()

    def deliver_due(self, run_id: int | None = None, limit: int = 20) -> int:
        """Make every attempt that is due now (those of one run's events, given `run_id`);
        the number made."""
        with self.db.read() as session:
            ids = outbox.due_ids(session, utcnow(), run_id, limit)
        made = 0
        for delivery_id in ids:
            if self.deliver_one(delivery_id) is not None:
                made += 1
        return made

    def deliver_one(self, delivery_id: int) -> str | None:
        """Claim and make the next attempt of one delivery; its new status, or None when it was
        not due or another host had it."""
        with self.db.write() as session:
            attempt = outbox.claim(session, delivery_id, self.owner, self._claim_ttl_s())
        if attempt is None:
            return None
        outcome = self._send(attempt)
        with self.db.write() as session:
            status = outbox.record(session, attempt, outcome, self.settings.event_retry_scale)
        self._log(attempt, outcome, status)
        return status

    def _claim_ttl_s(self) -> float:
        """Longer than an attempt may take: a send per notification URL, each up to the
        timeout (a claim that ran out mid-send would let another host send it again)."""
        sends = max(len(self.settings.notify_urls), 1) + sum(
            len(site.notify_urls or []) for site in self.settings.sites.values()
        )
        return max(outbox.CLAIM_TTL_S, self.settings.event_timeout_s * (sends + 1))

    def _send(self, attempt: Attempt) -> Outcome:
        if attempt.channel == "notify":
            return self._notify(attempt)
        secret = self.secrets.webhook_secret(attempt.endpoint_id or 0)
        if attempt.url is None or secret is None:
            return Outcome(
                delivered=False,
                error="no secret is stored for this webhook; add it again",
                final=True,
            )
        response = webhook.send(self._client, attempt.url, secret, attempt.event_id, attempt.body)
        return Outcome(
            delivered=response.delivered,
            status_code=response.status_code,
            error=response.error,
            retry_after_s=response.retry_after_s,
            gone=response.gone,
        )

    def _notify(self, attempt: Attempt) -> Outcome:
        """The event as a short human message to each of the site's notification URLs (or the
        global ones) not yet sent to: a retry sends only to those that failed."""
        data = attempt.body.get("data", {})
        site_name = str(data.get("site_name") or "")
        urls = notify_urls_for(self.settings, site_name or None)
        if not urls:
            return Outcome(delivered=False, nothing_to_send=True)
        title, body = human_message(attempt.event_type, site_name, data)
        sent: list[str] = []
        errors: list[str] = []
        for url in urls:
            key = _url_key(url)
            if key in attempt.sent_to:
                continue
            result = notify.send(url, title, body, self.settings.event_timeout_s)
            if result.ok:
                sent.append(key)
            else:
                shown = redacted_notify_url(url.get_secret_value())
                errors.append(f"{shown}: {result.error or 'not sent'}")
        return Outcome(
            delivered=not errors, error="; ".join(errors)[:500] or None, sent_to=tuple(sent)
        )

    def _log(self, attempt: Attempt, outcome: Outcome, status: str) -> None:
        where = f"webhook {attempt.endpoint_id}" if attempt.channel == "webhook" else "notify"
        what = f"{attempt.event_type} {attempt.event_id} → {where} (attempt {attempt.attempt})"
        if status == "delivered":
            self.logger.info("%s delivered", what)
        elif status != "skipped":
            self.logger.warning("%s: %s; %s", what, outcome.error or "failed", status)

    def serve(self, stop: threading.Event, poll_s: float = COURIER_POLL_S) -> None:
        """Deliver until `stop` is set (a host's courier thread). A fault of the machine is
        tried again at the next poll: the events wait in the outbox meanwhile."""
        try:
            while not stop.is_set():
                try:
                    self.deliver_due()
                except Exception as exc:
                    # The events wait in the outbox; the host goes on, and says so once a poll.
                    if environment_fault(exc) is None:
                        self.logger.error("event delivery failed: %s: %s", type(exc).__name__, exc)
                stop.wait(poll_s)
        finally:
            self.close()
