"""Notifications: a short human message for a run's end, pause or low credits, sent through
apprise to any of its services (email, Slack, Discord, Telegram, ntfy, Matrix, ...)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from igny8_tui.formatting import duration
from igny8_tui.redaction import redacted_notify_url, without_url_secrets

__all__ = [
    "NOTIFIED_EVENTS",
    "NotifyResult",
    "human_message",
    "redacted_notify_url",
    "send",
]

NOTIFIED_EVENTS = ("run.completed", "run.failed", "run.paused", "credits.low")
MISSING_EXTRA = "notifications need the notify extra: pip install 'igny8-tui[notify]'"
TEST_TITLE = "igny8 test message"
TEST_BODY = "igny8 can reach you here."
_APPRISE_LOGGER = "apprise"


@dataclass(frozen=True)
class NotifyResult:
    """One URL's delivery: ok, or why not (never with the URL's secrets)."""

    ok: bool
    error: str | None = None


def human_message(event_type: str, site_name: str, payload: dict[str, Any]) -> tuple[str, str]:
    """(title, body) for an event, short enough for a phone's lock screen. Any payload key may
    be missing: the message says less, never fails."""
    run = f"run {payload['run_id']}" if payload.get("run_id") is not None else "a run"
    title = f"igny8 · {site_name}: "
    if event_type == "run.completed":
        return title + f"{run} completed", _run_facts(payload) or "all stages done"
    if event_type == "run.failed":
        reason = payload.get("error_message") or "no reason was recorded"
        return title + f"{run} failed", _joined(str(reason), _run_facts(payload))
    if event_type == "run.paused":
        reason = payload.get("pause_reason") or "paused by the operator"
        return title + f"{run} paused", _joined(str(reason), _run_facts(payload))
    if event_type == "credits.low":
        return title + "credits are low", _credits_facts(payload)
    return title + event_type, _run_facts(payload)


def _run_facts(payload: dict[str, Any]) -> str:
    """e.g. `36 articles published · 873 credits · 12:41`."""
    facts = []
    published = payload.get("published")
    if isinstance(published, int):
        facts.append(f"{published:,} article{'' if published == 1 else 's'} published")
    credits = _number(payload.get("total_credits_used"))
    if credits is not None:
        facts.append(f"{credits:,.0f} credits")
    seconds = _number(payload.get("duration_seconds"))
    if seconds is not None:
        facts.append(duration(seconds))
    return " · ".join(facts)


def _credits_facts(payload: dict[str, Any]) -> str:
    balance = _number(payload.get("balance"))
    required = _number(payload.get("required_credits"))
    facts = []
    if balance is not None:
        facts.append(f"balance {balance:,.0f}")
    if required is not None:
        facts.append(f"{required:,.0f} needed to go on")
    facts.append("add credits with `igny8 credits --add N`")
    return " · ".join(facts)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value)) if value is not None else None
    except ValueError:
        return None


def _joined(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def send(url: SecretStr, title: str, body: str, timeout_s: float = 15) -> NotifyResult:
    """Send one message to one apprise URL and wait for the outcome (at most `timeout_s`)."""
    try:
        import apprise
    except ImportError:
        return NotifyResult(ok=False, error=MISSING_EXTRA)
    raw = url.get_secret_value()
    sender = apprise.Apprise()
    with _ApprisePlaint() as plaint:
        added = sender.add(raw)
    if not added:
        reason = plaint.text() or "apprise cannot read it; check its syntax"
        return NotifyResult(ok=False, error=without_url_secrets(f"bad URL: {reason}", raw))
    result = sender.notify(body=body, title=title, timeout=timeout_s)
    if result:
        return NotifyResult(ok=True)
    return NotifyResult(ok=False, error=without_url_secrets(_failure(result), raw))


def _failure(result: Any) -> str:
    """Why apprise 2.x did not deliver: the warnings and errors it logged for this call."""
    lines = [
        str(entry.message).strip()
        for entry in result.logs()
        if entry.level in ("WARNING", "ERROR", "CRITICAL")
    ]
    status = getattr(getattr(result, "status", None), "name", "FAILURE").lower()
    return " ".join(line for line in lines if line) or f"not delivered ({status})"


class _ApprisePlaint(logging.Handler):
    """apprise's warnings from this thread while in the `with` block (it says why a URL is bad
    only in its log). Other threads' records are left out: they may name other URLs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._thread = threading.get_ident()
        self._messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            self._messages.append(record.getMessage())

    def text(self) -> str:
        return " ".join(self._messages)

    def __enter__(self) -> _ApprisePlaint:
        logging.getLogger(_APPRISE_LOGGER).addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger(_APPRISE_LOGGER).removeHandler(self)
