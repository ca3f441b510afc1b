"""A run's time on the dashboard's clock: elapsed while active, and the ETA at its own rate."""

from __future__ import annotations

from datetime import datetime

from igny8_tui.schemas import RunProgress, RunSummary


def elapsed_seconds(run: RunSummary, now: datetime) -> float:
    """Wall-clock time of the run: up to `now` while active, to its end once finished."""
    if run.active:
        return max((now - run.started_at).total_seconds(), 0.0)
    return run.duration_seconds


def eta_seconds(run: RunSummary, progress: RunProgress, now: datetime) -> float | None:
    """Remaining items at the run's observed rate so far; None before there is a rate."""
    done = progress.global_progress.completed_items
    left = progress.global_progress.total_items - done
    spent = elapsed_seconds(run, now)
    if run.status != "running" or done == 0 or spent <= 0:
        return None
    return left / (done / spent)
