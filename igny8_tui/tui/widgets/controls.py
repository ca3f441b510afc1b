"""Run now, Pause, Resume, Cancel as buttons; each is also a key and a palette command."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button

from igny8_tui.schemas import DashboardSnapshot

CONTROLS = (
    ("run_now", "Run now (r)"),
    ("pause", "Pause (p)"),
    ("resume", "Resume (u)"),
    ("cancel", "Cancel (x)"),
)


class Controls(Horizontal):
    def compose(self) -> ComposeResult:
        for action, label in CONTROLS:
            yield Button(label, id=f"control-{action.replace('_', '-')}", name=action)

    def show(self, data: DashboardSnapshot) -> None:
        run = data.run
        status = run.status if run else None
        applies = {
            "run_now": not data.active,
            "pause": status == "running" and run is not None and run.control_request is None,
            "resume": status == "paused" or (run is not None and run.control_request == "pause"),
            "cancel": data.active,
        }
        for button in self.query(Button):
            button.disabled = not applies[button.name or ""]

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.app.run_action(event.button.name or "")
