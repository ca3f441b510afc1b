"""What every command shares: --home/--db/--json, the runtime, output, and the exit codes."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from pydantic import BaseModel

from igny8_tui.cli.output import render
from igny8_tui.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])
# Exit codes (README, "When something goes wrong"). 1 says the command did not get done what it
# was asked: a run that failed, was cancelled or lost its host, an AI check that failed, or an
# unexpected error (with a crash log). 2: a user error (bad input, database or config fault), as
# for click's usage errors. 3: `igny8 run` left the run paused for something the operator must
# fix (credits, disk, API key), or paused at all with --no-wait; the reason is on stderr.
# 130: Ctrl-C, or a run left paused.
EXIT_RUN_NOT_COMPLETED = 1
EXIT_UNEXPECTED = 1
EXIT_USER_ERROR = 2
EXIT_PAUSED = 3
EXIT_INTERRUPTED = 130
# The --home a command was given, for the edge (edge.py) to find the data directory after a crash.
HOME_GIVEN = "igny8.home"


class State:
    """Per-invocation options shared by every command."""

    def __init__(
        self,
        home: Path | None,
        db: str | None,
        as_json: bool,
        role: str,
        no_upgrade: bool,
        read_only: bool = False,
    ) -> None:
        self.as_json = as_json
        self.runtime = Runtime.for_role(home, db, role, upgrade=not no_upgrade, read_only=read_only)

    def emit(self, data: BaseModel | None, none_text: str = "(none)") -> None:
        """One result: as JSON with --json, else as the text written for its type."""
        if self.as_json:
            document = None if data is None else data.model_dump(mode="json")
            click.echo(json.dumps(document, indent=2, default=str))
        else:
            click.echo(none_text if data is None else render(data))

    def site_id(self, ref: str) -> int:
        return self.runtime.workspace.site(ref).id


def command(role: str = "cli", read_only: bool = False) -> Callable[[F], F]:
    """Adds --home/--db/--json/--no-upgrade to a command and gives it a `State`. `read_only`: the
    command only reads, so a database this user may only read is opened read-only. Errors end
    at the edge of the `igny8` group (edge.py)."""

    def decorate(func: F) -> F:
        @click.option(
            "--no-upgrade",
            is_flag=True,
            help="Refuse a database older than this igny8 instead of upgrading it.",
        )
        @click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
        @click.option("--db", "db_url", envvar="IGNY8_DB", help="Database URL.")
        @click.option(
            "--home",
            type=click.Path(file_okay=False, path_type=Path),
            envvar="IGNY8_HOME",
            help="Data directory.",
        )
        @functools.wraps(func)
        def wrapper(
            home: Path | None, db_url: str | None, as_json: bool, no_upgrade: bool, **kwargs: Any
        ) -> Any:
            click.get_current_context().meta[HOME_GIVEN] = home
            state = State(home, db_url, as_json, role, no_upgrade, read_only)
            try:
                return func(state, **kwargs)
            finally:
                state.runtime.close()

        return cast(F, wrapper)

    return decorate


site_option = click.option("--site", "site_ref", required=True, help="Site id or name.")


def on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
