"""What a run made and failed to make: `retry` failed items, and `export` a site's listings."""

from __future__ import annotations

from pathlib import Path

import click

from igny8_tui.cli.options import State, command, site_option
from igny8_tui.export import EXPORT_FORMATS, ExportFormat
from igny8_tui.runtime import EXPORT_WHATS, ExportWhat


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


@click.command()
@site_option
@click.option("--what", type=click.Choice(EXPORT_WHATS), required=True, help="What to export.")
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (whole or not at all); default: standard output.",
)
@command(read_only=True)
def export(
    state: State, site_ref: str, what: ExportWhat, fmt: ExportFormat, output: Path | None
) -> None:
    """Export a site's content, keywords or runs as CSV or JSON. In CSV, a cell starting with
    =, +, -, @, a tab or a carriage return gets a leading ' so spreadsheets show it as text."""
    document = state.runtime.export(site_ref, what, fmt)
    if output is None:
        click.echo(document, nl=False)
    else:
        state.runtime.write_export(output, document)


COMMANDS = (retry, export)
