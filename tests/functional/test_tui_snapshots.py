"""Snapshot tests of the dashboard in fixed states (see tests/dashboard_states.py): review the
SVGs under tests/functional/__snapshots__ like code; update them with
`python -m pytest tests/functional/test_tui_snapshots.py --snapshot-update -n 0`."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.dashboard_states import StateCache, settled, still

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
def test_main_screen(
    snap_compare, dashboard_states: StateCache, tmp_path: Path, state: str, size: tuple[int, int]
) -> None:
    app = dashboard_states.app(tmp_path / "home", state)
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
def test_screens(
    snap_compare, dashboard_states: StateCache, tmp_path: Path, state: str, keys: tuple[str, ...]
) -> None:
    app = dashboard_states.app(tmp_path / "home", state)
    assert snap_compare(app, terminal_size=WIDE, run_before=settled(*keys))


def test_config_form_with_a_validation_error(
    snap_compare, dashboard_states: StateCache, tmp_path: Path
) -> None:
    app = dashboard_states.app(tmp_path / "home", "idle")

    async def type_zero_and_save(pilot: Pilot) -> None:
        await settled("e")(pilot)
        field = pilot.app.screen.query_one("#stage_4_batch_size", Input)
        field.value = "0"
        await pilot.press("ctrl+s")
        await still(pilot)

    assert snap_compare(app, terminal_size=WIDE, run_before=type_zero_and_save)
