"""What a run made and failed to make: `retry` failed items, and `export` a site's listings."""

from __future__ import annotations

import click

from igny8_tui.cli.options import State, command, site_option


@click.command()
@site_option
@click.option(
    "--stage",
    type=click.IntRange(1, 7),
    help="Only this stage's failures (2 clusters, 4 tasks, 6 images, 7 publishing).",
)
@click.option(
    "--item",
    "item_id",
    type=click.IntRange(min=1),
    help="Only this item: a cluster id with --stage 2, a task id with --stage 4, else an "
    "article id (its failed or lost images, and its publishing).",
)
@command()
def retry(state: State, site_ref: str, stage: int | None, item_id: int | None) -> None:
    """Put failed items back in their queue; the next run (or the active one) takes them."""
    site_id = state.site_id(site_ref)
    state.emit(state.runtime.service.retry(site_id, stage, item_id))


COMMANDS = (retry,)
