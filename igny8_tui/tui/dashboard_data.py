"""Everything the main screen shows, read from the database in one go (off the UI thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from igny8_tui.runtime import Runtime
from igny8_tui.schemas import (
    CurrentProcessing,
    LogEntry,
    PipelineOverview,
    RunProgress,
    RunSummary,
)
from igny8_tui.workspace import SiteInfo

LOG_BATCH_LINES = 500


@dataclass(frozen=True)
class DashboardData:
    site: SiteInfo
    site_number: int
    site_count: int
    balance: float
    run: RunSummary | None
    progress: RunProgress | None
    processing: CurrentProcessing | None
    overview: PipelineOverview
    log_run_id: int | None
    new_logs: list[LogEntry]

    @property
    def active(self) -> bool:
        return self.run is not None and self.run.status in ("running", "paused")


def load_dashboard(
    runtime: Runtime, site_id: int, log_run_id: int | None, after_log_id: int
) -> DashboardData:
    """The site's active run (or its latest), its progress, the pipeline and new log lines.

    Log lines follow the shown run: when it changes, they start again from its beginning."""
    service = runtime.service
    sites = runtime.workspace.list_sites()
    site = next(s for s in sites if s.id == site_id)
    run = service.current_run(site_id) or next(iter(service.history(site_id, limit=1)), None)
    run_id = run.run_id if run else None
    if run_id != log_run_id:
        after_log_id = 0
    logs = (
        service.logs(site_id, run_id, LOG_BATCH_LINES, after_id=after_log_id)
        if run_id is not None
        else []
    )
    return DashboardData(
        site=site,
        site_number=[s.id for s in sites].index(site_id) + 1,
        site_count=len(sites),
        balance=runtime.workspace.balance(),
        run=run,
        progress=service.run_progress(site_id, run_id) if run_id else None,
        processing=service.current_processing(site_id),
        overview=service.pipeline_overview(site_id),
        log_run_id=run_id,
        new_logs=logs,
    )


def elapsed_seconds(run: RunSummary, now: datetime) -> float:
    """Wall-clock time of the run: up to `now` while active, to its end once finished."""
    if run.status in ("running", "paused"):
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
