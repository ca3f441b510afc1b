"""`igny8 ai check`: one tiny request to the configured provider, timed."""

from __future__ import annotations

import time

import httpx
from pydantic import BaseModel

from igny8_tui.redaction import redacted_url
from igny8_tui.settings import Settings

CHECK_TIMEOUT_S = 30.0


class CheckResult(BaseModel):
    ok: bool
    provider: str
    base_url: str
    model: str | None
    latency_ms: float
    error: str | None


def check_provider(settings: Settings) -> CheckResult:
    """Ask the server for a one-word JSON reply; report the model it used and the latency."""
    if settings.ai_provider == "local":
        return CheckResult(
            ok=True, provider="local", base_url="offline", model="offline", latency_ms=0, error=None
        )
    key = settings.ai_api_key.get_secret_value()
    body = {
        "model": settings.ai_model,
        "messages": [{"role": "user", "content": 'Reply with the JSON {"ok": true}.'}],
        "response_format": {"type": "json_object"},
        "max_tokens": 10,
    }
    started = time.perf_counter()
    try:
        response = httpx.post(
            settings.ai_base_url.rstrip("/") + "/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {key}"} if key else {},
            timeout=min(settings.ai_timeout_s, CHECK_TIMEOUT_S),
        )
    except httpx.HTTPError as exc:
        return _failed(settings, started, f"no answer: {type(exc).__name__}")
    if response.status_code in (401, 403):
        return _failed(settings, started, f"HTTP {response.status_code}: check your API key")
    if response.status_code >= 400:
        return _failed(settings, started, f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        model = str(response.json()["model"])
    except (ValueError, KeyError, TypeError):
        return _failed(settings, started, "the answer is not a chat completion")
    return _result(settings, started, model=model)


def _failed(settings: Settings, started: float, error: str) -> CheckResult:
    return _result(settings, started, error=error)


def _result(
    settings: Settings, started: float, model: str | None = None, error: str | None = None
) -> CheckResult:
    return CheckResult(
        ok=error is None,
        provider=settings.ai_provider,
        base_url=redacted_url(settings.ai_base_url),
        model=model,
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
        error=error,
    )
