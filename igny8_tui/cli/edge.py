"""Where every command ends: nothing escapes as a traceback. A user error is one line and exit
2; an unexpected one is one line and exit 1 naming its crash log; Ctrl-C is exit 130. With
--debug (or IGNY8_DEBUG=1) the traceback is printed as well. click's own usage errors (exit 2)
and a closed stdout (exit 1) keep click's handling."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

import click

from igny8_tui.cli.crash_log import CrashLog, write_crash_log
from igny8_tui.cli.options import (
    EXIT_INTERRUPTED,
    EXIT_UNEXPECTED,
    EXIT_USER_ERROR,
    HOME_GIVEN,
)
from igny8_tui.errors import Igny8Error
from igny8_tui.printable import escape_hidden
from igny8_tui.redaction import redacted_text

DEBUG_ENV = "IGNY8_DEBUG"
_ARGV = "igny8.argv"
_SUMMARY_MAX_CHARS = 200
# click's own ways out: usage errors, --help/--version, and aborts keep click's handling.
_CLICK_EXITS = (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort)


class Igny8Group(click.Group):
    """The `igny8` group: every command it runs ends at `finish`."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        argv = list(args)  # before parsing consumes them
        ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta[_ARGV] = argv
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _CLICK_EXITS:
            raise
        except BrokenPipeError:
            raise  # the reader went away (`| head`): click exits 1 quietly
        except (Exception, KeyboardInterrupt) as exc:
            finish(
                exc,
                debug=bool(ctx.params.get("debug")),
                home=ctx.meta.get(HOME_GIVEN),
                argv=ctx.meta.get(_ARGV, sys.argv[1:]),
            )

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Also what fails outside any command (while click reads the arguments)."""
        try:
            return super().main(*args, **kwargs)
        except _CLICK_EXITS:
            raise
        except Exception as exc:
            debug = os.environ.get(DEBUG_ENV, "").lower() in ("1", "true", "yes", "on")
            finish(exc, debug=debug, home=None, argv=sys.argv[1:])


def finish(exc: BaseException, debug: bool, home: Path | None, argv: list[str]) -> NoReturn:
    """Report `exc` on stderr as one line (after its traceback with `debug`) and exit."""
    if isinstance(exc, KeyboardInterrupt):
        click.echo("igny8: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if debug:
        click.echo("".join(traceback.format_exception(exc)), err=True, nl=False)
    if isinstance(exc, Igny8Error):
        # One line whatever the operator typed: a newline or escape in the input that the
        # message quotes is shown as its escape, not acted on.
        click.echo(f"igny8: error: {escape_hidden(str(exc))}", err=True)
        sys.exit(EXIT_USER_ERROR)
    log = write_crash_log(exc, argv, home)
    click.echo(f"igny8: unexpected error: {summary(exc)}; {_where(log)}", err=True)
    sys.exit(EXIT_UNEXPECTED)


def summary(exc: BaseException) -> str:
    """The exception's type and the first line of its message, short and without secrets."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    if len(text) > _SUMMARY_MAX_CHARS:
        text = text[: _SUMMARY_MAX_CHARS - 1] + "…"
    return redacted_text(text)


def _where(log: CrashLog) -> str:
    if log.path is None:
        return f"no crash log could be written ({log.trouble}); run again with --debug to see why"
    where = f"details in {log.path}"
    return f"{where}, as {log.trouble}" if log.trouble else where
