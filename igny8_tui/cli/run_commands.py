"""Running and watching runs: `run`, `status`, `overview`, `processing`, `estimate`,
`history`, `logs`, and `pause`/`resume`/`cancel` from any shell."""

from __future__ import annotations

import time

import click

from igny8_tui.cli.foreground import run_here
from igny8_tui.cli.options import State, command, site_option
from igny8_tui.cli.payloads import HistoryReport, LogLines, StatusReport
from igny8_tui.constants import DEFAULT_LOG_LINES, POLL_INTERVAL_S, RESUME_PICKUP_WAIT_S
from igny8_tui.schemas import RunSummary


@click.command()
@site_option
@click.option("--detach", is_flag=True, help="Only create the run, for a daemon or dashboard.")
@click.option(
    "--no-wait",
    is_flag=True,
    help="Exit (code 3) on any pause, not only on one the operator must fix.",
)
@command(role="run")
def run(state: State, site_ref: str, detach: bool, no_wait: bool) -> None:
    """Start a run and execute it here until it ends; Ctrl-C pauses it.

    Exits 0 when the run completes and 3 when it pauses for something the operator must fix
    (credits, a full disk or a permission, the API key), with the reason on stderr. A pause an
    operator asked for waits here for `igny8 resume`, unless --no-wait."""
    site_id = state.site_id(site_ref)
    if detach:
        state.emit(state.runtime.service.run_now(site_id))
        return
    run_here(state, site_id, wait_through_pauses=not no_wait)


@click.command()
@site_option
@command(read_only=True)
def status(state: State, site_ref: str) -> None:
    """The site's active (or latest) run and its progress."""
    site_id = state.site_id(site_ref)
    service = state.runtime.service
    shown = service.shown_run(site_id)
    progress = service.run_progress(site_id, shown.run_id) if shown else None
    state.emit(StatusReport(run=shown, progress=progress))


@click.command()
@site_option
@command(read_only=True)
def overview(state: State, site_ref: str) -> None:
    """Pending items at each stage."""
    state.emit(state.runtime.service.pipeline_overview(state.site_id(site_ref)))


@click.command()
@site_option
@command(read_only=True)
def processing(state: State, site_ref: str) -> None:
    """What the active run is processing right now."""
    work = state.runtime.service.current_processing(state.site_id(site_ref))
    state.emit(work, none_text="no active run")


@click.command()
@site_option
@command(read_only=True)
def estimate(state: State, site_ref: str) -> None:
    """The credit estimate for a run now."""
    state.emit(state.runtime.service.estimate(state.site_id(site_ref)))


@click.command()
@site_option
@command(read_only=True)
def history(state: State, site_ref: str) -> None:
    """The last 20 runs, and scheduled runs that were due but not started."""
    site_id = state.site_id(site_ref)
    service = state.runtime.service
    state.emit(
        HistoryReport(runs=service.history(site_id), not_started=service.schedule_notes(site_id))
    )


@click.command()
@site_option
@click.option("--run", "run_id", type=int, help="A run id (default: the latest run).")
@click.option("--lines", type=click.IntRange(1, 100_000), default=DEFAULT_LOG_LINES)
@click.option("--follow", is_flag=True, help="Keep printing new lines until the run ends.")
@command(read_only=True)
def logs(state: State, site_ref: str, run_id: int | None, lines: int, follow: bool) -> None:
    """The activity log of a run."""
    site_id = state.site_id(site_ref)
    service = state.runtime.service
    if not follow:
        state.emit(LogLines(service.logs(site_id, run_id, lines)))
        return
    run_id = run_id or _run_to_follow(state, site_id)
    last_id = 0
    backlog = lines
    while True:
        for entry in service.logs(site_id, run_id, backlog, after_id=last_id):
            state.emit(entry)
            last_id = entry.id
        backlog = 100_000
        active = service.current_run(site_id)
        if active is None or active.run_id != run_id:
            for entry in service.logs(site_id, run_id, backlog, after_id=last_id):
                state.emit(entry)
            return
        time.sleep(POLL_INTERVAL_S)


def _run_to_follow(state: State, site_id: int) -> int:
    """The site's active run, else its latest; with no run yet, wait for the first."""
    while (shown := state.runtime.service.shown_run(site_id)) is None:
        time.sleep(POLL_INTERVAL_S)
    return shown.run_id


def _control(state: State, site_ref: str, action: str) -> None:
    service = state.runtime.service
    site_id = state.site_id(site_ref)
    summary: RunSummary = getattr(service, action)(site_id)
    if action == "resume":
        summary = _picked_up(state, site_id, summary)
    state.emit(summary)


def _picked_up(state: State, site_id: int, resumed: RunSummary) -> RunSummary:
    """The resumed run once a host has taken it: a waiting `igny8 run`, a dashboard or a daemon
    does within a poll, so the operator learns who continues it rather than "waiting"."""
    deadline = time.monotonic() + RESUME_PICKUP_WAIT_S
    summary = resumed
    while summary.host_state == "waiting" and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_S / 5)
        summary = state.runtime.service.run(site_id, resumed.run_id)
    return summary


@click.command()
@site_option
@command()
def pause(state: State, site_ref: str) -> None:
    """Pause the site's active run after the current item."""
    _control(state, site_ref, "pause")


@click.command()
@site_option
@command()
def resume(state: State, site_ref: str) -> None:
    """Resume the site's paused run."""
    _control(state, site_ref, "resume")


@click.command()
@site_option
@command()
def cancel(state: State, site_ref: str) -> None:
    """Cancel the site's active run after the current item."""
    _control(state, site_ref, "cancel")


COMMANDS = (run, status, overview, processing, estimate, history, logs, pause, resume, cancel)
