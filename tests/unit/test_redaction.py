"""A base URL with credentials is never shown with them (issue 9, defect 8)."""

from __future__ import annotations

from pathlib import Path

from igny8_tui.formatting import ai_label
from igny8_tui.redaction import redacted_url
from igny8_tui.settings import Settings


def test_credentials_in_a_url_are_redacted_and_the_rest_kept() -> None:
    assert redacted_url("http://bob:s3cret@gpu-box:8000/v1") == "http://***@gpu-box:8000/v1"
    assert redacted_url("https://key@api.example.com/v1") == "https://***@api.example.com/v1"
    assert redacted_url("https://api.openai.com/v1") == "https://api.openai.com/v1"


def test_config_show_and_the_dashboard_label_never_carry_the_password(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, ai_provider="openai", ai_base_url="http://bob:s3cret@gpu-box:8000/v1"
    )
    shown = settings.ai_summary().model_dump_json() + ai_label(settings)
    assert "s3cret" not in shown and "bob" not in shown
    assert "gpu-box:8000" in shown
