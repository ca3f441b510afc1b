"""The dashboard driven by Pilot over a real database: every binding, checked on screen and in
the database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import RichLog

from igny8_tui.automation.executor import RunOutcome
from igny8_tui.db.models import AutomationRun
from igny8_tui.runtime import Runtime
from igny8_tui.tui.app import Igny8App
from igny8_tui.tui.widgets.activity_log import ActivityLog
from tests.conftest import demo_site, start_igny8
from tests.dashboard_states import StateCache, settled, still

SIZE = (120, 40)


@pytest.fixture
def slow_runtime(home: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """A runtime whose offline provider takes 100 ms a call, one at a time, so a (small) run
    lasts long enough to steer."""
    monkeypatch.setenv("IGNY8_LOCAL_LATENCY_MS", "100")
    monkeypatch.setenv("IGNY8_AI_CONCURRENCY", "1")
    return Runtime.load(home, None, actor="dashboard:test")


async def until(pilot: object, check: Callable[[], bool], timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out"
        await pilot.pause(0.05)  # type: ignore[attr-defined]


def screen_text(app: Igny8App) -> str:
    return "\n".join(str(widget.render()) for widget in app.screen.query("Label, Static, Button"))


def run_row(rt: Runtime) -> AutomationRun | None:
    with rt.db.read() as s:
        return s.scalars(select(AutomationRun).order_by(AutomationRun.id.desc())).first()


async def test_run_now_hosts_the_run_here_and_the_screen_follows_it_to_completion(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime, small=True)
    app = Igny8App(runtime, site_id)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.data is not None)
        assert "○ IDLE" in screen_text(app)
        await pilot.press("r")
        await until(pilot, lambda: (r := run_row(runtime)) is not None and r.status == "completed")
        await until(pilot, lambda: app.data is not None and app.data.run.status == "completed")
        text = screen_text(app)
        assert "✓ COMPLETED" in text and "Run 1 completed" in text
        assert "26 → 2 clusters" in text and "9,000 words" in text and "6 published" in text
        assert "82 / 82 items" in text
        log_lines = app.query_one(ActivityLog).entries
        assert any("run completed · 153 credits" in e.message for e in log_lines)
        assert "run 1 hosted by test" in run_igny8_log(runtime, site_id)
        await pilot.press("q")


def run_igny8_log(rt: Runtime, site_id: int) -> str:
    return "\n".join(e.message for e in rt.service.logs(site_id, lines=10_000))


async def test_pause_then_resume_from_the_keyboard(slow_runtime: Runtime) -> None:
    rt = slow_runtime
    site_id = demo_site(rt, small=True)
    app = Igny8App(rt, site_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await until(pilot, lambda: (r := run_row(rt)) is not None and r.current_stage >= 2)
        await pilot.press("p")
        await until(pilot, lambda: run_row(rt).status == "paused")  # type: ignore[union-attr]
        await until(pilot, lambda: app.data is not None and app.data.run.status == "paused")
        text = screen_text(app)
        assert "❚❚ PAUSED" in text and "paused by dashboard:test" in text
        assert app.query_one("#control-resume").disabled is False
        assert app.query_one("#control-pause").disabled is True
        await pilot.press("u")
        await until(pilot, lambda: run_row(rt).status == "completed", timeout=120)  # type: ignore[union-attr]
        await pilot.press("q")


async def test_cancel_asks_first_declined_keeps_running_confirmed_cancels(
    slow_runtime: Runtime,
) -> None:
    rt = slow_runtime
    site_id = demo_site(rt, small=True)
    app = Igny8App(rt, site_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await until(pilot, lambda: app.data is not None and app.data.active)
        await pilot.press("x")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("n")
        await until(pilot, lambda: app.screen.__class__.__name__ != "ConfirmScreen")
        await pilot.pause(0.3)  # a cancel would have been written by now
        assert run_row(rt).status == "running"  # type: ignore[union-attr]
        await pilot.press("x")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("y")
        await until(pilot, lambda: run_row(rt).status == "cancelled")  # type: ignore[union-attr]
        await until(pilot, lambda: "■ CANCELLED" in screen_text(app))
        await pilot.press("q")


async def test_keys_that_do_not_apply_explain_why(runtime: Runtime) -> None:
    site_id = demo_site(runtime)
    app = Igny8App(runtime, site_id, host=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.data is not None)
        for key in ("p", "u", "x"):
            await pilot.press(key)
        await until(pilot, lambda: len(app._notifications) >= 3)
        messages = [n.message for n in app._notifications]
        assert messages.count("nothing to pause: site green-thumb has no active run") == 1
        assert any(m.startswith("nothing to resume") for m in messages)
        assert any(m.startswith("nothing to cancel") for m in messages)
        assert app.query_one("#control-pause").disabled is True


async def test_insufficient_credits_shows_the_numbers(runtime: Runtime) -> None:
    site_id = demo_site(runtime, grant=100)
    app = Igny8App(runtime, site_id, host=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.data is not None)
        await pilot.press("r")
        await until(pilot, lambda: bool(app._notifications))
        (notice,) = [n.message for n in app._notifications]
        assert notice.startswith("insufficient credits: this run needs 1,047.6")
        assert "and the balance is 100.0" in notice
        assert run_row(runtime) is None


async def test_a_run_hosted_by_another_process_is_shown_and_controlled(
    home: Path, runtime: Runtime
) -> None:
    site_id = demo_site(runtime, small=True)
    other = start_igny8(
        home, "run", "--site", "green-thumb", IGNY8_LOCAL_LATENCY_MS="100", IGNY8_AI_CONCURRENCY="1"
    )
    app = Igny8App(runtime, site_id, host=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.data is not None and app.data.active)
            await until(pilot, lambda: "hosted by another process: run:" in screen_text(app))
            await pilot.press("p")
            await until(pilot, lambda: run_row(runtime).status == "paused")  # type: ignore[union-attr]
            await pilot.press("u")
            await until(pilot, lambda: run_row(runtime).status == "completed", timeout=120)  # type: ignore[union-attr]
        assert other.wait(timeout=120) == 0
    finally:
        other.kill()


async def test_log_filters_by_level_stage_and_text_and_can_pause(runtime: Runtime) -> None:
    site_id = demo_site(runtime, small=True)
    run_id = runtime.service.run_now(site_id).run_id
    assert runtime.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED
    app = Igny8App(runtime, site_id, host=False)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(ActivityLog)
        await until(pilot, lambda: len(log.entries) > 50)
        everything = len(log.shown_entries())
        await pilot.press("t")  # stage 1
        assert 0 < len(log.shown_entries()) < everything
        assert {e.stage for e in log.shown_entries()} == {1}
        await pilot.press("t", "t", "t")  # stage 4
        assert {e.stage for e in log.shown_entries()} == {4}
        assert len(app.query_one("#log-lines").lines) >= len(log.shown_entries())  # type: ignore[attr-defined]
        await pilot.press("t", "t", "t", "t")  # all stages again
        await pilot.press("v", "v")  # warn+
        assert log.shown_entries() == []
        await pilot.press("v", "v")  # all levels
        assert len(log.shown_entries()) == everything
        await pilot.press("slash")
        await pilot.press(*"compost")
        await pilot.press("enter")
        shown = log.shown_entries()
        assert shown and all("compost" in e.message.lower() for e in shown)
        assert '"compost"' in app.query_one(ActivityLog).filters_text
        await pilot.press("escape")
        assert len(log.shown_entries()) == everything
        await pilot.press("f")
        assert "paused · 0 new" in app.query_one(ActivityLog).filters_text


async def test_the_command_palette_offers_every_action(runtime: Runtime) -> None:
    site_id = demo_site(runtime)
    app = Igny8App(runtime, site_id, host=False)
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in (
            "Run now (r)",
            "Pause (p)",
            "Resume (u)",
            "Cancel (x)",
            "Config (e)",
            "History (h)",
            "Estimate ($)",
            "Sites (s)",
            "Help (?)",
            "Filter (/)",
        ):
            assert wanted in titles
        await pilot.press("ctrl+p")
        await until(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette")
        await pilot.press(*"estimate")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.__class__.__name__ == "EstimateScreen")


async def test_switching_site_shows_the_other_site(runtime: Runtime) -> None:
    first = demo_site(runtime)
    runtime.workspace.add_site("second-site")
    app = Igny8App(runtime, first, host=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.data is not None)
        await pilot.press("s")
        await until(pilot, lambda: app.screen.__class__.__name__ == "SitePickerScreen")
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.data is not None and app.data.site.name == "second-site")
        assert "site second-site (2/2)" in screen_text(app)


async def test_the_main_view_keeps_updating_under_another_screen(runtime: Runtime) -> None:
    site_id = demo_site(runtime, small=True)
    app = Igny8App(runtime, site_id)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.data is not None)
        await pilot.press("h")
        await until(pilot, lambda: app.screen.__class__.__name__ == "HistoryScreen")
        await pilot.press("slash", "v")  # the log's keys do nothing here
        await app.run_action("run_now")
        await until(pilot, lambda: app.data is not None and app.data.run is not None)
        await until(pilot, lambda: app.data.run.status == "completed")  # type: ignore[union-attr]
        assert app.screen.__class__.__name__ == "HistoryScreen"
        await pilot.press("escape")
        assert "✓ COMPLETED" in screen_text(app)


async def test_keys_can_be_remapped_in_the_config_file(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text('[keys]\n"run.run_now" = "n"\n')
    rt = Runtime.load(home, None, actor="dashboard:test")
    site_id = demo_site(rt, small=True)
    app = Igny8App(rt, site_id)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.data is not None)
        await pilot.press("n")
        await until(pilot, lambda: run_row(rt) is not None)
        await until(pilot, lambda: run_row(rt).status == "completed")  # type: ignore[union-attr]


async def test_the_activity_log_keeps_its_newest_line_in_view_when_it_shrinks(
    dashboard_states: StateCache, tmp_path: Path
) -> None:
    app = dashboard_states.app(tmp_path / "home", "running_in_stage_4")
    async with app.run_test(size=(80, 30)) as pilot:
        await settled("f", "f")(pilot)  # following again: the log ends at its newest line
        log = app.query_one("#log-lines", RichLog)
        assert log.scroll_y == log.max_scroll_y
        height = log.size.height
        await pilot.resize_terminal(80, 24)
        await still(pilot)
        assert log.size.height < height, "the log should have shrunk"
        assert log.scroll_y == log.max_scroll_y, "the newest lines went out of view"


async def test_two_overlapping_reads_show_each_log_line_once(runtime: Runtime) -> None:
    """Issue 9, defect 9: a poll started by a key and the timer's poll both read the lines after
    the same id; the Activity log showed those lines twice."""
    from igny8_tui.tui.messages import DashboardRefreshed

    site_id = demo_site(runtime, small=True)
    run_id = runtime.service.run_now(site_id).run_id
    runtime.executor(run_id, threading.Event()).execute()
    app = Igny8App(runtime, site_id, host=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.data is not None and app.data.run is not None)
        log = app.query_one(ActivityLog)
        await until(pilot, lambda: len(log.entries) > 0)
        before = len(log.entries)
        # Both reads start from the same last id: the lines after it arrive twice.
        start = log.entries[-5].id - 1
        for _ in range(2):
            app.post_message(DashboardRefreshed(runtime.service.dashboard(site_id, run_id, start)))
        await pilot.pause()
        ids = [entry.id for entry in log.entries]
        assert len(ids) == len(set(ids)) == before
        await pilot.press("q")
