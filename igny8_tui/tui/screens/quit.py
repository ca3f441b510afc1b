"""Quitting while this dashboard hosts runs: pause them and quit, leave them for another host,
or stay."""

from __future__ import annotations

from enum import Enum

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitChoice(Enum):
    PAUSE = "pause"
    LEAVE = "leave"
    STAY = "stay"


class QuitScreen(ModalScreen[QuitChoice]):
    """p pauses the runs and quits, l leaves them for another host and quits, s or Escape
    stays."""

    BINDINGS = [
        Binding("p", "choose('pause')", "Pause and quit", id="quit.pause"),
        Binding("l", "choose('leave')", "Leave for another host", id="quit.leave"),
        Binding("s,escape", "choose('stay')", "Stay", id="quit.stay"),
    ]

    def __init__(self, run_ids: list[int]) -> None:
        super().__init__()
        self.run_ids = run_ids

    def compose(self) -> ComposeResult:
        runs = ", ".join(str(run_id) for run_id in self.run_ids)
        which = f"Run {runs} is" if len(self.run_ids) == 1 else f"Runs {runs} are"
        with Vertical(id="quit-dialog"):
            yield Static("Quit while hosting?", id="quit-title")
            yield Static(
                f"{which} hosted by this dashboard.\n"
                "Pause and quit: each run stops after its item in hand and waits for "
                "`igny8 resume`.\n"
                "Leave it for another host: `igny8 daemon` (or this dashboard started again) "
                "picks it up where it stopped.",
                id="quit-body",
            )
            with Horizontal(id="quit-buttons"):
                yield Button("Pause and quit (p)", variant="warning", id="quit-pause")
                yield Button("Leave it for another host (l)", variant="error", id="quit-leave")
                yield Button("Stay (s)", variant="primary", id="quit-stay")

    def on_mount(self) -> None:
        self.query_one("#quit-stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(QuitChoice((event.button.id or "quit-stay").removeprefix("quit-")))

    def action_choose(self, choice: str) -> None:
        self.dismiss(QuitChoice(choice))
