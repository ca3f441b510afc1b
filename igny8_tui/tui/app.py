"""The operator dashboard: a Textual app that hosts runs and shows one site's pipeline live."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from igny8_tui.errors import Igny8Error
from igny8_tui.formatting import ai_label
from igny8_tui.runtime import Host, Runtime
from igny8_tui.schemas import DashboardSnapshot, RunOutcome
from igny8_tui.tui.messages import (
    ConfigLoaded,
    DashboardRefreshed,
    HostFailed,
    Notice,
    ReadyToQuit,
    RunEnded,
)
from igny8_tui.tui.screens.confirm import ConfirmScreen

# textual-image asks the terminal what it can draw when it is imported: before the app owns
# the terminal, not while it runs.
from igny8_tui.tui.screens.item_detail import ItemDetailScreen  # noqa: F401
from igny8_tui.tui.screens.quit import QuitChoice, QuitScreen
from igny8_tui.tui.widgets.activity_log import ActivityLog
from igny8_tui.tui.widgets.controls import Controls
from igny8_tui.tui.widgets.footer import WIDE_FROM, DashboardFooter
from igny8_tui.tui.widgets.header_bar import HeaderBar
from igny8_tui.tui.widgets.processing_card import ProcessingCard
from igny8_tui.tui.widgets.progress_panel import ProgressPanel
from igny8_tui.tui.widgets.stage_card import PipelineCards

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


ACTIVE_POLL_S = 0.2  # at most five screen updates a second while a run is active
IDLE_POLL_S = 1.0
HOST_POLL_S = 0.25
QUIT_GRACE_S = 2.0

# (group, key, action, description, binding id); every action is also a palette command.
KEYS: list[tuple[str, str, str, str, str]] = [
    ("Run", "r", "run_now", "Run now", "run.run_now"),
    ("Run", "p", "pause", "Pause", "run.pause"),
    ("Run", "u", "resume", "Resume", "run.resume"),
    ("Run", "x", "cancel", "Cancel", "run.cancel"),
    ("Screens", "e", "config", "Config", "screen.config"),
    ("Screens", "h", "history", "History", "screen.history"),
    ("Screens", "c", "items", "Articles", "screen.items"),
    ("Screens", "E", "events", "Events", "screen.events"),
    ("Screens", "dollar_sign", "estimate", "Estimate", "screen.estimate"),
    ("Screens", "s", "sites", "Sites", "screen.sites"),
    ("Screens", "H", "hosts", "Hosts", "screen.hosts"),
    ("Screens", "question_mark", "help", "Help", "screen.help"),
    ("Log", "slash", "log_search", "Filter", "log.search"),
    ("Log", "v", "log_level", "Level", "log.level"),
    ("Log", "t", "log_stage", "Stage", "log.stage"),
    ("Log", "f", "log_follow", "Follow", "log.follow"),
    ("App", "q", "quit", "Quit", "app.quit"),
]
KEY_DISPLAY = {"dollar_sign": "$", "question_mark": "?", "slash": "/"}
SHOWN_IN_FOOTER = {
    "run_now",
    "pause",
    "resume",
    "cancel",
    "config",
    "history",
    "estimate",
    "sites",
    "log_search",
    "help",
    "quit",
}


class Igny8App(App[None]):
    """One site's pipeline, live; hosts runs in worker threads unless told not to."""

    TITLE = "igny8"
    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find the styles too.
    CSS_PATH = [Path(__file__).parent / "app.tcss", Path(__file__).parent / "screens/screens.tcss"]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_FROM, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                key,
                action,
                description,
                id=binding_id,
                show=action in SHOWN_IN_FOOTER,
                key_display=KEY_DISPLAY.get(key),
            )
            for _, key, action, description, binding_id in KEYS
        ),
        Binding("escape", "log_clear_search", "Clear filter", show=False, id="log.clear"),
    ]

    def __init__(
        self,
        runtime: Runtime,
        site_id: int | None = None,
        *,
        host: bool = True,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__()
        self.runtime = runtime
        self.site_id = site_id or self._first_site()
        self.clock = clock
        self.hosting = host
        self.data: DashboardSnapshot | None = None
        self._host: Host | None = None
        self._host_stop = threading.Event()
        self._log_run_id: int | None = None
        self._last_log_id = 0
        self._last_poll = 0.0
        # An error that ended the dashboard, for the command to report once the screen is back.
        self.failure: Exception | None = None

    def _first_site(self) -> int:
        sites = self.runtime.workspace.list_sites()
        if not sites:
            raise Igny8Error(
                "no sites yet: add one with `igny8 site add NAME`, or try `igny8 demo`"
            )
        return sites[0].id

    # ----- layout -----

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        with Container(id="pipeline"):
            yield PipelineCards(id="cards")
        yield ProgressPanel(id="progress")
        yield Controls(id="controls")
        with Horizontal(id="bottom"):
            yield ProcessingCard(id="processing")
            yield ActivityLog(id="activity")
        yield DashboardFooter(main_view=True)

    def on_mount(self) -> None:
        # Updates land on the main view even while another screen is on top of it.
        self.main_screen = self.screen
        self.query_one("#pipeline").border_title = "Pipeline"
        self.query_one("#pipeline").border_subtitle = ai_label(self.runtime.settings)
        self.query_one("#processing").border_title = "Now processing"
        if self.runtime.settings.keys:
            self.set_keymap(dict(self.runtime.settings.keys))
        if self.hosting:
            self._start_host()
        self.set_interval(ACTIVE_POLL_S, self._tick)
        self.poll()

    # ----- hosting -----

    def _start_host(self) -> None:
        logger = logging.getLogger("igny8.dashboard")
        logger.propagate = False
        logger.addHandler(_NoticeHandler(self))
        self._host = self.runtime.host(logger, on_outcome=self._run_ended_here)
        threading.Thread(target=self._serve, name="dashboard-host", daemon=True).start()

    def _serve(self) -> None:
        """The host's thread. Should the host fail, the dashboard ends with its error (as the
        daemon does) rather than go on showing runs nobody hosts here."""
        assert self._host is not None
        try:
            self._host.serve(self._host_stop, HOST_POLL_S)
        except Exception as exc:
            self.post_message(HostFailed(exc))

    def on_host_failed(self, message: HostFailed) -> None:
        self.failure = message.error
        self.exit(return_code=1)

    def _run_ended_here(self, run_id: int, outcome: RunOutcome) -> None:
        """From the host's worker thread: a run it executed stopped here."""
        self.post_message(RunEnded(run_id, outcome))

    def hosted_here(self, run_id: int | None) -> bool:
        return self._host is not None and run_id in self._host.hosting()

    # ----- reading the database -----

    def _tick(self) -> None:
        active = self.data is not None and self.data.active
        if active or time.monotonic() - self._last_poll >= IDLE_POLL_S:
            self.poll()

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll(self) -> None:
        self._last_poll = time.monotonic()
        data = self.runtime.service.dashboard(self.site_id, self._log_run_id, self._last_log_id)
        self.post_message(DashboardRefreshed(data))

    def on_dashboard_refreshed(self, message: DashboardRefreshed) -> None:
        data = message.data
        if data.site.id != self.site_id:
            return  # a read for the site shown before a switch
        now = self.clock()
        screen = self.main_screen
        try:
            self._show(screen, data, now)
        except NoMatches:
            # The main view's widgets are fixed from compose on: one is missing only while the
            # app is closing and removing them (a read that arrived meanwhile).
            return
        self.data = data

    def _show(self, screen: Screen[Any], data: DashboardSnapshot, now: datetime) -> None:
        log = screen.query_one(ActivityLog)
        header, cards = screen.query_one(HeaderBar), screen.query_one(PipelineCards)
        progress, controls = screen.query_one(ProgressPanel), screen.query_one(Controls)
        processing = screen.query_one(ProcessingCard)
        with self.batch_update():
            if data.log_run_id != self._log_run_id:
                log.reset()
                self._log_run_id = data.log_run_id
                self._last_log_id = 0
            # Two reads may overlap (a key's poll beside the timer's) and both carry the lines
            # after the same id: each line is shown once.
            fresh = [entry for entry in data.new_logs if entry.id > self._last_log_id]
            if fresh:
                log.add(fresh)
                self._last_log_id = fresh[-1].id
            header.show(data, now)
            cards.show(data.overview.stages, data.progress.stages if data.progress else None)
            progress.show(data, now)
            controls.show(data)
            hosted = self.hosted_here(data.run.run_id if data.run else None)
            processing.show(data, hosted, now)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            text = (
                str(error) if isinstance(error, Igny8Error) else f"{type(error).__name__}: {error}"
            )
            self.notify(text, severity="error", timeout=8)

    def on_notice(self, message: Notice) -> None:
        self.notify(message.text, severity=message.severity)
        self.poll()

    def on_run_ended(self, message: RunEnded) -> None:
        severity: SeverityLevel = (
            "information" if message.outcome is RunOutcome.COMPLETED else "warning"
        )
        self.notify(f"run {message.run_id}: {message.outcome.value}", severity=severity)
        self.poll()

    # ----- run controls -----

    @work(thread=True, group="control", exit_on_error=False)
    def _control(self, operation: str) -> None:
        service = self.runtime.service
        try:
            if operation == "run_now":
                started = service.run_now(self.site_id)
                self.post_message(Notice(f"run {started.run_id} started"))
                return
            summary = getattr(service, operation)(self.site_id)
        except Igny8Error as exc:
            self.post_message(Notice(str(exc), "error"))
            return
        if summary.control_request:
            done = f"{summary.control_request} requested: takes effect after the current item"
        else:
            done = f"run {summary.run_id} {summary.status}"
        self.post_message(Notice(done))

    def _explain_if_idle(self, verb: str) -> bool:
        if self.data is None or not self.data.active:
            self.notify(
                f"nothing to {verb}: site {self.site_name} has no active run", severity="warning"
            )
            return True
        return False

    @property
    def site_name(self) -> str:
        return self.data.site.name if self.data else str(self.site_id)

    def action_run_now(self) -> None:
        self._control("run_now")

    def action_pause(self) -> None:
        if not self._explain_if_idle("pause"):
            self._control("pause")

    def action_resume(self) -> None:
        if not self._explain_if_idle("resume"):
            self._control("resume")

    def action_cancel(self) -> None:
        if self._explain_if_idle("cancel"):
            return
        run = self.data.run if self.data else None
        body = (
            f"Cancel run {run.run_id if run else ''} of site {self.site_name}? It stops after "
            "the item in hand; what is done stays done."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._control("cancel")
            else:
                self.notify("cancel declined: the run goes on")

        self.push_screen(
            ConfirmScreen("Cancel the run?", body, "Cancel run", "Keep running"), answered
        )

    # ----- screens -----

    def action_config(self) -> None:
        self._load_config(self.site_id)

    @work(thread=True, group="config", exclusive=True, exit_on_error=False)
    def _load_config(self, site_id: int) -> None:
        config = self.runtime.service.config(site_id)
        target = self.runtime.publish_targets.info(site_id)
        self.post_message(ConfigLoaded(site_id, config, target))

    def on_config_loaded(self, message: ConfigLoaded) -> None:
        from igny8_tui.tui.screens.config_form import ConfigScreen

        if message.site_id != self.site_id or self.screen is not self.main_screen:
            return  # the operator switched site, or opened another screen, meanwhile

        self.push_screen(
            ConfigScreen(
                self.runtime, message.site_id, self.site_name, message.config, message.target
            ),
            self._config_closed,
        )

    def _config_closed(self, saved: bool | None) -> None:
        self.poll()

    def action_history(self) -> None:
        from igny8_tui.tui.screens.history import HistoryScreen

        self.push_screen(HistoryScreen(self.runtime, self.site_id, self.site_name))

    def action_items(self) -> None:
        from igny8_tui.tui.screens.items import ItemsScreen

        self.push_screen(ItemsScreen(self.runtime, self.site_id, self.site_name))

    def action_events(self) -> None:
        from igny8_tui.tui.screens.events import EventsScreen

        self.push_screen(EventsScreen(self.runtime, self.site_id, self.site_name))

    def action_estimate(self) -> None:
        from igny8_tui.tui.screens.estimate import EstimateScreen

        self.push_screen(EstimateScreen(self.runtime, self.site_id, self.site_name))

    def action_sites(self) -> None:
        from igny8_tui.tui.screens.sites import SitePickerScreen

        self.push_screen(SitePickerScreen(self.runtime, self.site_id), self.switch_site)

    def switch_site(self, site_id: int | None) -> None:
        if site_id is None or site_id == self.site_id:
            return
        self.site_id = site_id
        self._log_run_id = None
        self._last_log_id = 0
        self.main_screen.query_one(ActivityLog).reset()
        self.poll()

    def action_hosts(self) -> None:
        from igny8_tui.tui.screens.hosts import HostsScreen

        self.push_screen(HostsScreen(self.runtime, self.clock))

    def action_help(self) -> None:
        from igny8_tui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(help_groups()))

    # ----- the log -----

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The log's keys belong to the main view; elsewhere they are off (and not shown)."""
        if action.startswith("log_"):
            return self.screen is getattr(self, "main_screen", self.screen)
        return True

    def action_log_search(self) -> None:
        self.main_screen.query_one(ActivityLog).open_search()

    def action_log_clear_search(self) -> None:
        self.main_screen.query_one(ActivityLog).clear_search()

    def action_log_level(self) -> None:
        self.main_screen.query_one(ActivityLog).cycle_level()

    def action_log_stage(self) -> None:
        self.main_screen.query_one(ActivityLog).cycle_stage()

    def action_log_follow(self) -> None:
        self.main_screen.query_one(ActivityLog).toggle_follow()

    # ----- palette and quitting -----

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for group, key, action, description, _ in KEYS:
            if action == "quit":
                continue
            shown = KEY_DISPLAY.get(key, key)
            yield SystemCommand(
                f"{description} ({shown})",
                f"{group}: {description.lower()}",
                getattr(self, f"action_{action}"),
            )

    async def action_quit(self) -> None:
        hosted = self._host.hosting() if self._host is not None else []
        if not hosted:
            self._stop_host()
            self.exit()
            return

        def answered(choice: QuitChoice | None) -> None:
            if choice is QuitChoice.PAUSE:
                self._pause_and_quit(hosted)
            elif choice is QuitChoice.LEAVE:
                self._stop_host()
                self.exit()

        self.push_screen(QuitScreen(sorted(hosted)), answered)

    @work(thread=True, group="quit", exclusive=True, exit_on_error=False)
    def _pause_and_quit(self, run_ids: list[int]) -> None:
        """Ask each hosted run to pause (durable: a run this host lets go of pauses wherever it
        is picked up next), then stop hosting and quit."""
        self.runtime.service.pause_hosted(run_ids)
        self._stop_host()
        self.post_message(ReadyToQuit())

    def on_ready_to_quit(self, message: ReadyToQuit) -> None:
        self.exit()

    def _stop_host(self) -> None:
        """Ask the host to release its runs after the item in hand, without hanging on it."""
        self._host_stop.set()
        if self._host is not None:
            self._host.wait_released(QUIT_GRACE_S)


def help_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for group, key, _, description, _ in KEYS:
        groups.setdefault(group, []).append((KEY_DISPLAY.get(key, key), description))
    groups.setdefault("App", []).insert(0, ("ctrl+p", "Command palette: every action"))
    return list(groups.items())


class _NoticeHandler(logging.Handler):
    """Turns the host's warnings and errors into notifications on the dashboard."""

    def __init__(self, app: Igny8App) -> None:
        super().__init__(level=logging.WARNING)
        self.app = app

    def emit(self, record: logging.LogRecord) -> None:
        severity: SeverityLevel = "error" if record.levelno >= logging.ERROR else "warning"
        self.app.post_message(Notice(record.getMessage(), severity))
