"""The live activity log: follows the run, can be paused, filtered by level, stage or text."""

from __future__ import annotations

from collections import deque
from typing import TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, RichLog

from igny8_tui.formatting import clock_time
from igny8_tui.schemas import LOG_LEVELS, LogEntry, LogLevel

MAX_SHOWN_LINES = 2000
MAX_KEPT_ENTRIES = 5000
LEVEL_FILTERS: tuple[LogLevel | None, ...] = (None, "INFO", "WARN", "ERROR")
STAGE_FILTERS: tuple[int | None, ...] = (None, 1, 2, 3, 4, 5, 6, 7)


T = TypeVar("T")


def _next(options: tuple[T, ...], current: T) -> T:
    return options[(options.index(current) + 1) % len(options)]


class ActivityLog(Vertical):
    """Keeps the run's recent entries (bounded) and shows those that pass the filters."""

    COMPONENT_CLASSES = {
        "activity-log--time",
        "activity-log--debug",
        "activity-log--info",
        "activity-log--warn",
        "activity-log--error",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: deque[LogEntry] = deque(maxlen=MAX_KEPT_ENTRIES)
        self.min_level: LogLevel | None = None
        self.stage: int | None = None
        self.text = ""
        self.following = True
        self.held = 0
        self._wrapped_at = 0

    def compose(self) -> ComposeResult:
        yield RichLog(max_lines=MAX_SHOWN_LINES, id="log-lines", wrap=True, min_width=20)
        yield Input(placeholder="filter text (Enter keeps, Escape clears)", id="log-search")

    def on_mount(self) -> None:
        self.query_one("#log-search", Input).display = False
        self._show_filters()

    # ----- entries -----

    def reset(self) -> None:
        self.entries.clear()
        self.held = 0
        self.query_one(RichLog).clear()

    def add(self, entries: list[LogEntry]) -> None:
        self.entries.extend(entries)
        if not self.following:
            self.held += sum(1 for e in entries if self._passes(e))
            self._show_filters()
            return
        log = self.query_one(RichLog)
        for entry in entries:
            if self._passes(entry):
                log.write(self._line(entry))

    def _passes(self, entry: LogEntry) -> bool:
        if self.min_level and LOG_LEVELS.index(entry.level) < LOG_LEVELS.index(self.min_level):
            return False
        if self.stage is not None and entry.stage != self.stage:
            return False
        return not self.text or self.text.casefold() in entry.message.casefold()

    def _line(self, entry: LogEntry) -> Text:
        line = Text()
        line.append(
            clock_time(entry.created_at), self.get_component_rich_style("activity-log--time")
        )
        style = self.get_component_rich_style(f"activity-log--{entry.level.lower()}")
        line.append(f" {entry.level:<5} ", style)
        line.append(f"s{entry.stage} " if entry.stage else "   ")
        line.append(entry.message)
        return line

    def shown_entries(self) -> list[LogEntry]:
        """The kept entries that pass the filters: what the log shows."""
        return [entry for entry in self.entries if self._passes(entry)]

    def _redraw(self) -> None:
        log = self.query_one(RichLog)
        log.clear()
        for entry in self.shown_entries():
            log.write(self._line(entry))
        self.held = 0
        self._show_filters()

    # ----- filters and following -----

    def cycle_level(self) -> None:
        self.min_level = _next(LEVEL_FILTERS, self.min_level)
        self._redraw()

    def cycle_stage(self) -> None:
        self.stage = _next(STAGE_FILTERS, self.stage)
        self._redraw()

    def toggle_follow(self) -> None:
        self.following = not self.following
        self.query_one(RichLog).auto_scroll = self.following
        if self.following:
            self._redraw()
        self._show_filters()

    def open_search(self) -> None:
        search = self.query_one("#log-search", Input)
        search.display = True
        search.value = self.text
        search.focus()

    def on_resize(self) -> None:
        """Lines are wrapped when written: a new width writes them again, wrapped to it (the
        first lines may land before the layout settles). A smaller log (a smaller terminal)
        keeps its newest line in view while following."""
        if self.size.width != self._wrapped_at:
            self._wrapped_at = self.size.width
            if self.entries:
                # After the layout, so the lines below are wrapped to their new width.
                self.call_after_refresh(self._redraw)
        if self.following:
            log = self.query_one(RichLog)
            self.call_after_refresh(log.scroll_end, animate=False, immediate=True)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.text = event.value
        self._redraw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.app.set_focus(None)

    def clear_search(self) -> None:
        search = self.query_one("#log-search", Input)
        search.value = ""
        search.display = False
        self.text = ""
        self._redraw()

    def _show_filters(self) -> None:
        level = f"{self.min_level.lower()}+" if self.min_level else "all levels"
        stage = f"stage {self.stage}" if self.stage else "all stages"
        text = f' · "{self.text}"' if self.text else ""
        follow = "following" if self.following else f"paused · {self.held} new"
        # In the border's title, not a line of its own: a small terminal keeps that line for
        # the log. Content() shows the text as it is (no markup).
        self.border_title = Content(f"Activity · {level} · {stage}{text} · {follow}")

    @property
    def filters_text(self) -> str:
        """The log's title: its filters and whether it follows."""
        return str(self.border_title or "")
