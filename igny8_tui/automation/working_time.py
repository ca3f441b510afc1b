"""A run's time at work: what durations, the run timer and rates count (pauses are left out)."""

from __future__ import annotations

from datetime import datetime

from igny8_tui.db.models import AutomationRun


def working_seconds(run: AutomationRun, now: datetime) -> float:
    """The run's time at work: started to finished (or `now`), less the time it spent paused."""
    end = run.finished_at or now
    if run.status == "paused" and run.paused_at is not None:
        end = min(end, run.paused_at)
    return max((end - run.started_at).total_seconds() - (run.paused_seconds or 0.0), 0.0)
