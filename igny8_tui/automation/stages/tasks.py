"""Stage 3, Ideas → Tasks: no AI, each idea becomes a writing task."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from igny8_tui.automation.stages.base import Applied, Stage, Unit
from igny8_tui.db.models import ContentIdea, Task


class TasksStage(Stage):
    number = 3
    noun = "ideas"
    processed_field = "ideas_processed"

    def next_unit(
        self, session: Session, batch_room: int, exclude: frozenset[int] = frozenset()
    ) -> Unit | None:
        idea = session.scalars(
            select(ContentIdea)
            .where(ContentIdea.site_id == self.ctx.site_id, ContentIdea.status == "new")
            .where(ContentIdea.id.not_in(exclude))
            .order_by(ContentIdea.id)
            .limit(1)
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
