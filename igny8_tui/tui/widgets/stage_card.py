"""The pipeline cards: one per stage, with its pending work or its run's real counts."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label, Static

from igny8_tui.schemas import STAGES, StageOverview, StageProgress
from igny8_tui.tui.formatting import count, credits, duration

SHORT_NAMES = {
    1: "Keywords→Clusters",
    2: "Clusters→Ideas",
    3: "Ideas→Tasks",
    4: "Tasks→Content",
    5: "Content→Prompts",
    6: "Images",
    7: "Publish",
}
STATE_MARKS = {
    "waiting": "· waiting",
    "active": "▶",
    "paused": "❚❚ paused",
    "completed": "✓ done",
    "skipped": "⤼ skipped",
    "failed": "✗ failed",
    "cancelled": "■ cancelled",
}


def _made(number: int, result: dict[str, Any]) -> str:
    """What the stage turned its input into, in the sketch's words."""
    r = {k: count(v) if isinstance(v, int) else v for k, v in result.items()}
    return {
        1: lambda: f"{r['keywords_processed']} → {r['clusters_created']} clusters",
        2: lambda: f"{r['clusters_processed']} → {r['ideas_created']} ideas",
        3: lambda: f"{r['ideas_processed']} → {r['tasks_created']} tasks",
        4: lambda: f"{r['total_words']} words",
        5: lambda: f"{r['content_processed']} → {r['prompts_created']} prompts",
        6: lambda: f"{r['images_generated']} images",
        7: lambda: f"{r['published']} published",
    }[number]()


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
        if p is not None and p.result and p.processed_count:
            return _made(self.number, p.result)
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
        counts = f"  {self.counts}" if settled else ""
        cost = f"  {self.cost}" if self.cost else ""
        return f"{self.number} {SHORT_NAMES[self.number]:<17} {self.state_line}{counts}{cost}"


class StageCard(Widget):
    """A stage: its name, its state and counts, what it made, its credits and time."""

    def __init__(self, number: int) -> None:
        super().__init__(id=f"stage-{number}", classes="stage-card -waiting")
        self.number = number

    def compose(self) -> ComposeResult:
        yield Label(f"{self.number} {SHORT_NAMES[self.number]}", classes="card-title")
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
        for number in STAGES:
            yield StageCard(number)

    def show(self, overview: list[StageOverview], stages: list[StageProgress] | None) -> None:
        by_number = {s.number: s for s in stages or []}
        for item in overview:
            view = StageView(item, by_number.get(item.number))
            self.query_one(f"#stage-{item.number}", StageCard).show(view)
