"""The credit forecast against what runs then use, on keyword sets it was not tuned on, and the
re-forecast after stage 1 that warns when the credits will not cover the rest of a run."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from igny8_tui.automation.executor import RunOutcome
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate, Estimate

# Not the sets the default model was fitted on (benchmarks/keywords/tuning/).
KITCHEN_CSV = Path(__file__).parents[2] / "benchmarks" / "keywords" / "kitchen.csv"


def _site(runtime: Runtime, name: str, grant: float) -> int:
    site = runtime.workspace.add_site(name)
    runtime.workspace.import_keywords(site.id, KITCHEN_CSV)
    if grant:
        runtime.workspace.add_credits(grant)
    return site.id


def _execute(runtime: Runtime, run_id: int) -> RunOutcome:
    return runtime.executor(run_id, threading.Event()).execute()


def _within(forecast: float, actual: float, tolerance: float) -> bool:
    return abs(forecast - actual) <= tolerance * actual


def _remote_ai_estimate(home: Path, site_id: int, monkeypatch: pytest.MonkeyPatch) -> Estimate:
    """The estimate a site gets with a remote AI: stage 1 from the default model."""
    with monkeypatch.context() as env:
        env.setenv("IGNY8_AI_PROVIDER", "openai")
        remote = Runtime.load(home, None, actor="test")
    try:
        return remote.service.estimate(site_id)
    finally:
        remote.db.dispose()


def test_a_new_40_keyword_site_is_forecast_within_25_percent_and_within_10_after_stage_1(
    runtime: Runtime, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_id = _site(runtime, "kitchen", grant=5000)
    before = runtime.service.estimate(site_id)
    remote = _remote_ai_estimate(home, site_id, monkeypatch)
    assert (before.basis, before.clusters_basis) == ("defaults", "dry run")
    assert remote.clusters_basis == "model"
    run_id = runtime.service.run_now(site_id).run_id
    assert _execute(runtime, run_id) is RunOutcome.COMPLETED
    used = runtime.service.run(site_id, run_id).total_credits_used
    progress = runtime.service.run_progress(site_id, run_id)
    assert progress is not None and progress.forecast_warning is None
    stage_1 = progress.stages[0].result or {}
    after_stage_1 = progress.stages[0].credits_used + stage_1["reforecast"]["rest_credits"]
    assert _within(before.total_credits, used, 0.25), (before.total_credits, used)
    assert _within(remote.total_credits, used, 0.25), (remote.total_credits, used)
    assert _within(after_stage_1, used, 0.10), (after_stage_1, used)


def test_a_run_the_credits_will_not_cover_warns_right_after_stage_1_with_the_numbers(
    runtime: Runtime,
) -> None:
    # Two sites on one account: both runs pass their estimate, but the first spends most of it
    # (stages 1-4 only, to keep the test short).
    first = _site(runtime, "first", grant=1000)
    runtime.service.update_config(
        first, ConfigUpdate.model_validate({f"skip_stage_{n}": True for n in (5, 6, 7)})
    )
    second = _site(runtime, "second", grant=0)
    first_run = runtime.service.run_now(first).run_id
    second_run = runtime.service.run_now(second).run_id
    assert _execute(runtime, first_run) is RunOutcome.COMPLETED
    assert _execute(runtime, second_run) is RunOutcome.PAUSED
    log = runtime.service.logs(second, second_run, lines=1000)
    lines = [(e.level, e.stage, e.message) for e in log]
    finished = next(i for i, (_, _, m) in enumerate(lines) if m.startswith("stage 1 completed"))
    level, stage, warning = lines[finished + 1]
    assert (level, stage) == ("WARN", 1)
    # 40 keywords, 11 clusters: the first run used 576 credits, the second's stage 1 used 15.
    assert runtime.service.run(first, first_run).total_credits_used == 576
    assert warning == (
        "after stage 1: the rest needs ~759 credits (x1.2 = 910.8) and the balance is 409;"
        " add credits now or the run will pause at stage 4"
    )
    progress = runtime.service.run_progress(second, second_run)
    assert progress is not None and progress.forecast_warning == warning
