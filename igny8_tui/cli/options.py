"""What every command shares: --home/--db/--json, the runtime, output, and one-line errors."""

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
from igny8_tui.errors import Igny8Error
from igny8_tui.printable import escape_hidden
from igny8_tui.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USER_ERROR = 2
EXIT_RUN_NOT_COMPLETED = 1
# `igny8 run`: the run paused for something the operator must fix (credits, disk, API key),
# or paused at all with --no-wait; the reason is on stderr, `igny8 resume` continues it.
EXIT_PAUSED = 3
EXIT_INTERRUPTED = 130


class State:
    """Per-invocation options shared by every command."""

    def __init__(
        self, home: Path | None, db: str | None, as_json: bool, role: str, no_upgrade: bool
    ) -> None:
        self.as_json = as_json
        self.runtime = Runtime.for_role(home, db, role, upgrade=not no_upgrade)

    def emit(self, data: BaseModel | None, none_text: str = "(none)") -> None:
        """One result: as JSON with --json, else as the text written for its type."""
        if self.as_json:
            document = None if data is None else data.model_dump(mode="json")
            click.echo(json.dumps(document, indent=2, default=str))
        else:
            click.echo(none_text if data is None else render(data))

    def site_id(self, ref: str) -> int:
        return self.runtime.workspace.site(ref).id


def command(role: str = "cli") -> Callable[[F], F]:
    """Adds --home/--db/--json/--no-upgrade to a command; a user error is one line and exit 2."""

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
            state: State | None = None
            try:
                state = State(home, db_url, as_json, role, no_upgrade)
                return func(state, **kwargs)
            except Igny8Error as exc:
                # One line whatever the operator typed: a newline or escape in the input that
                # the message quotes is shown as its escape, not acted on.
                click.echo(f"igny8: error: {escape_hidden(str(exc))}", err=True)
                sys.exit(EXIT_USER_ERROR)
            finally:
                if state is not None:
                    state.runtime.close()

        return cast(F, wrapper)

    return decorate


site_option = click.option("--site", "site_ref", required=True, help="Site id or name.")


def on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
