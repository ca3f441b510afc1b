"""The site's last runs, and one run's detail: stage results, initial queue, errors and log."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, RichLog, Static

from igny8_tui.constants import HISTORY_LIMIT
from igny8_tui.formatting import clock_time, count, credits, date_time, duration, host_sentence
from igny8_tui.runtime import Runtime, parse_stage_result, stage_class
from igny8_tui.schemas import LogEntry, RunProgress, RunSummary, StageProgress
from igny8_tui.tui.widgets.footer import DashboardFooter

RUN_LOG_MAX_LINES = 5000

NO_VALUE = "—"

# Terminal (ANSI) colours, so levels stay readable under every theme and in ANSI mode.
LEVEL_STYLES: dict[str, str] = {"DEBUG": "dim", "INFO": "", "WARN": "yellow", "ERROR": "bold red"}


def _right(text: str) -> Text:
    return Text(text, justify="right")


def _run_note(run: RunSummary) -> str:
    """Why a run stopped or where it stands, when that is not plain from its status."""
    if run.error_message:
        return run.error_message
    if run.pause_reason:
        return run.pause_reason
    if run.host_state in ("stuck", "waiting"):
        return host_sentence(run) or ""
    return ""


@dataclass
class HistoryLoaded(Message):
    runs: list[RunSummary]
    notes: list[LogEntry]


@dataclass
class RunDetailLoaded(Message):
    run: RunSummary
    progress: RunProgress
    logs: list[LogEntry]


class HistoryScreen(Screen[None]):
    """The last runs of a site, newest first; Enter opens one."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="history.back"),
        # Not a priority binding: Enter waits behind the arrow keys typed before it.
        Binding("enter", "open_run", "Open run", id="history.open"),
        Binding("r", "reload", "Refresh", id="history.refresh"),
    ]

    def __init__(self, runtime: Runtime, site_id: int, site_name: str) -> None:
        super().__init__()
        self.runtime = runtime
        self.site_id = site_id
        self.site_name = site_name

    def compose(self) -> ComposeResult:
        title = f"History · {self.site_name} · last {HISTORY_LIMIT} runs"
        yield Static(title, id="history-title", classes="screen-title")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Static("Loading…", id="history-empty")
        with VerticalScroll(id="history-notes"):
            yield Static("Scheduled runs not started", classes="section-title")
            yield Static(id="history-notes-text")
        yield DashboardFooter()

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        table.add_column("Run", key="run")
        table.add_columns("Trigger", "Status", "Started")
        table.add_column(_right("Duration"))
        table.add_column(_right("Credits"))
        table.add_column(_right("Items"))
        table.add_column("Note")
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, group="history", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        service = self.runtime.service
        runs = service.history(self.site_id)
        self.post_message(HistoryLoaded(runs, service.schedule_notes(self.site_id)))

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        runs = message.runs
        table = self.query_one("#history-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for run in runs:
            table.add_row(
                _right(str(run.run_id)),
                run.trigger_type,
                run.status,
                date_time(run.started_at),
                _right(duration(run.duration_seconds)),
                _right(credits(run.total_credits_used)),
                _right(count(run.items_processed)),
                _run_note(run),
                key=str(run.run_id),
            )
        if runs:
            table.move_cursor(row=min(cursor, len(runs) - 1))
        table.display = bool(runs)
        empty = self.query_one("#history-empty", Static)
        empty.update("No runs yet for this site.")
        empty.display = not runs
        notes = message.notes
        self.query_one("#history-notes").display = bool(notes)
        self.query_one("#history-notes-text", Static).update(
            "\n".join(f"{date_time(note.created_at)}  {note.message}" for note in notes)
        )

    @on(DataTable.RowSelected, "#history-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._open(int(event.row_key.value))

    def action_open_run(self) -> None:
        table = self.query_one("#history-table", DataTable)
        if table.row_count:
            table.action_select_cursor()

    def _open(self, run_id: int) -> None:
        self.app.push_screen(RunDetailScreen(self.runtime, self.site_id, run_id))

    def action_back(self) -> None:
        self.dismiss()


LOG_PREFIX_WIDTH = len("00:00:00 ERROR s7 ")


def log_entry_text(entry: LogEntry, width: int, console: Console) -> Text:
    """`time level stage message`, the message wrapped to `width` with a hanging indent."""
    prefix = Text.assemble(
        (clock_time(entry.created_at), "dim"),
        " ",
        (f"{entry.level:<5}", LEVEL_STYLES[entry.level]),
        " ",
        (f"s{entry.stage}" if entry.stage else "  ", "dim"),
        " ",
    )
    message = Text(entry.message, style=LEVEL_STYLES[entry.level])
    lines = message.wrap(console, width - LOG_PREFIX_WIDTH)
    indent = " " * LOG_PREFIX_WIDTH
    return Text("\n").join(
        Text.assemble(prefix if i == 0 else indent, line) for i, line in enumerate(lines)
    )


def stage_row(stage: StageProgress) -> tuple[str | Text, ...]:
    """One stage's result as the detail table shows it (the spec's fields)."""
    name = f"{stage.number} {stage_class(stage.number).short_name}"
    result = parse_stage_result(stage.number, stage.result)
    if result is None:
        empty = _right(NO_VALUE)
        skip_reason = stage.skip_reason or ""
        return (name, stage.status, empty, NO_VALUE, empty, empty, empty, empty, skip_reason)
    created = " · ".join(f"{count(n)} {noun}" for n, noun in result.made())
    state = f"{result.status} (partial)" if result.partial else result.status
    return (
        name,
        state,
        _right(f"{count(result.processed_count)}/{count(result.input_count)}"),
        created,
        _right(credits(result.credits_used)),
        _right(duration(result.time_elapsed)),
        _right(count(result.batches_run)),
        _right(count(result.items_failed)),
        result.skip_reason or "",
    )


class RunDetailScreen(Screen[None]):
    """One run: the seven stage results, the initial queue, the errors and the whole log."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="run_detail.back"),
        Binding("r", "reload", "Refresh", id="run_detail.refresh"),
    ]

    def __init__(self, runtime: Runtime, site_id: int, run_id: int) -> None:
        super().__init__()
        self.runtime = runtime
        self.site_id = site_id
        self.run_id = run_id
        self._log_entries: list[LogEntry] = []
        self._log_width = 0

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title", classes="screen-title")
        yield Static(id="detail-summary")
        yield DataTable(id="detail-stages", cursor_type="none", zebra_stripes=True)
        yield Static(id="detail-snapshot")
        with VerticalScroll(id="detail-errors"):
            yield Static(id="detail-errors-text")
        yield RichLog(id="detail-log", max_lines=RUN_LOG_MAX_LINES, wrap=True)
        yield DashboardFooter()

    def on_mount(self) -> None:
        table = self.query_one("#detail-stages", DataTable)
        table.add_columns("Stage", "State")
        table.add_column(_right("Processed"))
        table.add_column("Created")
        for label in ("Credits", "Time", "Batches", "Failed"):
            table.add_column(_right(label))
        table.add_column("Skip reason")
        self.action_reload()
        self.query_one("#detail-log", RichLog).focus()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, group="run-detail", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        service = self.runtime.service
        run = service.run(self.site_id, self.run_id)
        progress = service.run_progress(self.site_id, self.run_id)
        assert progress is not None  # a run id always has a progress
        logs = service.logs(self.site_id, self.run_id, RUN_LOG_MAX_LINES)
        self.post_message(RunDetailLoaded(run, progress, logs))

    def on_run_detail_loaded(self, message: RunDetailLoaded) -> None:
        run, progress = message.run, message.progress
        self._show_summary(run)
        table = self.query_one("#detail-stages", DataTable)
        table.clear()
        for stage in progress.stages:
            table.add_row(*stage_row(stage), key=str(stage.number))
        # The rows widen the columns; the header is drawn again to the new widths (it could
        # otherwise keep the widths of its titles alone).
        table.refresh()
        snapshot = progress.initial_snapshot
        queue = " · ".join(
            f"s{n} {count(snapshot.get(f'stage_{n}_initial', 0))}"
            for n in (s.number for s in progress.stages)
        )
        total = count(snapshot.get("total_initial_items", 0))
        self.query_one("#detail-snapshot", Static).update(f"Initial queue  {queue} · total {total}")
        self._show_errors(run, progress.stages)
        self._show_log(message.logs)

    def _show_summary(self, run: RunSummary) -> None:
        title = self.query_one("#detail-title", Static)
        summary = self.query_one("#detail-summary", Static)
        title.update(f"Run {run.run_id} · {run.trigger_type} · {run.status}")
        summary.update(
            f"started {date_time(run.started_at)} · duration {duration(run.duration_seconds)}"
            f" · {credits(run.total_credits_used)} credits · {count(run.items_processed)} items"
        )

    def _show_errors(self, run: RunSummary, stages: list[StageProgress]) -> None:
        lines = []
        if run.error_message:
            lines.append(f"run: {run.error_message}")
        for stage in stages:
            result = parse_stage_result(stage.number, stage.result)
            for error in result.errors if result else []:
                lines.append(f"stage {stage.number}: {error}")
        errors = self.query_one("#detail-errors-text", Static)
        errors.update("Errors\n" + "\n".join(lines) if lines else "No errors.")
        errors.set_class(bool(lines), "has-errors")

    def _show_log(self, entries: list[LogEntry]) -> None:
        self._log_entries = entries
        self._log_width = 0
        lines = f"{count(len(entries))} line{'' if len(entries) == 1 else 's'}"
        self.query_one("#detail-log", RichLog).border_title = f"Log · {lines}"
        self.call_after_refresh(self._render_log)

    def on_resize(self) -> None:
        self.call_after_refresh(self._render_log)

    def _render_log(self) -> None:
        """Write the log to the width the RichLog has now: wrapped messages stay indented
        under the message column, so each entry reads as one block."""
        log = self.query_one("#detail-log", RichLog)
        width = log.scrollable_content_region.width - log.styles.scrollbar_size_vertical
        if width <= LOG_PREFIX_WIDTH or width == self._log_width:
            return
        self._log_width = width
        log.clear()
        for entry in self._log_entries:
            log.write(log_entry_text(entry, width, self.app.console), width=width)
        if not self._log_entries:
            log.write("No log lines for this run.")

    def action_back(self) -> None:
        self.dismiss()
