"""The seven stages, one module each, behind the `Stage` interface of `base.py`."""

from __future__ import annotations

from igny8_tui.automation.stages.base import Stage, StageContext
from igny8_tui.automation.stages.clustering import ClusteringStage
from igny8_tui.automation.stages.content import ContentStage
from igny8_tui.automation.stages.ideas import IdeasStage
from igny8_tui.automation.stages.image_prompts import ImagePromptsStage
from igny8_tui.automation.stages.images import ImagesStage
from igny8_tui.automation.stages.publishing import PublishingStage
from igny8_tui.automation.stages.tasks import TasksStage

STAGE_CLASSES: dict[int, type[Stage]] = {
    1: ClusteringStage,
    2: IdeasStage,
    3: TasksStage,
    4: ContentStage,
    5: ImagePromptsStage,
    6: ImagesStage,
    7: PublishingStage,
}


def build_stage(number: int, context: StageContext) -> Stage:
    return STAGE_CLASSES[number](context)


__all__ = ["STAGE_CLASSES", "Stage", "StageContext", "build_stage"]
