"""Credentials are never shown: in a base URL (issue 9, defect 8), a database URL, an error's
text or a crash log's command line (issue 9)."""

from __future__ import annotations

from pathlib import Path

from igny8_tui.cli.crash_log import redacted_args
from igny8_tui.formatting import ai_label
from igny8_tui.redaction import redacted_text, redacted_url
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


def test_a_url_that_does_not_parse_is_shown_without_its_credentials() -> None:
    assert redacted_url("postgresql://bob:s3cret@[::1") == "postgresql://***@[::1"
    assert redacted_url("postgresql://bob:p@ss/w0rd@db/igny8") == "postgresql://***@db/igny8"
    assert redacted_url("not a url") == "not a url"


def test_credentials_in_any_url_in_a_text_are_redacted() -> None:
    text = "failed: [parameters: ('shop', 'https://bob:s3cret@shop.example/x')] at http://h/"
    assert redacted_text(text) == (
        "failed: [parameters: ('shop', 'https://***@shop.example/x')] at http://h/"
    )


def test_a_command_line_keeps_no_secret() -> None:
    argv = [
        "site", "add", "shop", "--domain", "https://bob:s3cret@shop.example",
        "--db=postgresql://bob:s3cret@db/igny8", "--api-key", "sk-123", "--password=hunter2",
        "ai_api_key=sk-456", "--site", "keywords",
    ]  # fmt: skip
    assert redacted_args(argv) == [
        "site", "add", "shop", "--domain", "https://***@shop.example",
        "--db=postgresql://***@db/igny8", "--api-key", "***", "--password=***",
        "ai_api_key=***", "--site", "keywords",
    ]  # fmt: skip
