"""The site's latest event deliveries (webhooks and notifications) with their attempts and last
status; `f` shows only those that failed or are retrying, `R` sends the highlighted one again
with the same webhook-id. Read every two seconds in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from igny8_tui.errors import Igny8Error
from igny8_tui.formatting import clock_time
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import DeliveryView
from igny8_tui.tui.widgets.footer import DashboardFooter

EVENTS_REFRESH_S = 2.0
STATUS_STYLES = {
    "delivered": "green",
    "pending": "yellow",
    "failed": "red",
    "disabled": "red",
    "skipped": "dim",
}
COLUMNS = ("Id", "Event", "To", "Status", "Tries", "Last")


@dataclass
class EventsLoaded(Message):
    deliveries: list[DeliveryView]


@dataclass
class Redelivered(Message):
    delivery: DeliveryView


def last_outcome(delivery: DeliveryView) -> str:
    """What the last attempt came to, and when the next one is due."""
    last = delivery.last_error or (
        f"HTTP {delivery.last_status_code}" if delivery.last_status_code else ""
    )
    if delivery.status == "pending" and delivery.attempts and delivery.next_attempt_at:
        last += f" · next {clock_time(delivery.next_attempt_at)}"
    return last or "—"


class EventsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="events.back"),
        Binding("f", "failed_only", "Failed only", id="events.failed"),
        Binding("R", "redeliver", "Redeliver", id="events.redeliver"),
    ]

    def __init__(self, runtime: Runtime, site_id: int, site_name: str) -> None:
        super().__init__()
        self.runtime = runtime
        self.site_id = site_id
        self.site_name = site_name
        self.failed_only = False

    def compose(self) -> ComposeResult:
        yield Static("", id="events-title", classes="screen-title")
        yield DataTable(id="events-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="events-empty")
        yield DashboardFooter()

    def on_mount(self) -> None:
        table = self.query_one("#events-table", DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self._title()
        self._load()
        self.set_interval(EVENTS_REFRESH_S, self._load)

    def _title(self) -> None:
        which = "failed or retrying" if self.failed_only else "latest"
        self.query_one("#events-title", Static).update(
            f"Events · {self.site_name} · {which} deliveries (webhooks and notifications)"
        )

    @work(thread=True, group="events", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        rows = self.runtime.webhooks.deliveries(self.site_id, self.failed_only)
        self.post_message(EventsLoaded(rows))

    def on_events_loaded(self, message: EventsLoaded) -> None:
        table = self.query_one("#events-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for d in message.deliveries:
            table.add_row(
                Text(str(d.id), justify="right"),
                d.type,
                d.destination,
                Text(d.status, style=STATUS_STYLES.get(d.status, "")),
                Text(str(d.attempts), justify="right"),
                last_outcome(d),
                key=str(d.id),
            )
        if message.deliveries:
            table.move_cursor(row=min(cursor, len(message.deliveries) - 1))
        table.display = bool(message.deliveries)
        empty = self.query_one("#events-empty", Static)
        empty.update(
            "No events yet. `igny8 webhook add URL` sends them to a receiver; notify_urls in"
            " config.toml to a chat or a mailbox."
        )
        empty.display = not message.deliveries

    def action_failed_only(self) -> None:
        self.failed_only = not self.failed_only
        self._title()
        self._load()

    def action_redeliver(self) -> None:
        table = self.query_one("#events-table", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is not None:
            self._redeliver(int(key))

    @work(thread=True, group="redeliver", exit_on_error=False)
    def _redeliver(self, delivery_id: int) -> None:
        self.post_message(Redelivered(self.runtime.webhooks.redeliver(delivery_id)))

    def on_redelivered(self, message: Redelivered) -> None:
        d = message.delivery
        severity: SeverityLevel = "information" if d.status == "delivered" else "warning"
        text = f"delivery {d.id} ({d.type}): {d.status} · {last_outcome(d)}"
        self.notify(text, severity=severity)
        self._load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and isinstance(event.worker.error, Igny8Error):
            self.notify(str(event.worker.error), severity="error")
            event.stop()

    def action_back(self) -> None:
        self.dismiss()
