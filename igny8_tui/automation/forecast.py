"""Forecasts of how many items each stage will see, from pending counts and past runs' ratios."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from igny8_tui.automation.stages.base import PipelineRatios
from igny8_tui.automation.stages.registry import STAGE_NUMBERS, STAGES
from igny8_tui.db.models import AutomationRun
from igny8_tui.settings import Settings

HISTORY_RUNS = 20


def ratios_for_site(session: Session, site_id: int, settings: Settings) -> PipelineRatios:
    """Each stage's ratio as observed in the site's recent runs, else its default."""
    runs = session.scalars(
        select(AutomationRun)
        .where(AutomationRun.site_id == site_id)
        .order_by(AutomationRun.id.desc())
        .limit(HISTORY_RUNS)
    ).all()
    defaults: dict[int, float] = {}
    observed: dict[int, float] = {}
    for stage in STAGES:
        if stage.ratio is None:
            continue
        defaults[stage.number] = stage.ratio.default(settings)
        numerator = denominator = 0
        for run in runs:
            data = run.stage_result(stage.number) or {}
            numerator += int(data.get(stage.ratio.numerator, 0))
            denominator += int(data.get(stage.ratio.denominator, 0))
        if numerator > 0 and denominator > 0:
            observed[stage.number] = numerator / denominator
    return PipelineRatios(
        by_stage=defaults | observed,
        min_keywords=settings.min_keywords_to_cluster,
        basis="history" if observed else "defaults",
    )


def forecast_inputs(
    pending: dict[int, int], ratios: PipelineRatios, skips: dict[int, bool]
) -> dict[int, int]:
    """Expected input of each stage for a run starting now; a switched-off stage passes
    nothing on, except where it says its input goes on (stage 5: straight to publishing)."""
    arriving = dict.fromkeys(STAGE_NUMBERS, 0.0)
    inputs: dict[int, int] = {}
    for stage in STAGES:
        n = stage.number
        expected = pending[n] + arriving[n]
        inputs[n] = math.ceil(expected - 1e-9)
        if skips[n]:
            if stage.skipped_passes_to is not None:
                arriving[stage.skipped_passes_to] += arriving[n]
            continue
        for target, amount in stage.downstream(expected, ratios).items():
            arriving[target] += amount
    return inputs
