"""The site's AutomationConfig as a form: Save validates every field, all or nothing.

Each field reads as a human label with the spec's name beside it (the name `igny8 config set`
takes, and the one a validation message gives)."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch

from igny8_tui.errors import Igny8Error
from igny8_tui.formatting import date_time
from igny8_tui.runtime import STAGES, Runtime, stage_class
from igny8_tui.schemas import (
    ConfigPayload,
    ConfigUpdate,
    PublishTargetInfo,
    describe_config_error,
)
from igny8_tui.tui.messages import Notice
from igny8_tui.tui.screens.confirm import ConfirmScreen
from igny8_tui.tui.widgets.footer import DashboardFooter

FREQUENCIES = ("daily", "weekly", "monthly")
# The stages whose batch size the spec's config holds (stage 7 publishes in fixed batches).
BATCHED_STAGES = tuple(
    s.number for s in STAGES if f"stage_{s.number}_batch_size" in ConfigPayload.model_fields
)
BATCH_FIELDS = tuple(f"stage_{n}_batch_size" for n in BATCHED_STAGES)
DELAY_FIELDS = ("within_stage_delay", "between_stage_delay")
SKIP_FIELDS = tuple(f"skip_stage_{s.number}" for s in STAGES)
SKIP_BY_STAGE = tuple(zip((s.number for s in STAGES), SKIP_FIELDS, strict=True))
INPUT_FIELDS = ("scheduled_time", "timezone", *BATCH_FIELDS, *DELAY_FIELDS)


def _batch_label(stage: int) -> str:
    noun = stage_class(stage).noun
    return f"{noun[0].upper()}{noun[1:]} per batch (stage {stage})"


def _stage_label(stage: int) -> str:
    return f"Stage {stage} · {stage_class(stage).name}"


# What the operator reads beside each of the spec's fields.
LABELS = {
    "enabled": "Run on a schedule",
    "frequency": "How often",
    "scheduled_time": "Time of day (HH:MM)",
    "timezone": "Time zone",
    "within_stage_delay": "Seconds between batches",
    "between_stage_delay": "Seconds between stages",
    **{field: _batch_label(n) for n, field in zip(BATCHED_STAGES, BATCH_FIELDS, strict=True)},
    **{field: _stage_label(n) for n, field in SKIP_BY_STAGE},
}


class ConfigSaved(Message):
    """The form's changes are stored."""


class TargetChecked(Message):
    """The site's publish target was checked: the line to show."""

    def __init__(self, text: str, ok: bool) -> None:
        super().__init__()
        self.text = text
        self.ok = ok


def target_summary(target: PublishTargetInfo, home: Path) -> str:
    """Where a site publishes, in a line or two (never the password); a folder in the data
    directory is named relative to it."""
    if target.kind == "folder":
        folder = Path(target.folder or "")
        if folder.is_relative_to(home):
            return f"folder {folder.relative_to(home)}/ in the data directory"
        return f"folder {folder}"
    parts = [f"WordPress {target.url} as {target.user}", f"status {target.status}"]
    if target.drip_minutes:
        parts.append(f"drip {target.drip_minutes} min")
    if not target.password_stored:
        parts.append("no password stored")
    return " · ".join(parts)


class _FormError(Exception):
    """A field the operator typed is invalid; the message says which and why."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _as_stored(value: object) -> object:
    """A validated value in the form ConfigPayload holds it, to tell what changed."""
    return value.strftime("%H:%M") if isinstance(value, time) else value


def _row(field: str, *widgets: Widget, spec: str | None = None) -> Horizontal:
    """The field's label, its widgets, and the spec's name for it, muted."""
    return Horizontal(
        Label(LABELS[field], classes="form-label"),
        *widgets,
        Label(spec or field, id=f"{field}-spec", classes="form-spec"),
        classes="form-row",
    )


def _switch_state(on: bool) -> str:
    """Spelled out beside each switch, so its state reads without colour (NO_COLOR)."""
    return "on" if on else "off"


def _switch_spec(field: str, on: bool) -> str:
    """The setting a switch stands for, as `igny8 config set` takes it: a stage's switch is on
    while the stage runs, so it sets skip_stage_N to the opposite."""
    value = not on if field in SKIP_FIELDS else on
    return f"{field}={str(value).lower()}"


def _section(title: str, section_id: str, *rows: Widget) -> Vertical:
    section = Vertical(*rows, id=section_id, classes="form-section")
    section.border_title = title
    return section


class ConfigScreen(Screen[bool]):
    """Dismisses with True once saved, False when left without saving."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="config.save", priority=True),
        Binding("ctrl+t", "check_target", "Check target", id="config.check_target"),
        Binding("escape", "cancel", "Cancel", id="config.cancel"),
    ]
    # Two columns need 120: below that the sections stack (see screens.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    def __init__(
        self,
        runtime: Runtime,
        site_id: int,
        site_name: str,
        current: ConfigPayload,
        target: PublishTargetInfo,
    ) -> None:
        super().__init__()
        self.runtime = runtime
        self.site_id = site_id
        self.site_name = site_name
        self.current = current
        self.target = target

    def compose(self) -> ComposeResult:
        yield Static(
            f"Config · {self.site_name}",
            id="config-title",
            classes="screen-title",
        )
        with VerticalScroll(id="config-form"), Horizontal(id="config-columns"):
            with Vertical(classes="form-column"):
                yield self._schedule_section()
                yield self._delay_section()
            with Vertical(id="config-stage-column", classes="form-column"):
                yield self._batch_section()
                yield self._stage_section()
                yield self._publish_section()
        with Horizontal(id="config-actions"):
            yield Static(id="config-error")
            yield Button("Save (^s)", variant="primary", id="config-save", compact=True)
            yield Button("Cancel (esc)", id="config-cancel", compact=True)
        yield DashboardFooter()

    def _input(self, field: str, placeholder: str = "", numeric: bool = False) -> Input:
        value = getattr(self.current, field)
        return Input(
            "" if value is None else str(value),
            placeholder=placeholder,
            type="integer" if numeric else "text",
            id=field,
            compact=True,
            classes="form-field",
        )

    def _switch_row(self, field: str, on: bool) -> Horizontal:
        return _row(
            field,
            Switch(on, id=field, classes="form-field"),
            Label(
                _switch_state(on),
                id=f"{field}-state",
                classes="switch-state -on" if on else "switch-state",
            ),
            spec=_switch_spec(field, on),
        )

    def _schedule_section(self) -> Vertical:
        config = self.current
        frequency = Select(
            [(f, f) for f in FREQUENCIES],
            value=config.frequency,
            allow_blank=False,
            id="frequency",
            compact=True,
            classes="form-field",
        )
        next_run = date_time(config.next_run_at) if config.next_run_at else "not scheduled"
        return _section(
            "Schedule",
            "config-schedule",
            self._switch_row("enabled", config.enabled),
            _row("frequency", frequency),
            _row("scheduled_time", self._input("scheduled_time", "HH:MM")),
            _row("timezone", self._input("timezone", "this machine's zone")),
            Static(f"next scheduled run: {next_run}", id="config-next-run"),
        )

    def _batch_section(self) -> Vertical:
        rows = [_row(field, self._input(field, numeric=True)) for field in BATCH_FIELDS]
        return _section("Batch sizes", "config-batches", *rows)

    def _delay_section(self) -> Vertical:
        rows = [_row(field, self._input(field, numeric=True)) for field in DELAY_FIELDS]
        return _section("Delays", "config-delays", *rows)

    def _stage_section(self) -> Vertical:
        """A switch per stage, on while the stage runs (skip_stage_N false)."""
        rows = [self._switch_row(field, not getattr(self.current, field)) for field in SKIP_FIELDS]
        return _section("Stages", "config-stages", *rows)

    def _publish_section(self) -> Vertical:
        """Where the site publishes (set with `igny8 publish set`), and a check of it now."""
        return _section(
            "Publishing",
            "config-publish",
            Static(target_summary(self.target, self.runtime.settings.home), id="config-target"),
            Horizontal(
                Button("Check target (^t)", id="config-check", compact=True),
                Static("", id="config-check-result"),
                classes="form-row",
            ),
        )

    def action_check_target(self) -> None:
        self.query_one("#config-check-result", Static).update("checking…")
        self._check_target()

    @work(thread=True, group="config-check", exclusive=True, exit_on_error=False)
    def _check_target(self) -> None:
        """The same check as `igny8 publish test`, off the UI thread."""
        try:
            check = self.runtime.check_publish_target(self.site_id)
        except Igny8Error as exc:
            self.post_message(TargetChecked(f"✗ {exc}", ok=False))
            return
        self.post_message(TargetChecked(f"✓ {check.detail}", ok=True))

    def on_target_checked(self, message: TargetChecked) -> None:
        message.stop()
        result = self.query_one("#config-check-result", Static)
        result.update(message.text)
        result.set_class(not message.ok, "-error")

    @on(Button.Pressed, "#config-check")
    def _check_pressed(self) -> None:
        self.action_check_target()

    def on_mount(self) -> None:
        self.query_one("#enabled", Switch).focus()

    @on(Switch.Changed)
    def _switch_changed(self, event: Switch.Changed) -> None:
        field = str(event.switch.id)
        state = self.query_one(f"#{field}-state", Label)
        state.update(_switch_state(event.value))
        state.set_class(event.value, "-on")
        self.query_one(f"#{field}-spec", Label).update(_switch_spec(field, event.value))

    def form_values(self) -> dict[str, str]:
        """Every field as typed, in the words `igny8 config set` takes (a stage's switch is on
        while it runs: skip_stage_N is its opposite)."""

        def switched_on(field: str) -> bool:
            return self.query_one(f"#{field}", Switch).value

        values = {"enabled": str(switched_on("enabled")).lower()}
        values.update({f: str(not switched_on(f)).lower() for f in SKIP_FIELDS})
        values["frequency"] = str(self.query_one("#frequency", Select).value)
        values.update({f: self.query_one(f"#{f}", Input).value.strip() for f in INPUT_FIELDS})
        return values

    def _differs(self, field: str, text: str) -> bool:
        """Whether the field as typed differs from the config as loaded: by value, so "050"
        is still 50, and a value typed and typed back is no edit."""
        try:
            value = getattr(ConfigUpdate.model_validate({field: text}), field)
        except ValidationError:
            return True  # what was loaded is valid
        loaded: object = getattr(self.current, field)
        return _as_stored(value) != loaded

    def edited_fields(self, values: dict[str, str] | None = None) -> list[str]:
        """The spec's names of the fields that differ from the config as loaded."""
        values = self.form_values() if values is None else values
        return [field for field, text in values.items() if self._differs(field, text)]

    def _changes(self) -> ConfigUpdate:
        """The validated fields that differ from the stored config; _FormError naming the first
        invalid field, whether changed or not."""
        values = self.form_values()
        try:
            full = ConfigUpdate.model_validate(values)
        except ValidationError as exc:
            field = str(exc.errors()[0]["loc"][0])
            raise _FormError(describe_config_error(exc, values), field) from None
        return ConfigUpdate(**{f: getattr(full, f) for f in self.edited_fields(values)})

    def action_save(self) -> None:
        error = self.query_one("#config-error", Static)
        try:
            update = self._changes()
        except _FormError as exc:
            error.update(str(exc))
            self.notify(str(exc), severity="error")
            self.query_one(f"#{exc.field}").focus()
            return
        error.update("")
        if not update.model_fields_set:
            self.notify("no changes to save")
            self.dismiss(False)
            return
        self._save(update)

    @work(thread=True, group="config-save", exclusive=True, exit_on_error=False)
    def _save(self, update: ConfigUpdate) -> None:
        """Store the changes off the UI thread; the form closes once they are stored."""
        try:
            self.runtime.service.update_config(self.site_id, update)
        except Igny8Error as exc:
            self.post_message(Notice(str(exc), "error"))
            return
        self.post_message(ConfigSaved())

    def on_config_saved(self, message: ConfigSaved) -> None:
        message.stop()
        self.notify("config saved")
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Leave without saving; with edits, only once the operator says to discard them."""
        edited = self.edited_fields()
        if not edited:
            self.dismiss(False)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(False)

        body = f"Not saved: {', '.join(edited)}. Discard them and leave, or keep editing?"
        self.app.push_screen(
            ConfirmScreen("Discard your changes?", body, "Discard", "Keep editing"), answered
        )

    @on(Button.Pressed, "#config-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#config-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
