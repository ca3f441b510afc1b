"""A run's time on the dashboard's clock: time at work (pauses not counted), how long the pause
in hand has lasted, and the ETA at the run's own rate."""

from __future__ import annotations

from datetime import datetime

from igny8_tui.schemas import RunProgress, RunSummary


def elapsed_seconds(run: RunSummary, now: datetime) -> float:
    """Time at work: up to `now` while running; frozen while paused and once finished."""
    if run.status == "running":
        return max((now - run.started_at).total_seconds() - run.paused_seconds, 0.0)
    return run.duration_seconds


def paused_for_seconds(run: RunSummary, now: datetime) -> float | None:
    """How long the pause in hand has lasted; None unless the run is paused."""
    if run.status != "paused" or run.paused_at is None:
        return None
    return max((now - run.paused_at).total_seconds(), 0.0)


def eta_seconds(run: RunSummary, progress: RunProgress, now: datetime) -> float | None:
    """Remaining items at the run's observed rate at work; None before there is a rate."""
    done = progress.global_progress.completed_items
    left = progress.global_progress.total_items - done
    spent = elapsed_seconds(run, now)
    if run.status != "running" or done == 0 or spent <= 0:
        return None
    return left / (done / spent)
