"""Notifications: `igny8 notify test` sends a test message to every URL that applies."""

from __future__ import annotations

import sys

import click

from igny8_tui.cli.options import EXIT_RUN_NOT_COMPLETED, State, command
from igny8_tui.cli.payloads import NotifyDelivery, NotifyTestReport
from igny8_tui.errors import InvalidInputError
from igny8_tui.notify import TEST_BODY, TEST_TITLE, redacted_notify_url, send
from igny8_tui.settings import notify_urls_for


@click.group()
def notify() -> None:
    """Notifications of finished, failed and paused runs and low credits (apprise URLs)."""


@notify.command("test")
@click.option("--site", "site_ref", help="Site id or name: its own URLs, if it has any.")
@command(read_only=True)
def notify_test(state: State, site_ref: str | None) -> None:
    """Send a test message to each notification URL and say which ones got it."""
    site_name = state.runtime.workspace.site(site_ref).name if site_ref else None
    settings = state.runtime.settings
    urls = notify_urls_for(settings, site_name)
    if not urls:
        section = f'[sites."{site_name}"] ' if site_name else ""
        raise InvalidInputError(
            f"no notification URLs{f' for site {site_name}' if site_name else ''}: "
            f'add {section}notify_urls = ["mailto://...", ...] to {settings.config_file}'
        )
    deliveries = []
    for url in urls:
        result = send(url, TEST_TITLE, TEST_BODY)
        shown = redacted_notify_url(url.get_secret_value())
        deliveries.append(NotifyDelivery(url=shown, ok=result.ok, error=result.error))
    state.emit(NotifyTestReport(site=site_name, deliveries=deliveries))
    if not all(d.ok for d in deliveries):
        sys.exit(EXIT_RUN_NOT_COMPLETED)


COMMANDS = (notify,)
