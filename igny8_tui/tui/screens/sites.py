"""Picking the site the dashboard shows: each site with its pending work and its run's state."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from igny8_tui.formatting import count, date_time, eta
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import PipelineOverview, RunSummary, SiteState
from igny8_tui.tui.widgets.footer import DashboardFooter

# What each stage's pending count counts, in the order of the stages.
PENDING_ABBREVIATIONS = ("kw", "cl", "id", "tk", "ct", "im", "pub")


def pending_line(overview: PipelineOverview) -> str:
    """pending kw 150 · cl 0 · id 0 · tk 0 · ct 0 · im 0 · pub 0 (a switched-off stage: `off`)."""
    return "pending " + " · ".join(
        f"{abbr} {'off' if stage.skip else count(stage.pending)}"
        for abbr, stage in zip(PENDING_ABBREVIATIONS, overview.stages, strict=True)
    )


def last_run_line(state: SiteState) -> str:
    """How the site's last run ended (or that none ran yet), and where the site publishes."""
    last = state.last_run
    target = f"→ {state.target}"
    if state.run is not None:
        return target
    if last is None:
        return f"no run yet  {target}"
    ended = (
        f"last run {last.run_id} {last.status} {date_time(last.completed_at or last.cancelled_at)}"
    )
    if last.status == "failed" and last.error_message:
        ended = f"last run {last.run_id} failed: {last.error_message}"
    made = f" · {count(last.items_processed)} items" if last.status == "completed" else ""
    return f"{ended}{made}  {target}"


def run_state(run: RunSummary | None) -> str:
    """idle, running stage N/7 (on which host), paused at stage N/7, stuck, waiting for a host."""
    if run is None:
        return "idle"
    where = f"stage {run.current_stage}/7"
    if run.status == "paused":
        return f"paused at {where}"
    if run.host_state == "stuck":
        return f"stuck at {where} (no heartbeat for {eta(run.seconds_since_heartbeat)})"
    if run.host_state == "waiting":
        return f"waiting for a host at {where}"
    return f"running {where}" + (f" on {run.host}" if run.host else "")


@dataclass
class SitesLoaded(Message):
    states: list[SiteState]


class SitePickerScreen(ModalScreen[int | None]):
    """One row per site; Enter picks it, Escape keeps the current one."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="sites.cancel"),
        # Not a priority binding: Enter waits behind the arrow keys typed before it, so
        # `down enter` picks the row `down` moved to.
        Binding("enter", "pick", "Pick", id="sites.pick"),
    ]

    def __init__(self, runtime: Runtime, current_site_id: int) -> None:
        super().__init__()
        self.runtime = runtime
        self.current_site_id = current_site_id

    def compose(self) -> ComposeResult:
        with Vertical(id="sites-dialog"):
            yield Static("Sites", id="sites-title", classes="screen-title")
            yield OptionList(id="sites-list")
        yield DashboardFooter()

    @work(thread=True, group="sites", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        self.post_message(SitesLoaded(self.runtime.service.site_states()))

    def _options(self, states: list[SiteState]) -> list[Option]:
        name_width = max((len(state.site.name) for state in states), default=0)
        options = []
        for entry in states:
            site = entry.site
            marker = "● " if site.id == self.current_site_id else "  "
            state = run_state(entry.run)
            prompt = Content.assemble(
                (f"{marker}{site.name:<{name_width}}", "bold"),
                "  ",
                (state, "$text-accent"),
                f"\n  {pending_line(entry.overview)}",
                (f"\n  {last_run_line(entry)}", "$text-muted"),
            )
            options.append(Option(prompt, id=str(site.id)))
        return options

    def on_mount(self) -> None:
        self.query_one("#sites-list", OptionList).focus()
        self._load()

    def on_sites_loaded(self, message: SitesLoaded) -> None:
        options = self.query_one("#sites-list", OptionList)
        options.clear_options()
        options.add_options(self._options(message.states))
        try:
            options.highlighted = options.get_option_index(str(self.current_site_id))
        except OptionDoesNotExist:  # the current site was removed meanwhile
            options.highlighted = 0 if options.option_count else None

    @on(OptionList.OptionSelected, "#sites-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option_id is not None:
            self.dismiss(int(event.option_id))

    def action_pick(self) -> None:
        self.query_one("#sites-list", OptionList).action_select()

    def action_cancel(self) -> None:
        self.dismiss(None)
