"""The `igny8` command: parse arguments, call the runtime's service or workspace, print text or
--json. One module per family of commands; `options.py` holds what they share."""

from __future__ import annotations

import click

from igny8_tui.cli import (
    config_commands,
    db_commands,
    event_commands,
    host_commands,
    item_commands,
    notify_commands,
    publish_commands,
    run_commands,
    serve_command,
    workspace_commands,
)
from igny8_tui.cli.edge import DEBUG_ENV, Igny8Group
from igny8_tui.cli.options import on_terminal


@click.group(cls=Igny8Group, invoke_without_command=True)
@click.version_option(package_name="igny8-tui")
@click.option(
    "--debug",
    is_flag=True,
    envvar=DEBUG_ENV,
    help="On an error, print its traceback too (also IGNY8_DEBUG=1).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """igny8: run and watch the SEO content pipeline of your sites.

    With no command on a terminal, opens the dashboard."""
    # `debug` is for the edge (edge.py), which reads it from the context when a command fails.
    if ctx.invoked_subcommand is None:
        if on_terminal():
            ctx.invoke(host_commands.dashboard)
        else:
            click.echo(ctx.get_help())


for module in (
    host_commands,
    serve_command,
    workspace_commands,
    run_commands,
    config_commands,
    publish_commands,
    db_commands,
    item_commands,
    event_commands,
    notify_commands,
):
    for each in module.COMMANDS:
        cli.add_command(each)


def main() -> None:
    cli(prog_name="igny8")
