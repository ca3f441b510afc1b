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
from igny8_tui.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USER_ERROR = 2
EXIT_RUN_NOT_COMPLETED = 1
EXIT_INTERRUPTED = 130


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
        self.runtime = Runtime.for_role(
            home, db, role, upgrade=not no_upgrade, read_only=read_only
        )

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
    """Adds --home/--db/--json/--no-upgrade to a command; a user error is one line and exit 2.
    `read_only`: the command only reads, so a database this user may only read is opened
    read-only."""

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
                state = State(home, db_url, as_json, role, no_upgrade, read_only)
                return func(state, **kwargs)
            except Igny8Error as exc:
                click.echo(f"igny8: error: {exc}", err=True)
                sys.exit(EXIT_USER_ERROR)
            finally:
                if state is not None:
                    state.runtime.close()

        return cast(F, wrapper)

    return decorate


site_option = click.option("--site", "site_ref", required=True, help="Site id or name.")


def on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
