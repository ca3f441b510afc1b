"""Events: webhook endpoints (`webhook add|list|remove|test`) and their deliveries
(`events`, `events redeliver`)."""

from __future__ import annotations

import click

from igny8_tui.cli.options import State, command
from igny8_tui.cli.payloads import DeliveryList, WebhookList
from igny8_tui.errors import InvalidInputError
from igny8_tui.event_payloads import EVENT_TYPES


@click.group()
def webhook() -> None:
    """Signed webhooks (Standard Webhooks) for run, content and credit events."""


@webhook.command("add")
@click.argument("url")
@click.option("--site", "site_ref", help="Only this site's events (default: every site's).")
@click.option(
    "--events",
    default="",
    help=f"Comma-separated event types (default: all): {', '.join(EVENT_TYPES)}.",
)
@click.option(
    "--secret", envvar="IGNY8_WEBHOOK_SECRET", help="Use this whsec_ secret instead of a new one."
)
@command()
def webhook_add(
    state: State, url: str, site_ref: str | None, events: str, secret: str | None
) -> None:
    """Add an endpoint; prints its signing secret once."""
    site_id = state.site_id(site_ref) if site_ref else None
    names = [name.strip() for name in events.split(",") if name.strip()]
    state.emit(state.runtime.webhooks.add(url, site_id, names, secret))


@webhook.command("list")
@command(read_only=True)
def webhook_list(state: State) -> None:
    """The endpoints (never their secrets)."""
    state.emit(WebhookList(state.runtime.webhooks.endpoints()))


@webhook.command("remove")
@click.argument("endpoint_id", type=int)
@command()
def webhook_remove(state: State, endpoint_id: int) -> None:
    """Send the endpoint nothing more, and forget its secret."""
    state.emit(state.runtime.webhooks.remove(endpoint_id))


@webhook.command("test")
@click.argument("endpoint_id", type=int)
@command()
def webhook_test(state: State, endpoint_id: int) -> None:
    """Send a `webhook.test` event now; exits 1 unless the receiver answered 2xx."""
    delivery = state.runtime.webhooks.test(endpoint_id)
    state.emit(delivery)
    if delivery.status != "delivered":
        raise SystemExit(1)


@click.command()
@click.argument("action", required=False, type=click.Choice(["redeliver"]))
@click.argument("delivery_id", required=False, type=int)
@click.option("--site", "site_ref", help="Only this site's events.")
@click.option("--failed", is_flag=True, help="Only deliveries that failed or are retrying.")
@command()
def events(
    state: State,
    action: str | None,
    delivery_id: int | None,
    site_ref: str | None,
    failed: bool,
) -> None:
    """The latest event deliveries with their attempts and last status; `events redeliver ID`
    sends one again now, with the same webhook-id."""
    if action == "redeliver":
        if delivery_id is None:
            raise InvalidInputError("give the delivery: igny8 events redeliver ID")
        state.emit(state.runtime.webhooks.redeliver(delivery_id))
        return
    site_id = state.site_id(site_ref) if site_ref else None
    state.emit(DeliveryList(state.runtime.webhooks.deliveries(site_id, failed)))


COMMANDS = (webhook, events)
