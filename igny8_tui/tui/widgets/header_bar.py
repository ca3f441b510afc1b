"""The top line: the site, the credit balance, the run's status and elapsed time, the clock."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from igny8_tui.formatting import clock_time, credits, duration
from igny8_tui.schemas import DashboardSnapshot
from igny8_tui.tui.run_clock import elapsed_seconds

STATUS_MARKS = {
    "running": "● RUNNING",
    "paused": "❚❚ PAUSED",
    "completed": "✓ COMPLETED",
    "failed": "✗ FAILED",
    "cancelled": "■ CANCELLED",
}


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
            elapsed.update(duration(elapsed_seconds(data.run, now)))
        self.query_one("#hdr-clock", Label).update(clock_time(now))
