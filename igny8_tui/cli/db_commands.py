"""The database's schema: `igny8 db current` and `igny8 db upgrade`."""

from __future__ import annotations

from dataclasses import asdict

import click

from igny8_tui.cli.options import State, command
from igny8_tui.cli.payloads import SchemaReport, SchemaUpgrade


@click.group()
def db() -> None:
    """The database's schema revision, and upgrading it."""


@db.command("current")
@command(read_only=True)
def db_current(state: State) -> None:
    """Show the database's schema revision, this igny8's head revision, and the state."""
    location, status = state.runtime.schema_status()
    state.emit(SchemaReport(database=location, **asdict(status)))


@db.command("upgrade")
@command()
def db_upgrade(state: State) -> None:
    """Upgrade the database to this igny8's schema, backing up an SQLite file first."""
    location, done = state.runtime.upgrade_schema()
    state.emit(SchemaUpgrade(database=location, **asdict(done)))


COMMANDS = (db,)
