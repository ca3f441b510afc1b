"""Every host that holds a run or was seen in the last day: its process, its state, the runs it
holds with their fencing tokens and heartbeats, and how each stuck run is recovered. Read each
second in a worker thread; the cursor stays on its host."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from igny8_tui.errors import Igny8Error
from igny8_tui.formatting import duration, host_process, last_claim
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import HeldLease, HostView
from igny8_tui.tui.widgets.footer import WIDE_FROM, DashboardFooter

Clock = Callable[[], datetime]

HOSTS_REFRESH_S = 1.0
# Below WIDE_FROM columns the host's name goes (its process says the same) and so does the
# count of runs it claimed; the runs column takes what is left, within these bounds.
RUNS_MIN_WIDTH = 24
RUNS_MAX_WIDTH = 60
# Each cell's padding (one each side), and room for the vertical scrollbar.
CELL_PADDING = 2
SCROLLBAR_WIDTH = 2
NO_VALUE = "—"
TITLE = "Hosts · holding a run now, or seen in the last 24 hours"
# Terminal (ANSI) colours, readable under every theme and in ANSI mode.
STATE_STYLES = {"holding": "green", "idle": "", "stopped": "dim", "gone": "red"}
STUCK_STYLE = "yellow"
LEGEND = (
    "Stuck: its host missed two heartbeats, its process is gone, or its lease ran out. Another"
    " host recovers it."
)
EMPTY = (
    "No host holds a run, and none was seen in the last 24 hours. Start one: `igny8 daemon`,"
    " `igny8 run --site NAME`, or the dashboard."
)


@dataclass
class HostsLoaded(Message):
    hosts: list[HostView]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    right: bool = False


def columns(wide: bool) -> list[Column]:
    shown = [
        Column("process", "Process"),
        Column("state", "State"),
        Column("runs", "Runs held"),
        Column("token", "Token", right=True),
        Column("beat", "Heartbeat" if wide else "Beat", right=True),
    ]
    if wide:
        shown.insert(0, Column("name", "Host"))
        shown.append(Column("claimed", "Claimed", right=True))
    return shown


def _lines(text: str, width: int, console: Console) -> int:
    return max(len(Text(text).wrap(console, width)), 1)


def _lease_lines(
    lease: HeldLease, width: int, console: Console
) -> tuple[list[Text], list[Text], list[Text]]:
    """A held run's lines in the runs, token and heartbeat columns, kept level with each other
    when the run's name or its recovery sentence wraps."""
    style = STUCK_STYLE if lease.stuck else ""
    run = f"run {lease.run_id} · {lease.site_name}"
    runs = [Text(run, style=style)]
    height = _lines(run, width, console)
    if lease.recovery:
        runs.append(Text(lease.recovery, style=STUCK_STYLE))
        height += _lines(lease.recovery, width, console)
    padding = "\n" * (height - 1)
    beat = duration(lease.seconds_since_heartbeat) if lease.heartbeat_at else NO_VALUE
    return (
        runs,
        [Text(f"{lease.token}{padding}", justify="right")],
        [Text(f"{beat}{padding}", style=style, justify="right")],
    )


def host_cells(host: HostView, width: int, console: Console) -> dict[str, Text]:
    """One host's row, by column key; `width` is the runs column's."""
    seen = duration(host.seconds_since_seen) if host.seconds_since_seen is not None else NO_VALUE
    if host.leases:
        runs: list[Text] = []
        tokens: list[Text] = []
        beats: list[Text] = []
        for lease in host.leases:
            lease_runs, lease_tokens, lease_beats = _lease_lines(lease, width, console)
            runs += lease_runs
            tokens += lease_tokens
            beats += lease_beats
        # A joined Text takes its justification from the separator.
        runs_cell = Text("\n").join(runs)
        token_cell = Text("\n", justify="right").join(tokens)
        beat_cell = Text("\n", justify="right").join(beats)
    else:
        runs_cell = Text(last_claim(host), style="dim")
        last_token = NO_VALUE if host.last_token is None else str(host.last_token)
        token_cell = Text(last_token, style="dim", justify="right")
        beat_cell = Text(seen, justify="right")
    return {
        "name": Text(host.name),
        "process": Text(host_process(host)),
        "state": Text(host.state, style=STATE_STYLES[host.state]),
        "runs": runs_cell,
        "token": token_cell,
        "beat": beat_cell,
        # A host known only from the run it holds (an older igny8 wrote it) has no count.
        "claimed": Text(
            NO_VALUE if host.started_at is None else str(host.runs_claimed), justify="right"
        ),
    }


def _width(text: Text) -> int:
    return max((len(line) for line in text.plain.splitlines()), default=0)


def runs_width(
    shown: Sequence[Column], cells: list[dict[str, Text]], table_width: int
) -> tuple[int, dict[str, int]]:
    """The other columns as wide as their widest cell; the runs column takes the rest."""
    widths = {
        column.key: max([len(column.label), *(_width(row[column.key]) for row in cells)])
        for column in shown
        if column.key != "runs"
    }
    spare = table_width - sum(widths.values()) - CELL_PADDING * len(shown) - SCROLLBAR_WIDTH
    return max(RUNS_MIN_WIDTH, min(RUNS_MAX_WIDTH, spare)), widths


def summary(hosts: list[HostView]) -> str:
    states = ("holding", "idle", "stopped", "gone")
    counts = [f"{n} {state}" for state in states if (n := sum(h.state == state for h in hosts))]
    stuck = sum(len(host.stuck) for host in hosts)
    if stuck:
        counts.append(f"{stuck} run{'' if stuck == 1 else 's'} stuck")
    return " · ".join(counts)


class HostsScreen(Screen[None]):
    """The hosts, refreshed each second; Escape goes back."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="hosts.back"),
        Binding("r", "reload", "Refresh", id="hosts.refresh"),
    ]

    def __init__(self, runtime: Runtime, clock: Clock) -> None:
        super().__init__()
        self.runtime = runtime
        self.clock = clock
        self.hosts: list[HostView] | None = None

    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="hosts-title", classes="screen-title")
        yield Static("Loading…", id="hosts-summary")
        yield DataTable(id="hosts-table", cursor_type="row", zebra_stripes=True)
        yield Static(EMPTY, id="hosts-empty")
        yield Static(LEGEND, id="hosts-legend")
        yield DashboardFooter()

    def on_mount(self) -> None:
        self.query_one("#hosts-empty").display = False
        self.set_interval(HOSTS_REFRESH_S, self.action_reload)
        self.action_reload()
        self.query_one("#hosts-table", DataTable).focus()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, group="hosts", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        self.post_message(HostsLoaded(self.runtime.service.hosts(self.clock())))

    def on_hosts_loaded(self, message: HostsLoaded) -> None:
        self.hosts = message.hosts
        self._show()

    def on_resize(self) -> None:
        if self.hosts is not None:
            self.call_after_refresh(self._show)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed read is said once on the summary line, not as a notice each second."""
        if event.state is not WorkerState.ERROR or event.worker.group != "hosts":
            return
        event.stop()
        error = event.worker.error
        text = str(error) if isinstance(error, Igny8Error) else f"{type(error).__name__}: {error}"
        line = self.query_one("#hosts-summary", Static)
        line.update(f"cannot read the hosts: {text}")
        line.set_class(True, "-error")

    def _show(self) -> None:
        hosts = self.hosts or []
        table = self.query_one("#hosts-table", DataTable)
        shown = columns(wide=self.size.width >= WIDE_FROM)
        cursor_host = self._cursor_host(table)
        console = self.app.console
        cells = [host_cells(host, RUNS_MIN_WIDTH, console) for host in hosts]
        width, widths = runs_width(shown, cells, self.size.width)
        cells = [host_cells(host, width, console) for host in hosts]
        with self.app.batch_update():
            table.clear(columns=True)
            for column in shown:
                label = Text(column.label, justify="right" if column.right else "left")
                table.add_column(label, key=column.key, width=widths.get(column.key, width))
            for host, row in zip(hosts, cells, strict=True):
                table.add_row(*(row[c.key] for c in shown), key=host.name, height=None)
            names = [host.name for host in hosts]
            if cursor_host in names:
                table.move_cursor(row=names.index(cursor_host), animate=False)
        table.display = bool(hosts)
        self.query_one("#hosts-empty").display = not hosts
        line = self.query_one("#hosts-summary", Static)
        line.update(summary(hosts) or "no hosts")
        line.set_class(False, "-error")
        line.set_class(any(host.stuck for host in hosts), "-stuck")

    @staticmethod
    def _cursor_host(table: DataTable[Any]) -> str | None:
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        return row_key.value

    def action_back(self) -> None:
        self.dismiss()
