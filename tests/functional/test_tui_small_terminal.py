"""The dashboard at 80x24, the smallest terminal it supports: every rule of it, checked with Pilot
on real databases (the fixed states of tests/dashboard_states.py, or a real run)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from textual import events
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import OptionList, RichLog
from textual.widgets._toast import Toast

from igny8_tui.automation import credits
from igny8_tui.automation.executor import RunOutcome
from igny8_tui.db.models import Account, AutomationRun
from igny8_tui.db.models import ActivityLog as LogRow
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate
from igny8_tui.tui.app import Igny8App
from igny8_tui.tui.screens.quit import QuitScreen
from tests.conftest import demo_site, invoke_igny8
from tests.dashboard_states import FIXED_NOW, StateCache, open_app, settled

SMALL = (80, 24)
WIDE = (120, 40)
MIN_LOG_LINES = 8


async def until(pilot: Pilot, check: Callable[[], bool], timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out"
        await pilot.pause(0.05)


def footer_key(app: Igny8App, action: str) -> Widget:
    keys = [w for w in app.screen.query("FooterKey") if getattr(w, "action", None) == action]
    assert keys, f"no footer key for {action}"
    return keys[0]


def wholly_on_screen(app: Igny8App, widget: Widget) -> bool:
    """Shown, and not cut by the screen's edge or covered by the palette key docked right."""
    region = widget.region
    palette = footer_key(app, "command_palette").region
    return (
        widget.display
        and region.width > 0
        and region.right <= app.size.width
        and not region.overlaps(palette)
    )


def card_text(app: Igny8App) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("#processing Static") if w.display)


# Each state, and whether the processing card is collapsed to its one line in it.
COLLAPSED = {
    "idle": True,
    "completed": True,
    "running_in_stage_4": False,  # (a paused run's card: see the paused test below)
    "failed": False,  # a failure keeps the whole card: its error needs reading
}


@pytest.mark.parametrize("state", list(COLLAPSED))
async def test_at_80x24_the_footer_shows_quit_help_and_sites_and_the_log_keeps_8_lines(
    dashboard_states: StateCache, tmp_path: Path, state: str
) -> None:
    """And the processing card collapses to one line when no run is active."""
    app = dashboard_states.app(tmp_path / "home", state)
    async with app.run_test(size=SMALL) as pilot:
        await settled()(pilot)
        for action in ("quit", "help", "sites", "run_now", "pause"):
            assert wholly_on_screen(app, footer_key(app, action)), action
        lines = app.screen.query_one("#log-lines", RichLog)
        assert lines.region.height >= MIN_LOG_LINES
        assert lines.region.bottom <= app.size.height - 1  # above the footer
        card = app.screen.query_one("#processing")
        if COLLAPSED[state]:
            assert card.region.height == 1
            assert "\n" not in card_text(app)
        else:
            assert card.region.height > 1
            assert "stage 4" in card_text(app).casefold()
        if state == "idle":
            assert card_text(app) == "No run yet · 150 items pending · r runs now"


async def test_notifications_never_cover_the_log(
    dashboard_states: StateCache, tmp_path: Path
) -> None:
    app = dashboard_states.app(tmp_path / "home", "running_in_stage_4")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await settled()(pilot)
        for n in range(6):
            app.notify(
                f"notice {n}: " + "a long explanation of what happened " * (n % 3), timeout=60
            )
        await until(pilot, lambda: len(app.screen.query(Toast)) == 6)
        await pilot.pause()
        log = app.screen.query_one("#activity").region
        shown = [toast.region for toast in app.screen.query(Toast) if toast.region]
        assert shown, "no notification is on screen"
        assert not any(region.overlaps(log) for region in shown)
        # The newest notification is the one in view.
        newest = app.screen.query(Toast).last()
        assert newest.region.height > 0 and newest.region.bottom <= log.y


async def test_a_paused_run_shows_how_long_it_has_been_paused_and_no_stale_rate(
    dashboard_states: StateCache, tmp_path: Path
) -> None:
    clock = [FIXED_NOW]
    home = dashboard_states.copy_into(tmp_path / "home", "paused_in_stage_4")
    rt = Runtime.load(home, None, actor="test")
    app = Igny8App(rt, rt.workspace.site("green-thumb").id, host=False, clock=lambda: clock[0])
    async with app.run_test(size=SMALL) as pilot:
        await settled()(pilot)
        first = card_text(app)
        # The state paused two minutes before FIXED_NOW, 10:41 after it started.
        assert "❚❚ paused 2:00" in first and "ran 10:41 before the pause" in first
        assert "items/min" not in first
        clock[0] = FIXED_NOW + timedelta(seconds=5)
        await until(pilot, lambda: "❚❚ paused 2:05" in card_text(app))
        assert "ran 10:41 before the pause" in card_text(app)
        assert "ETA" not in str(app.screen.query_one("#progress-eta").render())
    wide = Igny8App(rt, app.site_id, host=False, clock=lambda: clock[0])
    async with wide.run_test(size=WIDE) as pilot:
        await settled()(pilot)
        assert str(wide.screen.query_one("#hdr-elapsed").render()) == "paused 2:05"


async def test_paused_time_is_left_out_of_a_runs_duration(runtime: Runtime) -> None:
    site_id = demo_site(runtime, small=True)
    run_id = runtime.service.run_now(site_id).run_id
    runtime.service.pause(site_id, run_id)  # no host yet: pauses at once
    with runtime.db.write() as s:  # as if it had been paused for an hour
        run = s.get(AutomationRun, run_id)
        assert run is not None and run.paused_at is not None
        run.started_at -= timedelta(hours=1, seconds=30)
        run.paused_at -= timedelta(hours=1)
    paused = runtime.service.run(site_id, run_id)
    assert 29 <= paused.duration_seconds <= 60, "a paused run's time at work stands still"
    resumed = runtime.service.resume(site_id, run_id)
    assert resumed.paused_seconds >= 3600
    assert 29 <= resumed.duration_seconds <= 60
    cancelled = runtime.service.cancel(site_id, run_id)
    assert cancelled.duration_seconds < 120


async def test_the_card_the_log_and_igny8_processing_agree_on_the_batch(
    dashboard_states: StateCache, tmp_path: Path
) -> None:
    home = dashboard_states.copy_into(tmp_path / "home", "paused_in_stage_4")
    rt = Runtime.load(home, None, actor="test")
    site_id = rt.workspace.site("green-thumb").id
    work = rt.service.current_processing(site_id)
    assert work is not None and work.stage == 4
    with rt.db.read() as s:
        started = [
            m.group(1, 2)
            for m in (
                re.match(r"batch (\d+)/(\d+) started", row.message)
                for row in s.scalars(select(LogRow).where(LogRow.stage == 4))
            )
            if m
        ]
    assert started, "stage 4 logged no batch"
    assert (str(work.batch_number), str(work.batch_count)) == started[-1]
    rt.db.dispose()
    shown = invoke_igny8(home, "processing", "--site", "green-thumb", "--json")
    assert shown.returncode == 0, shown.stderr
    cli = json.loads(shown.stdout)
    assert (str(cli["batch_number"]), str(cli["batch_count"])) == started[-1]
    assert (
        f"batch {started[-1][0]} of {started[-1][1]}"
        in invoke_igny8(home, "processing", "--site", "green-thumb").stdout
    )
    app = open_app(home)
    async with app.run_test(size=SMALL) as pilot:
        await settled()(pilot)
        assert f"batch {started[-1][0]} of {started[-1][1]}" in card_text(app)


def test_between_two_batches_igny8_processing_says_what_the_last_batch_log_line_said(
    runtime: Runtime,
) -> None:
    """A run paused for credits just as a batch of stage 4 ended: the next batch has not
    started, and the count must not drop by one (as it did when the view recounted it)."""
    rt = runtime
    reference, site_id = (demo_site(rt, name, grant=0, small=True) for name in ("a", "b"))
    for site in (reference, site_id):
        rt.service.update_config(site, ConfigUpdate(stage_4_batch_size=2))
    rt.workspace.add_credits(10_000)
    first = rt.service.run_now(reference).run_id
    assert rt.executor(first, threading.Event()).execute() is RunOutcome.COMPLETED
    stages = rt.service.run_progress(reference, first).stages  # type: ignore[union-attr]
    article = stages[3].credits_used / stages[3].processed_count
    needed = sum(stage.credits_used for stage in stages[:3]) + 4 * article + article / 2
    second = rt.service.run_now(site_id).run_id
    with rt.db.write() as s:  # the balance runs out after four articles: two whole batches
        account = s.scalars(select(Account)).one()
        credits.grant(s, account.id, credits.to_milli(needed) - account.balance_milli, "test")
    assert rt.executor(second, threading.Event()).execute() is RunOutcome.PAUSED
    work = rt.service.current_processing(site_id)
    assert work is not None and work.stage == 4 and work.processed_in_stage == 4
    last = [e.message for e in rt.service.logs(site_id, lines=1000) if "started" in e.message]
    assert last[-1].startswith(f"batch {work.batch_number}/{work.batch_count} started")


async def test_the_site_switcher_labels_pending_counts_and_shows_the_last_run_and_target(
    dashboard_states: StateCache, tmp_path: Path
) -> None:
    app = dashboard_states.app(tmp_path / "home", "completed")
    async with app.run_test(size=SMALL) as pilot:
        await settled()(pilot)
        await pilot.press("s")
        options = app.screen.query_one(OptionList)
        await until(pilot, lambda: options.option_count == 3)
        rows = [str(options.get_option_at_index(i).prompt) for i in range(3)]
        assert re.search(r"pending kw \d+ · cl \d+", rows[0])
        assert "last run 1 completed" in rows[0] and "→ folder" in rows[0]
        assert "no run yet  → folder" in rows[1]


async def burst(pilot: Pilot, *keys: str) -> None:
    """Keys as a fast typist (or a slow link) delivers them: all queued before any is handled."""
    driver = pilot.app._driver
    assert driver is not None
    for key in keys:
        event = events.Key(key, None)
        event.set_sender(pilot.app)
        driver.send_message(event)
    await pilot.pause()


async def test_down_enter_typed_at_once_picks_the_second_site(
    dashboard_states: StateCache, tmp_path: Path
) -> None:
    app = dashboard_states.app(tmp_path / "home", "idle")
    async with app.run_test(size=SMALL) as pilot:
        await settled()(pilot)
        await pilot.press("s")
        options = app.screen.query_one(OptionList)
        await until(pilot, lambda: options.option_count == 3 and options.highlighted == 0)
        await burst(pilot, "down", "enter")
        await until(pilot, lambda: app.data is not None and app.data.site.name == "brew-lab")


async def test_down_enter_typed_at_once_opens_the_second_article(
    dashboard_states: StateCache, tmp_path: Path
) -> None:
    app = dashboard_states.app(tmp_path / "home", "completed")
    async with app.run_test(size=SMALL) as pilot:
        await settled()(pilot)
        await pilot.press("c")
        table = app.screen.query_one("#items-table")
        await until(pilot, lambda: getattr(table, "row_count", 0) > 2)
        second = table.coordinate_to_cell_key((1, 0)).row_key.value  # type: ignore[attr-defined]
        await burst(pilot, "down", "enter")
        await until(pilot, lambda: type(app.screen).__name__ == "ItemDetailScreen")
        assert f"article-{app.screen.content_id}" == second  # type: ignore[attr-defined]


@pytest.fixture
def slow_runtime(home: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """The offline provider at 100 ms a call, one at a time: a run lasts long enough to quit."""
    monkeypatch.setenv("IGNY8_LOCAL_LATENCY_MS", "100")
    monkeypatch.setenv("IGNY8_AI_CONCURRENCY", "1")
    return Runtime.load(home, None, actor="dashboard:test")


def the_run(rt: Runtime) -> AutomationRun:
    with rt.db.read() as s:
        run = s.scalars(select(AutomationRun)).one()
        s.expunge(run)
        return run


async def quit_asked(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, Igny8App)
    await pilot.press("r")
    await until(
        pilot, lambda: bool(app.data and app.data.run and app.hosted_here(app.data.run.run_id))
    )
    await pilot.press("q")
    await until(pilot, lambda: isinstance(app.screen, QuitScreen))


async def test_pause_and_quit_leaves_the_run_paused_for_any_host(slow_runtime: Runtime) -> None:
    app = Igny8App(slow_runtime, demo_site(slow_runtime, small=True))
    async with app.run_test(size=SMALL) as pilot:
        await quit_asked(pilot)
        await pilot.press("p")
        await until(pilot, lambda: not app.is_running)
    # The item in hand (100 ms) finished within the quit's grace: the host paused the run
    # before letting it go, rather than leaving it running with a pause request.
    run = the_run(slow_runtime)
    assert (run.status, run.control_request, run.lease_owner) == ("paused", None, None)


async def test_quitting_while_hosting_offers_to_stay_or_leave_it_for_another_host(
    slow_runtime: Runtime,
) -> None:
    app = Igny8App(slow_runtime, demo_site(slow_runtime, small=True))
    async with app.run_test(size=SMALL) as pilot:
        await quit_asked(pilot)
        for choice in ("Pause and quit", "Leave it for another host", "Stay"):
            assert choice in "\n".join(str(b.label) for b in app.screen.query("Button"))
        await pilot.press("s")
        await until(pilot, lambda: not isinstance(app.screen, QuitScreen))
        assert app.is_running and the_run(slow_runtime).status == "running"
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("l")
        await until(pilot, lambda: not app.is_running)
    run = the_run(slow_runtime)
    assert run.status == "running" and run.control_request is None
    assert run.lease_owner is None, "quitting must release the run for the next host"


async def test_log_lines_wrap_again_to_a_new_width(
    dashboard_states: StateCache, tmp_path: Path
) -> None:
    """Lines are wrapped as they are written; a wider log (the layout turning narrow stacks it
    under the card, or the first read landing before the layout settled) must not keep them
    wrapped to the old width."""
    app = dashboard_states.app(tmp_path / "home", "completed")
    async with app.run_test(size=WIDE) as pilot:
        await settled()(pilot)
        lines = app.screen.query_one("#log-lines", RichLog)
        beside_the_card = lines.scrollable_content_region.width
        assert max(strip.cell_length for strip in lines.lines) <= beside_the_card
        await pilot.resize_terminal(*SMALL)
        await until(pilot, lambda: lines.scrollable_content_region.width > beside_the_card)
        await until(
            pilot, lambda: max(strip.cell_length for strip in lines.lines) > beside_the_card
        )
