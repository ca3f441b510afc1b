"""Every key the dashboard answers to, grouped as the app passes them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from igny8_tui.tui.widgets.footer import DashboardFooter

# (group title, [(key, what it does), ...])
KeyGroups = list[tuple[str, list[tuple[str, str]]]]


class HelpScreen(ModalScreen[None]):
    """Escape or ? closes."""

    BINDINGS = [Binding("escape,question_mark", "close", "Close", id="help.close")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def __init__(self, groups: KeyGroups) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static("Keys", id="help-title", classes="screen-title")
            with VerticalScroll(id="help-body"), Grid(id="help-grid"):
                for title, keys in self.groups:
                    with Vertical(classes="help-group"):
                        yield Label(title, classes="help-group-title")
                        for key, description in keys:
                            yield Horizontal(
                                Label(key, classes="help-key"),
                                Label(description, classes="help-description"),
                                classes="help-row",
                            )
        yield DashboardFooter()

    def action_close(self) -> None:
        self.dismiss()
