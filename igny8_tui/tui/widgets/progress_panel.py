"""The global progress bar: the run's percentage, items done of expected, and an ETA."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from igny8_tui.formatting import count, eta
from igny8_tui.schemas import DashboardSnapshot
from igny8_tui.tui.run_clock import eta_seconds


class ProgressPanel(Horizontal):
    def compose(self) -> ComposeResult:
        yield Label("Overall", id="progress-label")
        # No built-in ETA: it reads the wall clock; ours comes from the run's own rate.
        yield ProgressBar(total=100, show_eta=False, id="progress-bar")
        yield Label("", id="progress-items")
        yield Label("", id="progress-eta")

    def show(self, data: DashboardSnapshot, now: datetime) -> None:
        bar = self.query_one(ProgressBar)
        items = self.query_one("#progress-items", Label)
        remaining = self.query_one("#progress-eta", Label)
        if data.run is None or data.progress is None:
            bar.update(progress=0)
            items.update("no run yet")
            remaining.update("")
            return
        g = data.progress.global_progress
        bar.update(progress=g.percentage)
        items.update(f"{count(g.completed_items)} / {count(g.total_items)} items")
        if data.run.status == "running":
            remaining.update(f"ETA {eta(eta_seconds(data.run, data.progress, now))}")
        else:
            remaining.update(data.run.status)
