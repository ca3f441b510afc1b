"""Global run progress: processed items over expected items, never moving backwards."""

from __future__ import annotations

import math

from igny8_tui.automation.stages.base import PipelineRatios
from igny8_tui.automation.stages.registry import STAGE_NUMBERS, STAGES
from igny8_tui.schemas import GlobalProgress, StageResult

_SETTLED = ("completed", "failed", "cancelled")


def compute_progress(
    results: dict[int, StageResult | None],
    pending: dict[int, int],
    ratios: PipelineRatios,
    skips: dict[int, bool],
    previous_percentage: int,
    run_completed: bool,
) -> GlobalProgress:
    """Stages that started count their real input; later ones their pending items plus what
    the unprocessed input upstream is forecast to add. Reads 100 only for a completed run."""
    arriving = dict.fromkeys(STAGE_NUMBERS, 0.0)
    total = completed = 0
    for stage in STAGES:
        n = stage.number
        result = results[n]
        if (result is not None and result.skipped) or (result is None and skips[n]):
            if stage.skipped_passes_to is not None:
                arriving[stage.skipped_passes_to] += arriving[n]
            continue
        if result is None:
            expected = pending[n] + arriving[n]
            processed = 0
        else:
            processed = result.processed_count
            expected = (
                processed if result.status in _SETTLED else max(result.input_count, processed)
            )
        remaining = max(expected - processed, 0)
        total += math.ceil(expected - 1e-9)
        completed += processed
        for target, amount in stage.downstream(remaining, ratios).items():
            arriving[target] += amount
    if run_completed:
        return GlobalProgress(total_items=completed, completed_items=completed, percentage=100)
    computed = min(99, completed * 100 // total) if total else 0
    return GlobalProgress(
        total_items=max(total, completed),
        completed_items=completed,
        percentage=max(previous_percentage, computed),
    )
