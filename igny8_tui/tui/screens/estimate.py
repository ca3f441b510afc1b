"""What a run started now would cost, stage by stage, and whether the balance covers it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from igny8_tui.formatting import count, credits
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import Estimate, PipelineOverview
from igny8_tui.tui.widgets.footer import DashboardFooter

BASIS_TEXT = {
    "defaults": "basis: default ratios (no completed run yet)",
    "history": "basis: this site's completed runs",
}


def verdict(estimate: Estimate) -> str:
    if estimate.sufficient and not any(stage.items for stage in estimate.stages):
        return "✓ a run can start, though nothing is pending now"
    if estimate.sufficient:
        return "✓ a run can start"
    need, have = credits(estimate.required_credits), credits(estimate.balance)
    return f"✗ not enough credits: need {need}, have {have}"


def totals_rows(estimate: Estimate) -> list[tuple[str, str]]:
    """Total, the buffered amount a run requires, and the balance it is checked against."""
    return [
        ("total", credits(estimate.total_credits)),
        (f"required (× {estimate.buffer_multiplier:g} buffer)", credits(estimate.required_credits)),
        ("balance", credits(estimate.balance)),
    ]


@dataclass
class EstimateLoaded(Message):
    estimate: Estimate
    overview: PipelineOverview


class EstimateScreen(ModalScreen[None]):
    """The per-stage estimate for a run now; Escape closes."""

    BINDINGS = [Binding("escape", "close", "Close", id="estimate.close")]

    def __init__(self, runtime: Runtime, site_id: int, site_name: str) -> None:
        super().__init__()
        self.runtime = runtime
        self.site_id = site_id
        self.site_name = site_name

    def compose(self) -> ComposeResult:
        with Vertical(id="estimate-dialog"):
            yield Static(
                f"Estimate · {self.site_name} · a run started now",
                id="estimate-title",
                classes="screen-title",
            )
            yield DataTable(id="estimate-stages", cursor_type="none", zebra_stripes=True)
            yield Static(id="estimate-verdict")
            yield Static(id="estimate-basis")
        yield DashboardFooter()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, group="estimate", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        service = self.runtime.service
        self.post_message(
            EstimateLoaded(service.estimate(self.site_id), service.pipeline_overview(self.site_id))
        )

    def on_estimate_loaded(self, message: EstimateLoaded) -> None:
        estimate, overview = message.estimate, message.overview
        skipped = {stage.number for stage in overview.stages if stage.skip}
        table = self.query_one("#estimate-stages", DataTable)
        table.add_column("Stage")
        table.add_column(Text("Items", justify="right"))
        table.add_column(Text("Credits", justify="right"))
        for stage in estimate.stages:
            name = f"{stage.number} {stage.name}" + (" (off)" if stage.number in skipped else "")
            table.add_row(
                name,
                Text(count(stage.items), justify="right"),
                Text(credits(stage.credits), justify="right"),
            )
        for label, amount in totals_rows(estimate):
            table.add_row(label, "", Text(amount, justify="right"), key=label)
        verdict_line = self.query_one("#estimate-verdict", Static)
        verdict_line.update(verdict(estimate))
        verdict_line.set_class(estimate.sufficient, "-sufficient")
        verdict_line.set_class(not estimate.sufficient, "-short")
        self.query_one("#estimate-basis", Static).update(BASIS_TEXT[estimate.basis])

    def action_close(self) -> None:
        self.dismiss()
