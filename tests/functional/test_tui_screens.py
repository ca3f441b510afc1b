"""The dashboard's secondary screens, each driven with keys over a real runtime and database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from textual.app import App
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Label, OptionList, RichLog, Static, Switch

from igny8_tui.automation.scheduler import DueRunStarter
from igny8_tui.db.models import utcnow
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate, WordPressTargetSettings
from igny8_tui.tui import screens
from igny8_tui.tui.screens.config_form import ConfigScreen
from igny8_tui.tui.screens.confirm import ConfirmScreen
from igny8_tui.tui.screens.estimate import EstimateScreen
from igny8_tui.tui.screens.help import HelpScreen
from igny8_tui.tui.screens.history import HistoryScreen, RunDetailScreen
from igny8_tui.tui.screens.sites import SitePickerScreen
from tests.conftest import demo_site
from tests.functional.test_tui_dashboard import until

SCREENS_TCSS = Path(screens.__file__).parent / "screens.tcss"
NOT_DISMISSED = object()


class ScreenHost(App[None]):
    """A bare app that shows one screen and keeps what it was dismissed with."""

    CSS_PATH = SCREENS_TCSS

    def __init__(self, make_screen: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.result: object = NOT_DISMISSED
        self.notices: list[tuple[str, SeverityLevel]] = []

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(), callback=self._dismissed)

    def _dismissed(self, result: object) -> None:
        self.result = result

    def notify(self, message: str, *, severity: SeverityLevel = "information", **kw: Any) -> None:
        self.notices.append((message, severity))
        super().notify(message, severity=severity, **kw)


def completed_run(runtime: Runtime, site_id: int) -> int:
    run_id = runtime.service.run_now(site_id).run_id
    runtime.executor(run_id, threading.Event()).execute()
    return run_id


def config_screen(runtime: Runtime, site_id: int) -> ConfigScreen:
    """The form as the dashboard opens it: with the config it read off the UI thread."""
    return ConfigScreen(
        runtime,
        site_id,
        "green-thumb",
        runtime.service.config(site_id),
        runtime.publish_targets.info(site_id),
    )


def cell_text(table: DataTable[Any], row: str, column: int) -> str:
    return str(table.get_row(row)[column])


def log_text(log: RichLog) -> str:
    return "\n".join(line.text for line in log.lines)


async def test_history_lists_the_run_and_enter_opens_its_stage_results_and_whole_log(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime)
    run_id = completed_run(runtime, site_id)
    entries = runtime.service.logs(site_id, run_id, 5000)
    app = ScreenHost(lambda: HistoryScreen(runtime, site_id, "green-thumb"))
    async with app.run_test(size=(120, 40)) as pilot:
        runs = app.screen.query_one("#history-table", DataTable)
        await until(pilot, lambda: runs.row_count == 1)
        assert [str(cell) for cell in runs.get_row(str(run_id))[:3]] == [
            str(run_id),
            "manual",
            "completed",
        ]
        assert cell_text(runs, str(run_id), 5) == "873.0"

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RunDetailScreen))
        detail = app.screen
        stages = detail.query_one("#detail-stages", DataTable)
        log = detail.query_one("#detail-log", RichLog)
        await until(pilot, lambda: stages.row_count == 7 and len(log.lines) > 0)
        assert cell_text(stages, "4", 1) == "completed"
        assert cell_text(stages, "4", 2) == "36/36"  # tasks_processed / input
        assert cell_text(stages, "4", 3) == "36 articles · 54,000 words"
        assert cell_text(stages, "1", 3) == "12 clusters"
        snapshot = detail.query_one("#detail-snapshot", Static).content
        assert "s1 150" in str(snapshot) and "total 150" in str(snapshot)
        assert str(detail.query_one("#detail-errors-text", Static).content) == "No errors."
        assert log.border_title == f"Log · {len(entries)} lines"
        text = log_text(log)
        assert entries[0].message in text
        assert entries[-1].message in text and "run completed" in entries[-1].message

        await pilot.press("escape")
        assert isinstance(app.screen, HistoryScreen)


async def test_history_lists_a_scheduled_run_that_did_not_start_and_why(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime, grant=0)
    runtime.service.update_config(site_id, ConfigUpdate(enabled=True))
    DueRunStarter(runtime.db, runtime.service.create_run).check(utcnow() + timedelta(days=2))
    app = ScreenHost(lambda: HistoryScreen(runtime, site_id, "green-thumb"))
    async with app.run_test(size=(80, 24)) as pilot:
        notes_text = app.screen.query_one("#history-notes-text", Static)
        await until(pilot, lambda: "scheduled run not started" in str(notes_text.content))
        assert app.screen.query_one("#history-empty").display
        notes = str(notes_text.content)
        assert "scheduled run not started" in notes and "credits" in notes


async def replace_input(pilot: Any, field: str, text: str) -> None:
    field_input = pilot.app.screen.query_one(f"#{field}", Input)
    field_input.focus()
    await pilot.press("end", *["backspace"] * len(field_input.value), *text)


async def test_config_form_names_a_zero_batch_size_and_saves_nothing(runtime: Runtime) -> None:
    site_id = demo_site(runtime)
    before = runtime.service.config(site_id)
    app = ScreenHost(lambda: config_screen(runtime, site_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await replace_input(pilot, "stage_4_batch_size", "0")
        await pilot.press("ctrl+s")
        await pilot.pause()
        reason = "stage_4_batch_size=0: Input should be greater than or equal to 1"
        assert str(app.screen.query_one("#config-error", Static).content) == reason
        assert (reason, "error") in app.notices
        assert isinstance(app.screen, ConfigScreen)
        assert app.result is NOT_DISMISSED
    assert runtime.service.config(site_id) == before


async def test_config_form_saves_a_valid_change_and_leaves_the_rest(runtime: Runtime) -> None:
    site_id = demo_site(runtime)
    app = ScreenHost(lambda: config_screen(runtime, site_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await replace_input(pilot, "stage_4_batch_size", "3")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.result is not NOT_DISMISSED)
        assert app.result is True
        assert ("config saved", "information") in app.notices
    config = runtime.service.config(site_id)
    assert config.stage_4_batch_size == 3
    assert (config.stage_1_batch_size, config.skip_stage_5, config.enabled) == (50, False, False)


def shown_text(label: Label) -> str:
    """A label's text, asserting the screen shows all of it: on one line, not cut."""
    text = str(label.content)
    assert label.region.width >= len(text), f"{text!r} cut to {label.region.width} cells"
    return text


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_config_form_labels_each_field_with_the_spec_name_beside_it(
    runtime: Runtime, size: tuple[int, int]
) -> None:
    site_id = demo_site(runtime)
    app = ScreenHost(lambda: config_screen(runtime, site_id))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        rows = {}
        for row in app.screen.query(".form-row"):
            labels = list(row.query(Label))
            if labels and labels[0].has_class("form-label"):
                rows[shown_text(labels[0])] = shown_text(row.query_one(".form-spec", Label))
        assert rows["Keywords per batch (stage 1)"] == "stage_1_batch_size"
        assert rows["Image prompts per batch (stage 6)"] == "stage_6_batch_size"
        assert rows["Seconds between batches"] == "within_stage_delay"
        assert rows["Time of day (HH:MM)"] == "scheduled_time"
        assert rows["Run on a schedule"] == "enabled=false"
        assert rows["Stage 5 · Content → Image Prompts"] == "skip_stage_5=false"
        assert len(rows) == 4 + 2 + 6 + 7  # schedule, delays, batch sizes, stages
        # Shown without scrolling, label and spec name alike.
        form = app.screen.query_one("#config-form").region
        for field in ("enabled", "within_stage_delay", "stage_1_batch_size"):
            assert form.contains_region(app.screen.query_one(f"#{field}-spec").region)


async def test_config_form_switches_a_stage_off_and_saves_it_as_skipped(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime)
    app = ScreenHost(lambda: config_screen(runtime, site_id))
    async with app.run_test(size=(80, 24)) as pilot:
        switch = app.screen.query_one("#skip_stage_5", Switch)
        row = switch.parent
        assert row is not None
        assert str(row.query_one(".form-label", Label).content).startswith("Stage 5 · ")
        state = app.screen.query_one("#skip_stage_5-state", Label)
        spec = app.screen.query_one("#skip_stage_5-spec", Label)
        assert (switch.value, str(state.content), str(spec.content)) == (
            True,
            "on",
            "skip_stage_5=false",
        )
        switch.focus()
        await pilot.press("space")
        assert (switch.value, str(state.content), str(spec.content)) == (
            False,
            "off",
            "skip_stage_5=true",
        )
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.result is not NOT_DISMISSED)
        assert app.result is True
    config = runtime.service.config(site_id)
    assert config.skip_stage_5 is True
    assert not any(getattr(config, f"skip_stage_{n}") for n in (1, 2, 3, 4, 6, 7))


async def test_config_form_escape_with_an_edit_asks_and_keep_editing_keeps_it(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime)
    app = ScreenHost(lambda: config_screen(runtime, site_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await replace_input(pilot, "stage_4_batch_size", "3")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert str(app.screen.query_one("#confirm-title", Static).content) == (
            "Discard your changes?"
        )
        assert "stage_4_batch_size" in str(app.screen.query_one("#confirm-body", Static).content)
        assert "Keep editing" in str(app.screen.query_one("#confirm-no", Button).label)
        await pilot.click("#confirm-no")
        await until(pilot, lambda: isinstance(app.screen, ConfigScreen))
        assert app.result is NOT_DISMISSED
        assert app.screen.query_one("#stage_4_batch_size", Input).value == "3"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.result is not NOT_DISMISSED)
        assert app.result is True
    assert runtime.service.config(site_id).stage_4_batch_size == 3


async def test_config_form_escape_with_an_edit_and_discard_leaves_without_saving(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime)
    before = runtime.service.config(site_id)
    app = ScreenHost(lambda: config_screen(runtime, site_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await replace_input(pilot, "stage_4_batch_size", "3")
        app.screen.query_one("#skip_stage_6", Switch).toggle()
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        body = str(app.screen.query_one("#confirm-body", Static).content)
        assert "stage_4_batch_size" in body and "skip_stage_6" in body
        assert "Discard" in str(app.screen.query_one("#confirm-yes", Button).label)
        await pilot.click("#confirm-yes")
        await until(pilot, lambda: app.result is not NOT_DISMISSED)
        assert app.result is False
        assert not isinstance(app.screen, (ConfigScreen, ConfirmScreen))
    assert runtime.service.config(site_id) == before


async def test_config_form_escape_without_edits_leaves_at_once(runtime: Runtime) -> None:
    site_id = demo_site(runtime)
    app = ScreenHost(lambda: config_screen(runtime, site_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is False
        assert not isinstance(app.screen, (ConfigScreen, ConfirmScreen))


async def test_config_form_an_edit_changed_back_is_no_edit(runtime: Runtime) -> None:
    site_id = demo_site(runtime)
    app = ScreenHost(lambda: config_screen(runtime, site_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await replace_input(pilot, "stage_4_batch_size", "3")
        await replace_input(pilot, "stage_4_batch_size", "06")  # the same number, 6
        switch = app.screen.query_one("#skip_stage_6", Switch)
        switch.focus()
        await pilot.press("space", "space")
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is False
        assert not isinstance(app.screen, (ConfigScreen, ConfirmScreen))


async def test_config_form_shows_the_publish_target_and_checks_it_off_the_ui_thread(
    runtime: Runtime, tmp_path: Path
) -> None:
    site_id = demo_site(runtime)
    runtime.publish_targets.set_folder(site_id, tmp_path / "posts")
    app = ScreenHost(lambda: config_screen(runtime, site_id))
    async with app.run_test(size=(120, 40)) as pilot:
        target = str(app.screen.query_one("#config-target", Static).content)
        assert target == f"folder {tmp_path / 'posts'}"
        await pilot.press("ctrl+t")
        result = app.screen.query_one("#config-check-result", Static)
        await until(pilot, lambda: str(result.content).startswith("✓"))
        assert str(tmp_path / "posts") in str(result.content)
        assert (tmp_path / "posts").is_dir()

        (tmp_path / "posts").rmdir()
        (tmp_path / "posts").write_text("not a folder")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: str(result.content).startswith("✗"))
        assert "cannot write to" in str(result.content) and result.has_class("-error")


async def test_site_picker_shows_pending_work_and_returns_the_chosen_site(
    runtime: Runtime,
) -> None:
    first = demo_site(runtime)
    second = runtime.workspace.add_site("second").id
    runtime.publish_targets.set_wordpress(
        second,
        WordPressTargetSettings(url="https://blog.second.example", user="editor"),
        SecretStr("kept in the secrets file"),
    )
    app = ScreenHost(lambda: SitePickerScreen(runtime, first))
    async with app.run_test(size=(80, 24)) as pilot:
        options = app.screen.query_one("#sites-list", OptionList)
        await until(pilot, lambda: options.option_count == 2)
        assert options.highlighted == 0
        row = options.get_option(str(first)).prompt.plain  # type: ignore[union-attr]
        assert "green-thumb" in row and "idle" in row
        assert "kw 150 · cl 0 · id 0 · tk 0 · ct 0 · im 0 · pub 0" in row
        assert row.endswith("→ folder")
        row = options.get_option(str(second)).prompt.plain  # type: ignore[union-attr]
        assert row.endswith("→ WordPress blog.second.example")
        await pilot.press("down", "enter")
        assert app.result == second

    app = ScreenHost(lambda: SitePickerScreen(runtime, second))
    async with app.run_test(size=(80, 24)) as pilot:
        options = app.screen.query_one("#sites-list", OptionList)
        await until(pilot, lambda: options.option_count == 2)
        assert options.highlighted == 1
        await pilot.press("escape")
        assert app.result is None


async def test_estimate_shows_the_required_credits_and_that_a_run_can_start(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime, grant=10_000)
    app = ScreenHost(lambda: EstimateScreen(runtime, site_id, "green-thumb"))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#estimate-stages", DataTable)
        await until(pilot, lambda: table.row_count > 0)
        assert cell_text(table, "total", 2) == "873.0"
        assert cell_text(table, "required (× 1.2 buffer)", 2) == "1,047.6"
        assert cell_text(table, "balance", 2) == "10,000.0"
        verdict = str(app.screen.query_one("#estimate-verdict", Static).content)
        assert verdict == "✓ a run can start"
        basis = str(app.screen.query_one("#estimate-basis", Static).content)
        assert "default" in basis
        await pilot.press("escape")
        assert app.result is None


async def test_estimate_says_how_many_credits_are_missing(runtime: Runtime) -> None:
    site_id = demo_site(runtime, grant=500)
    app = ScreenHost(lambda: EstimateScreen(runtime, site_id, "green-thumb"))
    async with app.run_test(size=(80, 24)) as pilot:
        verdict_line = app.screen.query_one("#estimate-verdict", Static)
        await until(pilot, lambda: bool(str(verdict_line.content)))
        verdict = str(verdict_line.content)
        assert verdict == "✗ not enough credits: need 1,047.6, have 500.0"


async def test_confirm_answers_true_on_y_and_false_on_n_or_escape() -> None:
    for key, answer in (("y", True), ("n", False), ("escape", False)):
        app = ScreenHost(lambda: ConfirmScreen("Cancel run 1?", "It stops after the item."))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(key)
            assert app.result is answer, key


async def test_help_lists_every_key_it_is_given_and_closes_on_question_mark() -> None:
    groups = [
        ("Run", [("r", "Run now"), ("p", "Pause")]),
        ("Screens", [("h", "History"), ("$", "Estimate")]),
    ]
    app = ScreenHost(lambda: HelpScreen(groups))
    async with app.run_test(size=(80, 24)) as pilot:
        labels = [str(label.content) for label in app.screen.query(Label)]
        for title, keys in groups:
            assert title in labels
            for key, description in keys:
                assert key in labels and description in labels
        await pilot.press("question_mark")
        assert not isinstance(app.screen, HelpScreen)
