"""Fixed, realistic dashboard states for snapshot tests and screenshots.

Each state is made by the real engine (the offline provider, real runs), then every time in it
is pinned to FIXED_NOW so the screen renders the same on every machine. Making a state takes
seconds (a run of 150 keywords), so `StateCache` makes each one once and copies its database."""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import shutil
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerState

from igny8_tui.automation import credits
from igny8_tui.automation.executor import RunOutcome
from igny8_tui.automation.workspace import Workspace
from igny8_tui.db.models import Account, ActivityLog, AutomationConfig, AutomationRun, Host, Site
from igny8_tui.runtime import Runtime
from igny8_tui.tui.app import Igny8App

DEMO_CSV = Path(__file__).resolve().parents[1] / "igny8_tui" / "data" / "demo_keywords.csv"
FIXED_NOW = datetime(2026, 11, 28, 13, 5, 22, tzinfo=UTC)
RUN_STARTED = FIXED_NOW - timedelta(minutes=12, seconds=41)
OTHER_HOST = "daemon:ops@web1:4242"
# Seconds each stage took, in the pinned timeline.
STAGE_SECONDS = {1: 42.0, 2: 70.0, 3: 1.0, 4: 291.0, 5: 64.0, 6: 230.0, 7: 12.0}


def _sites(workspace: Workspace) -> int:
    site = workspace.add_site("green-thumb", domain="green-thumb.example")
    workspace.import_keywords(site.id, DEMO_CSV)
    for name in ("brew-lab", "trail-notes"):
        workspace.add_site(name)
    return site.id


def _pin_times(rt: Runtime, *, paused_minutes_ago: float | None = None) -> None:
    """Every run, stage result and log line on the fixed timeline."""
    with rt.db.write() as s:
        for run in s.scalars(select(AutomationRun)):
            run.started_at = RUN_STARTED
            run.paused_seconds = 0.0
            run.heartbeat_at = FIXED_NOW - timedelta(seconds=3)
            for n, seconds in STAGE_SECONDS.items():
                result = run.stage_result(n)
                if result is not None:
                    share = 0.5 if result.get("status") in ("paused", "active") else 1.0
                    result = dict(result, time_elapsed=seconds * share)
                    setattr(run, f"stage_{n}_result", result)
            if run.paused_at is not None:
                run.paused_at = FIXED_NOW - timedelta(minutes=paused_minutes_ago or 2)
            if run.finished_at is not None:
                run.finished_at = FIXED_NOW - timedelta(seconds=20)
                if run.completed_at is not None:
                    run.completed_at = run.finished_at
                if run.cancelled_at is not None:
                    run.cancelled_at = run.finished_at
        rows = s.scalars(select(ActivityLog).order_by(ActivityLog.id)).all()
        for position, row in enumerate(rows):
            row.created_at = RUN_STARTED + (FIXED_NOW - RUN_STARTED) * (position + 1) / (
                len(rows) + 1
            )
            row.message = _pinned_durations(row.stage, row.message)


def _pinned_durations(stage: int | None, message: str) -> str:
    """Measured durations at the end of log lines, replaced by the pinned timeline's."""
    seconds = STAGE_SECONDS[stage] if stage else sum(STAGE_SECONDS.values())
    return re.sub(r"· [0-9.]+s$", f"· {seconds:.1f}s", message)


def _spend_elsewhere(rt: Runtime, leave: float) -> None:
    """Credits used by other sites: only `leave` remain for this run."""
    with rt.db.write() as s:
        account = s.scalars(select(Account)).one()
        credits.grant(
            s, account.id, credits.to_milli(leave) - account.balance_milli, "used by other sites"
        )


def _run_into_stage_4(rt: Runtime, site_id: int) -> int:
    """A real run that runs short of credits after 14 articles of stage 4."""
    rt.workspace.add_credits(1400)
    run_id = rt.service.run_now(site_id).run_id
    _spend_elsewhere(rt, 45 + 72 + 14 * 15 + 5)
    assert rt.executor(run_id, threading.Event()).execute() is RunOutcome.PAUSED
    return run_id


def idle(rt: Runtime) -> int:
    site_id = _sites(rt.workspace)
    rt.workspace.add_credits(12480)
    return site_id


def paused_in_stage_4(rt: Runtime) -> int:
    site_id = _sites(rt.workspace)
    _run_into_stage_4(rt, site_id)
    _pin_times(rt)
    return site_id


def running_in_stage_4(rt: Runtime) -> int:
    """The paused run, credited and resumed, now hosted by a daemon on another machine."""
    site_id = _sites(rt.workspace)
    run_id = _run_into_stage_4(rt, site_id)
    rt.workspace.add_credits(12000)
    rt.service.resume(site_id, run_id)
    with rt.db.write() as s:
        run = s.get(AutomationRun, run_id)
        assert run is not None
        run.lease_owner = OTHER_HOST
        run.lease_expires_at = datetime(2100, 1, 1, tzinfo=UTC)
        run.lease_token += 1
        stage_4 = dict(run.stage_4_result or {}, status="active")
        run.stage_4_result = stage_4
    _pin_times(rt)
    return site_id


def completed(rt: Runtime) -> int:
    site_id = _sites(rt.workspace)
    rt.workspace.add_credits(13353)
    run_id = rt.service.run_now(site_id).run_id
    assert rt.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED
    _pin_times(rt)
    return site_id


def failed(rt: Runtime) -> int:
    """A run whose provider rejected the API key in stage 4 (as the OpenAI provider reports)."""
    site_id = _sites(rt.workspace)
    run_id = _run_into_stage_4(rt, site_id)
    message = "stage 4: the AI provider refused the API key (HTTP 401); check IGNY8_AI_API_KEY"
    with rt.db.write() as s:
        run = s.get(AutomationRun, run_id)
        assert run is not None
        run.status, run.error_message, run.pause_reason = "failed", message, None
        run.finished_at = FIXED_NOW
        run.stage_4_result = dict(run.stage_4_result or {}, status="failed")
        s.add(
            ActivityLog(
                site_id=site_id,
                run_id=run_id,
                stage=4,
                level="ERROR",
                message=f"run failed: {message}",
            )
        )
    _pin_times(rt)
    return site_id


STALLED_HOST = "daemon:ops@web2:5120"
# A host an older igny8 ran: it has no row in `hosts`, only its name on the run it held.
OLD_HOST = "run:ana@laptop:9120"


def _held_run(s: Session, site_name: str, owner: str, token: int, silent_s: float) -> None:
    """A running run of `site_name`, held by `owner` (a 60 s lease) that last beat `silent_s`
    seconds before FIXED_NOW."""
    site = s.scalars(select(Site).where(Site.name == site_name)).one()
    config = s.scalars(select(AutomationConfig).where(AutomationConfig.site_id == site.id)).one()
    beat = FIXED_NOW - timedelta(seconds=silent_s)
    s.add(
        AutomationRun(
            config_id=config.id,
            site_id=site.id,
            trigger_type="scheduled",
            status="running",
            current_stage=1,
            started_at=beat - timedelta(minutes=5),
            initial_snapshot={},
            progress={},
            lease_owner=owner,
            lease_token=token,
            lease_expires_at=beat + timedelta(seconds=60),
            heartbeat_at=beat,
        )
    )


def _host(
    name: str, started_ago: timedelta, seen_ago: timedelta, claimed: int, last: tuple[int, int]
) -> Host:
    role, _, where = name.partition(":")
    machine, _, pid = where.partition("@")[2].partition(":")
    return Host(
        name=name,
        role=role,
        machine=machine,
        pid=int(pid),
        lease_ttl_s=60.0,
        started_at=FIXED_NOW - started_ago,
        seen_at=FIXED_NOW - seen_ago,
        runs_claimed=claimed,
        last_run_id=last[0],
        last_token=last[1],
        last_claimed_at=FIXED_NOW - seen_ago - timedelta(minutes=8),
    )


def hosts(rt: Runtime) -> int:
    """Five hosts: the daemon on web1 runs the site's run on time; the one on web2 went silent
    40 s ago (its lease has 20 s left); an older igny8 on a laptop left a run whose lease ran out
    3:05 ago; this dashboard serves with no run; a daemon on web3 stopped cleanly 2 h ago."""
    site_id = running_in_stage_4(rt)
    with rt.db.write() as s:
        s.execute(delete(Host))  # the rows the state's own runs wrote, at the real time
        run = s.scalars(select(AutomationRun)).one()
        run.lease_expires_at = (
            run.heartbeat_at + timedelta(seconds=60) if run.heartbeat_at else None
        )
        _held_run(s, "brew-lab", STALLED_HOST, 3, silent_s=40)
        _held_run(s, "trail-notes", OLD_HOST, 1, silent_s=245)
        seconds, hours = timedelta(seconds=1), timedelta(hours=1)
        s.add_all(
            [
                _host(OTHER_HOST, 3 * hours, 3 * seconds, 4, (run.id, run.lease_token)),
                _host(STALLED_HOST, 5 * hours, 40 * seconds, 2, (run.id + 1, 3)),
                _host(ACTOR, hours, seconds, 1, (run.id, 1)),
                _host("daemon:ops@web3:3001", 6 * hours, 2 * hours, 3, (run.id, 1)),
                # Seen three days ago: not listed.
                _host("daemon:ops@web4:880", 80 * hours, 72 * hours, 9, (run.id, 1)),
            ]
        )
        s.flush()
        stopped = s.scalars(select(Host).where(Host.name == "daemon:ops@web3:3001")).one()
        stopped.stopped_at = stopped.seen_at
    return site_id


STATES = ("idle", "paused_in_stage_4", "running_in_stage_4", "completed", "failed", "hosts")
SITE = "green-thumb"
ACTOR = "dashboard:ops@web1:7"
DATABASE = "igny8.db"


def _configure(home: Path) -> None:
    # One AI call at a time: items commit in queue order, so every run tells the same story.
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("ai_concurrency = 1\n")


def make_state(home: Path, state: str) -> None:
    """A fresh database in `home`, in the named state; closed, so its file is complete."""
    _configure(home)
    rt = Runtime.load(home, None, actor=ACTOR)
    globals()[state](rt)
    rt.db.dispose()


def open_app(home: Path) -> Igny8App:
    """The dashboard over the state in `home`, on a fixed clock."""
    rt = Runtime.load(home, None, actor=ACTOR)
    return Igny8App(rt, rt.workspace.site(SITE).id, host=False, clock=lambda: FIXED_NOW)


def build_app(home: Path, state: str) -> Igny8App:
    """The dashboard over a fresh database in `home`, in the named state, on a fixed clock."""
    make_state(home, state)
    return open_app(home)


class StateCache:
    """Each state made once under `root`, then copied into every home that asks for it.

    Processes may share `root` (pytest-xdist workers): a lock file per state lets one of them
    make it while the others wait, and a state counts as made only once its marker exists."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def database(self, state: str) -> Path:
        if state not in STATES:
            raise ValueError(f"unknown dashboard state {state!r}")
        made = self.root / state
        marker = made / "made"
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / f"{state}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not marker.exists():
                shutil.rmtree(made, ignore_errors=True)  # a half-made state from a failed try
                make_state(made / "home", state)
                marker.touch()
        return made / "home" / DATABASE

    def copy_into(self, home: Path, state: str) -> Path:
        """`home` holds its own copy of the state's database (and the config it was made with)."""
        source = self.database(state)
        _configure(home)
        target = home / DATABASE
        shutil.copyfile(source, target)
        os.chmod(target, 0o600)
        return home

    def app(self, home: Path, state: str) -> Igny8App:
        return open_app(self.copy_into(home, state))


# The screen counts as still once it has shown the same picture this many times in a row, a
# tenth of a second apart and with the app idle in between (half a second at least: on a busy
# machine a refresh can trail its cause).
STILL_PICTURES = 5


def _screen_is_loading(pilot: Pilot) -> bool:
    """A screen on top of the dashboard still reading what it shows, in its own worker: on a
    busy machine that read can outlast any fixed number of identical pictures."""
    screen = pilot.app.screen
    return any(
        worker.node is screen and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
        for worker in pilot.app.workers
    )


async def until_still(pilot: Pilot, timeout_s: float = 60) -> None:
    """Wait until the screen stops changing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    pictures: list[str] = []
    while (
        len(pictures) < STILL_PICTURES
        or len(set(pictures[-STILL_PICTURES:])) > 1
        or _screen_is_loading(pilot)
    ):
        assert loop.time() < deadline, f"the screen still changed after {timeout_s:g} s"
        await pilot.pause(0.1)
        await pilot.wait_for_scheduled_animations()
        pictures.append(pilot.app.export_screenshot())


def settled(*keys: str) -> Callable[[Pilot], Awaitable[None]]:
    """Wait for the first read of the database and the screen to settle, press `keys`, and wait
    for the screen to settle again (no cursor blinking)."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, Igny8App)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while app.data is None:
            assert loop.time() < deadline, "the dashboard never read the database"
            await pilot.pause(0.02)
        await until_still(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            # The next key acts on what the screen shows: let its own read finish first.
            while _screen_is_loading(pilot):
                assert loop.time() < deadline + 60, "the screen never finished loading"
                await pilot.pause(0.02)
        await still(pilot)

    return run_before


async def still(pilot: Pilot) -> None:
    """No cursor blinks in text fields, then wait until the screen stops changing."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await until_still(pilot)
