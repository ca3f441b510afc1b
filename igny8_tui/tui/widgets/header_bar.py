"""The top line: the site, the credit balance, the run's status and elapsed time, the clock."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from igny8_tui.formatting import clock_time, credits, duration
from igny8_tui.schemas import DashboardSnapshot, RunSummary
from igny8_tui.tui.run_clock import elapsed_seconds, paused_for_seconds

STATUS_MARKS = {
    "running": "● RUNNING",
    "paused": "❚❚ PAUSED",
    "completed": "✓ COMPLETED",
    "failed": "✗ FAILED",
    "cancelled": "■ CANCELLED",
}


def run_time(run: RunSummary, now: datetime) -> str:
    """`12:41` at work, or `paused 0:05` while paused: a paused run's timer does not tick."""
    paused_for = paused_for_seconds(run, now)
    if paused_for is not None:
        return f"paused {duration(paused_for)}"
    return duration(elapsed_seconds(run, now))


class HeaderBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield Label(" igny8 ", id="hdr-brand")
        yield Label("", id="hdr-site")
        yield Label("", id="hdr-credits")
        yield Label("", id="hdr-status")
        yield Label("", id="hdr-elapsed")
        yield Label("", id="hdr-clock")

    def show(self, data: DashboardSnapshot, now: datetime) -> None:
        self.query_one("#hdr-site", Label).update(
            Text(f"site {data.site.name} ({data.site_number}/{data.site_count})")
        )
        self.query_one("#hdr-credits", Label).update(f"credits {credits(data.balance)}")
        status = self.query_one("#hdr-status", Label)
        elapsed = self.query_one("#hdr-elapsed", Label)
        status.set_classes(f"-{data.run.status}" if data.run else "-idle")
        if data.run is None:
            status.update("○ IDLE")
            elapsed.update("")
        else:
            status.update(f"{STATUS_MARKS[data.run.status]}  stage {data.run.current_stage}/7")
            elapsed.update(run_time(data.run, now))
        self.query_one("#hdr-clock", Label).update(clock_time(now))
