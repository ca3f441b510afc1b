"""The pipeline cards: one per stage, with its pending work or its run's real counts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label, Static

from igny8_tui.formatting import count, credits, duration
from igny8_tui.runtime import STAGES, parse_stage_result, stage_class
from igny8_tui.schemas import StageOverview, StageProgress

STATE_MARKS = {
    "waiting": "· waiting",
    "active": "▶",
    "paused": "❚❚ paused",
    "completed": "✓ done",
    "skipped": "⤼ skipped",
    "failed": "✗ failed",
    "cancelled": "■ cancelled",
}


class StageView:
    """The text of one card, from the run's stage progress or, with no run, the overview."""

    def __init__(self, overview: StageOverview, progress: StageProgress | None) -> None:
        self.number = overview.number
        self.pending = overview.pending
        self.progress = progress
        self.state = progress.status if progress else ("skipped" if overview.skip else "waiting")

    @property
    def counts(self) -> str:
        p = self.progress
        if p is None or (p.status in ("waiting", "skipped") and p.processed_count == 0):
            return f"pending {count(self.pending)}"
        return f"{count(p.processed_count)} / {count(p.input_count)}"

    @property
    def state_line(self) -> str:
        if self.state == "active":
            return f"▶ {self.counts}"
        if self.state == "paused":
            return f"❚❚ {self.counts}"
        return STATE_MARKS[self.state]

    @property
    def detail(self) -> str:
        p = self.progress
        if p is not None and p.status == "skipped" and p.skip_reason:
            return p.skip_reason
        result = parse_stage_result(self.number, p.result) if p is not None else None
        if result is not None and result.processed_count:
            return stage_class(self.number).made_text(result)
        if p is not None and p.status == "skipped":
            return "switched off"
        return f"pending {count(self.pending)}"

    @property
    def cost(self) -> str:
        p = self.progress
        if p is None or (p.status in ("waiting", "skipped") and not p.processed_count):
            return ""
        spent = f"{credits(p.credits_used)} cr" if p.credits_used else "—"
        return f"{spent} {duration(p.time_elapsed)}"

    @property
    def row(self) -> str:
        """The one-line form for narrow terminals: number, name, state, counts, credits."""
        settled = self.state in ("completed", "failed", "cancelled")
        counts = f"  {self.counts}" if settled or (self.state == "waiting" and self.pending) else ""
        cost = f"  {self.cost}" if self.cost else ""
        name = stage_class(self.number).card_name
        return f"{self.number} {name:<17} {self.state_line}{counts}{cost}"


class StageCard(Widget):
    """A stage: its name, its state and counts, what it made, its credits and time."""

    def __init__(self, number: int) -> None:
        super().__init__(id=f"stage-{number}", classes="stage-card -waiting")
        self.number = number

    def compose(self) -> ComposeResult:
        yield Label(f"{self.number} {stage_class(self.number).card_name}", classes="card-title")
        yield Label("", classes="card-state")
        yield Label("", classes="card-detail")
        yield Label("", classes="card-cost")
        yield Static("", classes="card-row")

    def show(self, view: StageView) -> None:
        self.set_classes(f"stage-card -{view.state}")
        self.query_one(".card-state", Label).update(view.state_line)
        self.query_one(".card-detail", Label).update(view.detail)
        self.query_one(".card-cost", Label).update(view.cost)
        self.query_one(".card-row", Static).update(view.row)


class PipelineCards(Horizontal):
    """Seven cards in a row; on a narrow terminal, seven one-line rows."""

    def compose(self) -> ComposeResult:
        for stage in STAGES:
            yield StageCard(stage.number)

    def show(self, overview: list[StageOverview], stages: list[StageProgress] | None) -> None:
        by_number = {s.number: s for s in stages or []}
        for item in overview:
            view = StageView(item, by_number.get(item.number))
            self.query_one(f"#stage-{item.number}", StageCard).show(view)
