"""Snapshot tests of the dashboard in fixed states (see dashboard_states.py): review the SVGs
under tests/__snapshots__ like code; update with `python -m pytest --snapshot-update`."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from igny8_tui.tui.app import Igny8App
from tests.dashboard_states import build_app

WIDE = (120, 40)
NARROW = (80, 24)


@pytest.fixture(autouse=True)
def utc_local_time() -> Iterator[None]:
    """Times render in the operator's zone; pin it so snapshots match anywhere."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


def settled(*keys: str) -> Callable[[Pilot], Awaitable[None]]:
    """Wait for the first read of the database, then press `keys` and let the screen settle."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, Igny8App)
        while app.data is None:
            await pilot.pause(0.02)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.05)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause(0.2)

    return run_before


@pytest.mark.parametrize(
    ("state", "size"),
    [
        ("idle", WIDE),
        ("running_in_stage_4", WIDE),
        ("paused_in_stage_4", WIDE),
        ("completed", WIDE),
        ("failed", WIDE),
        ("running_in_stage_4", NARROW),
    ],
    ids=["idle", "stage-4", "paused", "completed", "failed", "80x24"],
)
def test_main_screen(snap_compare, tmp_path: Path, state: str, size: tuple[int, int]) -> None:
    app = build_app(tmp_path / "home", state)
    assert snap_compare(app, terminal_size=size, run_before=settled())


@pytest.mark.parametrize(
    ("state", "keys"),
    [
        ("completed", ("h",)),
        ("completed", ("h", "enter")),
        ("idle", ("question_mark",)),
        ("idle", ("dollar_sign",)),
    ],
    ids=["history", "run-detail", "help", "estimate"],
)
def test_screens(snap_compare, tmp_path: Path, state: str, keys: tuple[str, ...]) -> None:
    app = build_app(tmp_path / "home", state)
    assert snap_compare(app, terminal_size=WIDE, run_before=settled(*keys))


def test_config_form_with_a_validation_error(snap_compare, tmp_path: Path) -> None:
    app = build_app(tmp_path / "home", "idle")

    async def type_zero_and_save(pilot: Pilot) -> None:
        await settled("e")(pilot)
        field = pilot.app.screen.query_one("#stage_4_batch_size", Input)
        field.value = "0"
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        for entry in pilot.app.screen.query(Input):
            entry.cursor_blink = False
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=WIDE, run_before=type_zero_and_save)
