"""Stage 3, Ideas → Tasks: no AI, each idea becomes a writing task."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from igny8_tui.automation.stages.base import Applied, PipelineRatios, Stage, Unit
from igny8_tui.db.models import AutomationConfig, ContentIdea, Task
from igny8_tui.schemas import StageResult


class Stage3Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "ideas_processed"
    MADE: ClassVar[tuple[tuple[str, str], ...]] = (("tasks_created", "tasks"),)
    ideas_processed: int = 0
    tasks_created: int = 0


class TasksStage(Stage):
    number = 3
    name = "Ideas → Tasks"
    short_name = "Tasks"
    card_name = "Ideas→Tasks"
    card_made = "{ideas_processed} → {tasks_created} tasks"
    noun = "ideas"
    result_model = Stage3Result
    entity = ContentIdea
    id_column = ContentIdea.id
    queue_order = (ContentIdea.id,)
    label_column = ContentIdea.title

    @classmethod
    def pending_filter(cls, site_id: int, config: AutomationConfig) -> ColumnElement[bool]:
        return and_(ContentIdea.site_id == site_id, ContentIdea.status == "new")

    @classmethod
    def downstream(cls, remaining: float, ratios: PipelineRatios) -> dict[int, float]:
        return {4: remaining}

    def next_unit(
        self, session: Session, batch_room: int, exclude: frozenset[int] = frozenset()
    ) -> Unit | None:
        idea: ContentIdea | None = session.scalars(
            self.pending_units(ContentIdea, exclude=exclude).limit(1)
        ).first()
        if idea is None:
            return None
        return Unit(
            key=f"idea:{idea.id}",
            item_id=idea.id,
            label=idea.title,
            item_count=1,
            cost_milli=0,
            payload=idea.id,
        )

    def call(self, unit: Unit) -> None:
        return None

    def apply(self, session: Session, unit: Unit, output: Any) -> Applied | None:
        idea = session.get(ContentIdea, unit.payload)
        if idea is None or idea.status != "new":
            return None
        session.add(Task(site_id=idea.site_id, idea_id=idea.id, title=idea.title))
        idea.status = "queued"
        return Applied(
            counters={"ideas_processed": 1, "tasks_created": 1},
            message=f"task queued: {idea.title!r}",
        )

    def fail(self, session: Session, unit: Unit, reason: str) -> Applied:
        raise AssertionError("stage 3 makes no external call that could fail")
