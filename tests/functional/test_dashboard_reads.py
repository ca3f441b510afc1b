"""The dashboard reads the database off the UI thread, one transaction per frame."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from igny8_tui.runtime import Runtime
from igny8_tui.tui.app import Igny8App
from igny8_tui.tui.screens.config_form import ConfigScreen
from igny8_tui.tui.screens.estimate import EstimateScreen
from igny8_tui.tui.screens.history import HistoryScreen
from igny8_tui.tui.screens.sites import SitePickerScreen
from tests.conftest import demo_site
from tests.functional.test_tui_dashboard import until


@contextmanager
def transactions(runtime: Runtime) -> Iterator[list[str]]:
    """The name of the thread that began each database transaction, while inside."""
    began: list[str] = []

    def on_begin(conn: Any) -> None:
        began.append(threading.current_thread().name)

    event.listen(runtime.db.engine, "begin", on_begin)
    try:
        yield began
    finally:
        event.remove(runtime.db.engine, "begin", on_begin)


def test_one_frame_of_the_dashboard_is_one_read_transaction(runtime: Runtime) -> None:
    site_id = demo_site(runtime, small=True)
    with transactions(runtime) as began:
        snapshot = runtime.service.dashboard(site_id, None, 0)
    assert len(began) == 1
    assert snapshot.site.name == "green-thumb" and snapshot.overview.stages[0].pending == 26


async def test_secondary_screens_never_touch_the_database_on_the_ui_thread(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime, small=True)
    app = Igny8App(runtime, site_id, host=False)
    screens = (
        ("e", ConfigScreen, "escape"),
        ("h", HistoryScreen, "escape"),
        ("dollar_sign", EstimateScreen, "escape"),
        ("s", SitePickerScreen, "escape"),
    )
    with transactions(runtime) as began:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.data is not None)
            ui_thread = threading.current_thread().name
            for key, screen, leave in screens:
                reads_before = len(began)
                await pilot.press(key)
                await until(pilot, lambda s=screen: isinstance(app.screen, s))
                # Each screen loads what it shows in a worker: wait for that read.
                await until(pilot, lambda n=reads_before: len(began) > n)
                await pilot.pause()
                await pilot.press(leave)
                await until(pilot, lambda: app.screen is app.main_screen)
            await pilot.press("q")
    assert began, "the dashboard read nothing"
    assert ui_thread not in began, f"transactions on the UI thread: {began.count(ui_thread)}"
