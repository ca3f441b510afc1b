"""`igny8 run` under cron: it exits on a pause the operator must act on, with its own code and
the reason on stderr, and waits through a pause an operator asked for unless --no-wait."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from igny8_tui.runtime import RunOutcome, Runtime
from tests.conftest import demo_site, invoke_igny8, run_igny8, start_igny8, wait_until

EXIT_PAUSED = 3
# Each small site needs 153 credits, and its estimate (x1.2) passes with this grant, but two
# runs together do not.
GRANT = 260


def _two_runs_that_run_short(runtime: Runtime) -> tuple[int, int]:
    site_a = demo_site(runtime, "site-a", grant=GRANT, small=True)
    site_b = demo_site(runtime, "site-b", grant=0, small=True)
    run_a = runtime.service.run_now(site_a).run_id
    runtime.service.run_now(site_b)
    assert runtime.executor(run_a, threading.Event()).execute() is RunOutcome.COMPLETED
    runtime.db.dispose()
    return site_a, site_b


def test_run_exits_with_the_paused_code_when_credits_run_out(home: Path, runtime: Runtime) -> None:
    _two_runs_that_run_short(runtime)
    ran = run_igny8(home, "run", "--site", "site-b")
    assert ran.returncode == EXIT_PAUSED, ran.stderr
    assert "Traceback" not in ran.stderr
    last = ran.stderr.strip().splitlines()[-1]
    assert last.startswith("igny8: run 2 paused: insufficient credits: ")
    assert "add credits, then resume" in last

    assert invoke_igny8(home, "credits", "--add", "500").returncode == 0
    assert invoke_igny8(home, "resume", "--site", "site-b").returncode == 0
    assert run_igny8(home, "run", "--site", "site-b").returncode == 0


def _stage(home: Path) -> int:
    shown = invoke_igny8(home, "status", "--site", "slow-site", "--json")
    run = json.loads(shown.stdout)["run"]
    hosted = run and run["status"] == "running" and run["host"]
    return int(run["current_stage"]) if hosted else 0


def _pause_once_started(home: Path, stage: int) -> None:
    wait_until(
        lambda: _stage(home) >= stage,
        timeout_s=120,
        what=f"a host executing the run in stage {stage}",
    )
    paused = invoke_igny8(home, "pause", "--site", "slow-site")
    assert paused.returncode == 0, paused.stderr


def test_no_wait_exits_on_an_operators_pause_and_without_it_run_waits_for_resume(
    home: Path, runtime: Runtime
) -> None:
    demo_site(runtime, "slow-site", small=True)
    runtime.db.dispose()
    slow = {"IGNY8_LOCAL_LATENCY_MS": "300"}

    host = start_igny8(home, "run", "--site", "slow-site", "--no-wait", **slow)
    try:
        _pause_once_started(home, 1)
        assert host.wait(120) == EXIT_PAUSED
        assert "paused: paused by" in host.communicate()[1]
    finally:
        host.kill()

    assert invoke_igny8(home, "resume", "--site", "slow-site").returncode == 0
    host = start_igny8(home, "run", "--site", "slow-site", **slow)
    try:
        _pause_once_started(home, 1)
        wait_until(lambda: "igny8 resume" in host.stderr_so_far(), what="the pause notice")
        assert host.poll() is None, "an operator's pause keeps `igny8 run` waiting"
        resumed = invoke_igny8(home, "resume", "--site", "slow-site")
        assert resumed.returncode == 0
        # The waiting `igny8 run` takes it back, and resume says so.
        assert "hosted by run:" in resumed.stdout and f":{host.pid}" in resumed.stdout
        assert host.wait(240) == 0, host.communicate()[1]
    finally:
        host.kill()
