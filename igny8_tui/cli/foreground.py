"""`igny8 run` in the foreground: host the run here with a progress line on stderr, Ctrl-C
pausing it, and an exit code that says how it ended."""

from __future__ import annotations

import os
import signal
import sys
import threading

import click

from igny8_tui.cli.options import EXIT_INTERRUPTED, EXIT_PAUSED, EXIT_RUN_NOT_COMPLETED, State
from igny8_tui.constants import POLL_INTERVAL_S
from igny8_tui.schemas import RunOutcome

PROGRESS_BAR_WIDTH = 30


class ProgressLine:
    """A one-line progress report on stderr, redrawn in place on a terminal."""

    def __init__(self, state: State, site_id: int) -> None:
        self.state, self.site_id = state, site_id
        self.tty = sys.stderr.isatty()
        self.last = ""
        self.stage_shown: int | None = None

    def draw(self) -> None:
        progress = self.state.runtime.service.run_progress(self.site_id)
        if progress is None:
            return
        g = progress.global_progress
        filled = PROGRESS_BAR_WIDTH * g.percentage // 100
        bar = "█" * filled + "░" * (PROGRESS_BAR_WIDTH - filled)
        line = (
            f"{bar} {g.percentage:3d}%  stage {progress.run.current_stage}/7 "
            f"{progress.run.status}  {g.completed_items:,}/{g.total_items:,} items  "
            f"{progress.metrics.credits_used:g} credits"
        )
        if line == self.last:
            return
        self.last = line
        if self.tty:
            click.echo(f"\r{line}\x1b[K", err=True, nl=False)
        elif progress.run.current_stage != self.stage_shown:
            self.stage_shown = progress.run.current_stage
            click.echo(line, err=True)

    def notice(self, message: str) -> None:
        prefix = "\n" if self.tty and self.last else ""
        click.echo(f"{prefix}{message}", err=True)
        self.last = ""


def run_here(state: State, site_id: int, wait_through_pauses: bool = True) -> None:
    """Start (or adopt) the site's run, host it until it ends, and exit as it ended."""
    line = ProgressLine(state, site_id)
    hosted = state.runtime.service.start_or_adopt(site_id, host=state.runtime.actor)
    run_id = hosted.run_id
    if hosted.adopted:
        line.notice(f"run {run_id} has no host; continuing it here")
    else:
        line.notice(f"run {run_id} started · estimate {hosted.estimated_credits:g} credits")
    stop = threading.Event()
    outcome: list[RunOutcome] = []
    worker = threading.Thread(
        target=lambda: outcome.append(
            state.runtime.host_until_done(run_id, stop, line.notice, wait_through_pauses)
        ),
        name=f"run-{run_id}",
        daemon=True,
    )
    _interrupt_sets(stop, line)
    worker.start()
    while worker.is_alive():
        line.draw()
        worker.join(POLL_INTERVAL_S)
    line.draw()
    if line.tty:
        click.echo("", err=True)
    _finish(state, site_id, run_id, outcome[0] if outcome else RunOutcome.FAILED, stop.is_set())


def _interrupt_sets(stop: threading.Event, line: ProgressLine) -> None:
    """Ctrl-C: finish the item in hand and leave the run paused; a second one quits at once."""

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            os._exit(EXIT_INTERRUPTED)
        stop.set()
        line.notice("stopping after the current item (Ctrl-C again to quit at once)…")

    signal.signal(signal.SIGINT, handler)


def _finish(
    state: State, site_id: int, run_id: int, outcome: RunOutcome, interrupted: bool
) -> None:
    summary = state.runtime.service.run(site_id, run_id)
    state.emit(summary)
    if outcome is RunOutcome.COMPLETED:
        return
    if outcome is RunOutcome.PAUSED:
        click.echo(f"igny8: run {run_id} paused: {summary.pause_reason}", err=True)
        sys.exit(EXIT_INTERRUPTED if interrupted else EXIT_PAUSED)
    if outcome is RunOutcome.STALLED:
        click.echo(
            f"igny8: run {run_id} is left running for recovery: this host could not write to "
            f"the database; once that is fixed, `igny8 run --site {site_id}` continues it",
            err=True,
        )
        sys.exit(EXIT_PAUSED)
    if outcome is RunOutcome.RELEASED:
        click.echo(f"igny8: stopped following run {run_id}; it goes on elsewhere", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if outcome is RunOutcome.LOST:
        click.echo(
            f"igny8: run {run_id}: this host lost its lease; another host took over", err=True
        )
        sys.exit(EXIT_RUN_NOT_COMPLETED)
    reason = summary.error_message or outcome.value
    click.echo(f"igny8: run {run_id} {summary.status}: {reason}", err=True)
    sys.exit(EXIT_RUN_NOT_COMPLETED)
