"""Forecasts of how many items each stage will see, from pending counts and past runs' ratios."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from igny8_tui.db.models import AutomationRun
from igny8_tui.schemas import STAGES
from igny8_tui.settings import Settings

DEFAULT_CLUSTERS_PER_KEYWORD = 0.1
HISTORY_RUNS = 20


@dataclass(frozen=True)
class PipelineRatios:
    """How many items one stage's item becomes downstream."""

    clusters_per_keyword: float
    ideas_per_cluster: float
    words_per_article: float
    prompts_per_content: float
    min_keywords: int
    basis: Literal["defaults", "history"]


# ratio name: (stage, numerator field, denominator field) in that stage's result
_RATIO_FIELDS = {
    "clusters_per_keyword": (1, "clusters_created", "keywords_processed"),
    "ideas_per_cluster": (2, "ideas_created", "clusters_processed"),
    "words_per_article": (4, "total_words", "content_created"),
    "prompts_per_content": (5, "prompts_created", "content_processed"),
}


def ratios_for_site(session: Session, site_id: int, settings: Settings) -> PipelineRatios:
    """Ratios observed in the site's recent runs, falling back to the configured defaults."""
    runs = session.scalars(
        select(AutomationRun)
        .where(AutomationRun.site_id == site_id)
        .order_by(AutomationRun.id.desc())
        .limit(HISTORY_RUNS)
    ).all()
    sums = {name: [0, 0] for name in _RATIO_FIELDS}
    for run in runs:
        for name, (stage, numerator, denominator) in _RATIO_FIELDS.items():
            data = run.stage_result(stage) or {}
            sums[name][0] += int(data.get(numerator, 0))
            sums[name][1] += int(data.get(denominator, 0))
    defaults = {
        "clusters_per_keyword": DEFAULT_CLUSTERS_PER_KEYWORD,
        "ideas_per_cluster": float(settings.ideas_per_cluster),
        "words_per_article": float(settings.target_word_count),
        "prompts_per_content": float(settings.image_prompts_per_content),
    }
    observed = {name: num / den for name, (num, den) in sums.items() if num > 0 and den > 0}
    return PipelineRatios(
        **(defaults | observed),
        min_keywords=settings.min_keywords_to_cluster,
        basis="history" if observed else "defaults",
    )


def downstream(stage: int, remaining: float, ratios: PipelineRatios) -> dict[int, float]:
    """Items that `remaining` unprocessed inputs of `stage` will add to later stages."""
    if stage == 1:
        if remaining < ratios.min_keywords:
            return {2: 0.0}
        return {2: remaining * ratios.clusters_per_keyword}
    if stage == 2:
        return {3: remaining * ratios.ideas_per_cluster}
    if stage in (3, 4):
        return {stage + 1: remaining}
    if stage == 5:
        return {6: remaining * ratios.prompts_per_content, 7: remaining}
    return {}


def forecast_inputs(
    pending: dict[int, int], ratios: PipelineRatios, skips: dict[int, bool]
) -> dict[int, int]:
    """Expected input of each stage for a run starting now; a skipped stage passes nothing on,
    except stage 5, whose content goes straight to publishing without images."""
    arriving = dict.fromkeys(STAGES, 0.0)
    inputs: dict[int, int] = {}
    for stage in STAGES:
        expected = pending[stage] + arriving[stage]
        inputs[stage] = math.ceil(expected - 1e-9)
        if skips[stage]:
            if stage == 5:
                arriving[7] += arriving[5]
            continue
        for target, amount in downstream(stage, expected, ratios).items():
            arriving[target] += amount
    return inputs
