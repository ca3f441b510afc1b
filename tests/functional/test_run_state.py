"""Run state changes mean the same whoever makes them: the service or the executor."""

from __future__ import annotations

import threading

from igny8_tui.runtime import RunOutcome, Runtime
from tests.conftest import demo_site


def _released_in_stage_2(runtime: Runtime, site_id: int) -> int:
    """A run whose host stopped in stage 2 and released it: running, with no live host."""
    run_id = runtime.service.run_now(site_id).run_id
    stop = threading.Event()

    def stop_in_stage_2(event: object) -> None:
        if "stage 2 started" in getattr(event, "message", ""):
            stop.set()

    executor = runtime.executor(run_id, stop, stop_mode="release", listener=stop_in_stage_2)
    assert executor.execute() is RunOutcome.RELEASED
    return run_id


def test_pausing_a_run_no_host_executes_settles_its_stage_as_paused(runtime: Runtime) -> None:
    site_id = demo_site(runtime, small=True)
    run_id = _released_in_stage_2(runtime, site_id)
    paused = runtime.service.pause(site_id)
    assert paused.status == "paused" and paused.pause_reason
    progress = runtime.service.run_progress(site_id, run_id)
    assert progress is not None
    stage_2 = progress.stages[1]
    assert stage_2.status == "paused"
    assert stage_2.result is not None and stage_2.result["partial"] is True

    runtime.service.resume(site_id)
    assert runtime.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED


def test_cancelling_a_run_no_host_executes_settles_its_stage_as_cancelled(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime, small=True)
    run_id = _released_in_stage_2(runtime, site_id)
    cancelled = runtime.service.cancel(site_id)
    assert cancelled.status == "cancelled"
    progress = runtime.service.run_progress(site_id, run_id)
    assert progress is not None and progress.stages[1].status == "cancelled"
    log = [e.message for e in runtime.service.logs(site_id, run_id, 500)]
    assert any(line.startswith("run cancelled by") for line in log)


def test_pausing_or_resuming_twice_succeeds_and_changes_nothing(runtime: Runtime) -> None:
    """Issue 9, defect 8: a second pause or resume exited 2; it is a no-op that says the state."""
    from tests.conftest import invoke_igny8

    site_id = demo_site(runtime, small=True)
    run_id = _released_in_stage_2(runtime, site_id)
    home = runtime.settings.home
    first = invoke_igny8(home, "pause", "--site", "green-thumb")
    assert first.returncode == 0, first.stderr
    log_before = runtime.service.logs(site_id, run_id, 1000)
    again = invoke_igny8(home, "pause", "--site", "green-thumb")
    assert again.returncode == 0, again.stderr
    assert "paused" in again.stdout
    assert runtime.service.logs(site_id, run_id, 1000) == log_before, "a no-op wrote a log line"

    assert invoke_igny8(home, "resume", "--site", "green-thumb").returncode == 0
    twice = invoke_igny8(home, "resume", "--site", "green-thumb")
    assert twice.returncode == 0, twice.stderr
    assert f"run {run_id} · running" in twice.stdout
    assert runtime.service.current_run(site_id).status == "running"  # type: ignore[union-attr]
