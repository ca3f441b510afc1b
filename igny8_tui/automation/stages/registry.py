"""The registry: the only list of the pipeline's stages, in order.

Pending counts, queue labels, the estimate, the processing view and the progress figures are
all built from it; adding a stage means writing its module and listing its class here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from igny8_tui.automation.stages.base import Stage, StageContext
from igny8_tui.automation.stages.clustering import ClusteringStage
from igny8_tui.automation.stages.content import ContentStage
from igny8_tui.automation.stages.ideas import IdeasStage
from igny8_tui.automation.stages.image_prompts import ImagePromptsStage
from igny8_tui.automation.stages.images import ImagesStage
from igny8_tui.automation.stages.publishing import PublishingStage
from igny8_tui.automation.stages.tasks import TasksStage
from igny8_tui.db.models import AutomationConfig
from igny8_tui.schemas import StageResult

STAGES: tuple[type[Stage], ...] = (
    ClusteringStage,
    IdeasStage,
    TasksStage,
    ContentStage,
    ImagePromptsStage,
    ImagesStage,
    PublishingStage,
)
STAGE_NUMBERS: tuple[int, ...] = tuple(stage.number for stage in STAGES)
LAST_STAGE = STAGE_NUMBERS[-1]
_BY_NUMBER: dict[int, type[Stage]] = {stage.number: stage for stage in STAGES}


def stage_class(number: int) -> type[Stage]:
    return _BY_NUMBER[number]


def build_stage(number: int, context: StageContext) -> Stage:
    return _BY_NUMBER[number](context)


def parse_stage_result(number: int, data: dict[str, Any] | None) -> StageResult | None:
    """A stage result as stored on the run (JSON), in the stage's own model."""
    return None if data is None else _BY_NUMBER[number].result_model.model_validate(data)


def skips(config: AutomationConfig) -> dict[int, bool]:
    """Which stages the site's config switches off."""
    return {stage.number: stage.switched_off(config) for stage in STAGES}


def pending_counts(session: Session, site_id: int, config: AutomationConfig) -> dict[int, int]:
    """Each stage's queue size, in one round trip of indexed counts."""
    columns = [
        select(func.count())
        .select_from(stage.entity)
        .where(stage.pending_filter(site_id, config))
        .scalar_subquery()
        for stage in STAGES
    ]
    row = session.execute(select(*columns)).one()
    return {n: int(count) for n, count in zip(STAGE_NUMBERS, row, strict=True)}
