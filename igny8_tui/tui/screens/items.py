"""The site's articles: what the pipeline made, where each went, and what failed; filtered by
status and text. Enter opens one."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Select, Static

from igny8_tui.errors import Igny8Error
from igny8_tui.formatting import count, retried_sentence
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ContentListing
from igny8_tui.tui.messages import Notice
from igny8_tui.tui.widgets.footer import DashboardFooter

STATUSES = ("draft", "review", "published", "failed")
ALL_STATUSES = "all"
NO_VALUE = "—"
# Long titles and clusters are cut so that the words, images and where columns stay in view.
TITLE_WIDTH = 40
CLUSTER_WIDTH = 18


def matching(items: list[ContentListing], status: str, text: str) -> list[ContentListing]:
    """The items of `status` (or all) whose title or cluster contains `text`, any case."""
    needle = text.strip().casefold()
    return [
        item
        for item in items
        if (status == ALL_STATUSES or item.status == status)
        and (
            not needle
            or needle in item.title.casefold()
            or needle in (item.cluster or "").casefold()
        )
    ]


def images_cell(item: ContentListing) -> Text:
    """made/expected, in the warning colour while images are missing."""
    if not item.images_expected:
        return Text(NO_VALUE, justify="right")
    short = item.images_made < item.images_expected
    return Text(
        f"{item.images_made}/{item.images_expected}",
        style="yellow" if short else "",
        justify="right",
    )


@dataclass
class ItemsLoaded(Message):
    items: list[ContentListing]


class ItemsScreen(Screen[None]):
    """The current site's articles; `/` filters by text, the status list by status."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="items.back"),
        # Not a priority binding: Enter waits behind the arrow keys typed before it.
        Binding("enter", "open_item", "Open", id="items.open"),
        Binding("slash", "search", "Filter", id="items.search"),
        Binding("R", "retry_item", "Retry", id="items.retry"),
        Binding("A", "retry_all", "Retry all failed", id="items.retry_all"),
        Binding("r", "reload", "Refresh", id="items.refresh"),
    ]

    def __init__(self, runtime: Runtime, site_id: int, site_name: str) -> None:
        super().__init__()
        self.runtime = runtime
        self.site_id = site_id
        self.site_name = site_name
        self.items: list[ContentListing] = []

    def compose(self) -> ComposeResult:
        yield Static(f"Articles · {self.site_name}", id="items-title", classes="screen-title")
        with Horizontal(id="items-filters"):
            yield Select(
                [(ALL_STATUSES, ALL_STATUSES)] + [(s, s) for s in STATUSES],
                value=ALL_STATUSES,
                allow_blank=False,
                id="items-status",
                compact=True,
            )
            yield Input(placeholder="title or cluster contains…", id="items-search", compact=True)
            yield Static("", id="items-count")
        yield DataTable(id="items-table", cursor_type="row", zebra_stripes=True)
        yield Static("Loading…", id="items-empty")
        yield DashboardFooter()

    def on_mount(self) -> None:
        table = self.query_one("#items-table", DataTable)
        table.add_column(Text("ID", justify="right"), key="id")
        table.add_column("Title", width=TITLE_WIDTH)
        table.add_column("Cluster", width=CLUSTER_WIDTH)
        table.add_column("Status")
        table.add_column(Text("Words", justify="right"))
        table.add_column(Text("Images", justify="right"))
        table.add_column("Where")
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, group="items", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        self.post_message(ItemsLoaded(self.runtime.workspace.content(self.site_id)))

    def on_items_loaded(self, message: ItemsLoaded) -> None:
        self.items = message.items
        self._show()

    @on(Select.Changed, "#items-status")
    @on(Input.Changed, "#items-search")
    def _filter_changed(self) -> None:
        self._show()

    def _show(self) -> None:
        status = str(self.query_one("#items-status", Select).value)
        text = self.query_one("#items-search", Input).value
        shown = matching(self.items, status, text)
        table = self.query_one("#items-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for item in shown:
            table.add_row(
                Text(
                    str(item.id) if item.kind == "article" else f"task {item.id}", justify="right"
                ),
                item.title,
                item.cluster or NO_VALUE,
                item.status,
                Text(count(item.words), justify="right"),
                images_cell(item),
                item.location or NO_VALUE,
                key=f"{item.kind}-{item.id}",
            )
        if shown:
            table.move_cursor(row=min(cursor, len(shown) - 1))
        table.display = bool(shown)
        empty = self.query_one("#items-empty", Static)
        empty.update("No articles match." if self.items else "No articles yet for this site.")
        empty.display = not shown
        self.query_one("#items-count", Static).update(
            f"{count(len(shown))} of {count(len(self.items))}"
        )

    def action_search(self) -> None:
        self.query_one("#items-search", Input).focus()

    def action_open_item(self) -> None:
        table = self.query_one("#items-table", DataTable)
        if table.has_focus and table.row_count:
            table.action_select_cursor()
        elif not table.has_focus:
            table.focus()

    @on(DataTable.RowSelected, "#items-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        kind, _, item_id = (event.row_key.value or "").partition("-")
        if kind == "article":
            self.open_item(int(item_id))
        elif kind == "task":
            self.notify(f"task {item_id} made no article; R puts it back in its queue")

    def _selected(self) -> tuple[str, int] | None:
        table = self.query_one("#items-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        kind, _, item_id = key.partition("-")
        return kind, int(item_id)

    def action_retry_item(self) -> None:
        selected = self._selected()
        if selected is not None:
            kind, item_id = selected
            self._retry(4 if kind == "task" else None, item_id)

    def action_retry_all(self) -> None:
        self._retry(None, None)

    @work(thread=True, group="items-retry", exclusive=True, exit_on_error=False)
    def _retry(self, stage: int | None, item_id: int | None) -> None:
        """Failed items back in their queue, off the UI thread; the log says who did it."""
        try:
            report = self.runtime.service.retry(self.site_id, stage=stage, item_id=item_id)
        except Igny8Error as exc:
            self.post_message(Notice(str(exc), "error"))
            return
        self.post_message(Notice(retried_sentence(report), "information"))
        self._load()

    def open_item(self, content_id: int) -> None:
        from igny8_tui.tui.screens.item_detail import ItemDetailScreen

        self.app.push_screen(ItemDetailScreen(self.runtime, self.site_id, content_id))

    def action_back(self) -> None:
        self.dismiss(None)
