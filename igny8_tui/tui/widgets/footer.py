"""The footer of the dashboard and its screens: on a narrow terminal it tightens, and the keys
it can spare (they stay in help and the palette) give way, so Quit, Help and Sites show."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer

# Columns: below this width the app's layout is narrow (cards become rows) and the footer
# tightens.
WIDE_FROM = 110
# Actions whose keys leave the footer on a narrow terminal.
SPARE_WHEN_NARROW = frozenset({"config", "history", "items", "estimate", "log_search"})


# On a screen over the main view, the run's keys (still answered there) give way too: the
# screen's own keys come first.
RUN_KEYS = frozenset({"run_now", "pause", "resume", "cancel"})


class DashboardFooter(Footer):
    def __init__(self, narrow_below: int = WIDE_FROM, main_view: bool = False) -> None:
        super().__init__()
        self.narrow_below = narrow_below
        self.spare = SPARE_WHEN_NARROW if main_view else SPARE_WHEN_NARROW | RUN_KEYS

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if getattr(widget, "action", None) in self.spare:
                widget.add_class("-spare")
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < self.narrow_below
