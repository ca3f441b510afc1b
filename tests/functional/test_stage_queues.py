"""Every view of a stage's queue agrees with the queue the stage itself takes items from."""

from __future__ import annotations

import threading

from igny8_tui.automation.executor import RunOutcome
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate
from tests.conftest import demo_site


def test_publishing_without_images_shows_its_batch_and_its_queue(runtime: Runtime) -> None:
    """With stages 5 and 6 off, articles go to stage 7 without images: its batch line in the
    log and the processing view's "up next" must count those articles, not zero."""
    service = runtime.service
    site_id = demo_site(runtime, small=True)
    service.update_config(
        site_id, ConfigUpdate(skip_stage_5=True, skip_stage_6=True, skip_stage_7=True)
    )
    first = service.run_now(site_id).run_id
    assert runtime.executor(first, threading.Event()).execute() is RunOutcome.COMPLETED
    drafts = service.pipeline_overview(site_id).stages[6].pending
    assert drafts == 6

    service.update_config(site_id, ConfigUpdate(skip_stage_7=False))
    second = service.run_now(site_id).run_id
    stop = threading.Event()

    def stop_when_stage_7_starts(row: object) -> None:
        if "stage 7 started" in getattr(row, "message", ""):
            stop.set()

    executor = runtime.executor(second, stop, listener=stop_when_stage_7_starts)
    assert executor.execute() is RunOutcome.PAUSED
    processing = service.current_processing(site_id)
    assert processing is not None and processing.stage == 7
    titles = [c.title for c in runtime.workspace.content(site_id)]
    assert processing.up_next, "stage 7's queue shows nothing up next"
    assert set(processing.up_next) <= set(titles)

    service.resume(site_id)
    assert runtime.executor(second, threading.Event()).execute() is RunOutcome.COMPLETED
    batch_lines = [e.message for e in service.logs(site_id, second, 500) if e.stage == 7]
    assert any(f"batch 1/1 started · {drafts} articles" in line for line in batch_lines), (
        batch_lines
    )
