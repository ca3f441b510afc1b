"""Global progress never moves backwards; stage cards show real counts in every state."""

from __future__ import annotations

import threading
from pathlib import Path

from igny8_tui.automation.executor import RunOutcome
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate
from tests.conftest import demo_site
from tests.dashboard_states import running_in_stage_4


def test_global_progress_never_moves_backwards_and_reads_100_only_when_completed(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime)
    run_id = runtime.service.run_now(site_id).run_id
    outcome: list[RunOutcome] = []
    worker = threading.Thread(
        target=lambda: outcome.append(runtime.executor(run_id, threading.Event()).execute())
    )
    worker.start()
    seen: list[tuple[int, str]] = []
    while worker.is_alive():
        progress = runtime.service.run_progress(site_id, run_id)
        assert progress is not None
        seen.append((progress.global_progress.percentage, progress.run.status))
        worker.join(0.01)
    final = runtime.service.run_progress(site_id, run_id)
    assert final is not None and outcome == [RunOutcome.COMPLETED]
    percentages = [p for p, _ in seen]
    assert percentages == sorted(percentages), "progress moved backwards"
    assert all(p < 100 for p, status in seen if status != "completed")
    assert len(set(percentages)) > 10, "progress should move in many steps"
    assert final.global_progress.percentage == 100
    assert final.global_progress.completed_items == final.global_progress.total_items
    for stage in final.stages:
        assert stage.status == "completed"
        assert stage.processed_count == stage.input_count > 0


def test_switched_off_stages_are_skipped_with_the_reason_and_the_rest_publishes(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime)
    runtime.service.update_config(site_id, ConfigUpdate(skip_stage_5=True, skip_stage_6=True))
    estimate = runtime.service.estimate(site_id)
    assert [s.credits for s in estimate.stages][4:6] == [0, 0]
    run_id = runtime.service.run_now(site_id).run_id
    assert runtime.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED
    progress = runtime.service.run_progress(site_id, run_id)
    assert progress is not None
    by_number = {s.number: s for s in progress.stages}
    for number in (5, 6):
        assert by_number[number].status == "skipped"
        assert by_number[number].skip_reason == "switched off in this site's config"
    assert by_number[7].processed_count == 36
    assert progress.metrics.credits_used == 45 + 72 + 540
    assert progress.global_progress.percentage == 100


def test_a_stage_with_nothing_to_do_is_skipped_with_its_reason(runtime: Runtime) -> None:
    site = runtime.workspace.add_site("small")
    csv = runtime.settings.home / "few.csv"
    csv.write_text("keyword\nraised bed soil\nraised bed kits\ncompost bins\n")
    runtime.workspace.import_keywords(site.id, csv)
    run_id = runtime.service.run_now(site.id).run_id
    assert runtime.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED
    progress = runtime.service.run_progress(site.id, run_id)
    assert progress is not None
    reasons = [s.skip_reason for s in progress.stages]
    assert reasons[0] == "at least 5 keywords are needed to cluster (3 pending)"
    assert reasons[1] == "no clusters to process"
    assert all(s.status == "skipped" for s in progress.stages)
    assert progress.global_progress.percentage == 100


def test_processing_shows_every_item_in_hand_up_to_the_concurrency(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("ai_concurrency = 3\n")
    runtime = Runtime.load(home, None, actor="test")
    site_id = running_in_stage_4(runtime)
    work = runtime.service.current_processing(site_id)
    assert work is not None and work.stage == 4 and work.status == "running"
    assert len(work.current_items) == 3
    assert len(work.up_next) == 3 and not set(work.up_next) & set(work.current_items)
