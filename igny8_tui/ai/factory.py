"""Builds the provider the settings name."""

from __future__ import annotations

from igny8_tui.ai.provider import Provider
from igny8_tui.errors import InvalidInputError
from igny8_tui.settings import Settings


def build_provider(settings: Settings) -> Provider:
    if settings.ai_provider == "local":
        from igny8_tui.ai.local import LocalProvider

        return LocalProvider(latency_s=settings.local_latency_ms / 1000)
    raise InvalidInputError(f"ai_provider: unknown provider {settings.ai_provider!r} (use 'local')")
