"""Stage 4, Tasks → Content: an AI call per task, 1 credit per 100 words of the article."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from igny8_tui.ai.outputs import ArticleDraft, TaskInput
from igny8_tui.automation.credits import Costs
from igny8_tui.automation.stages.base import Applied, PipelineRatios, Ratio, Stage, Unit
from igny8_tui.content_html import count_words, sanitize_html
from igny8_tui.db.models import AutomationConfig, Content, ContentIdea, Task
from igny8_tui.schemas import StageResult
from igny8_tui.slugs import slugify


def unique_slug(session: Session, site_id: int, title: str) -> str:
    base = slugify(title, fallback="article")
    taken = set(
        session.scalars(
            select(Content.slug).where(Content.site_id == site_id, Content.slug.like(f"{base}%"))
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


class Stage4Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "tasks_processed"
    MADE: ClassVar[tuple[tuple[str, str], ...]] = (
        ("content_created", "articles"),
        ("total_words", "words"),
    )
    tasks_processed: int = 0
    content_created: int = 0
    total_words: int = 0


class ContentStage(Stage):
    number = 4
    name = "Tasks → Content"
    short_name = "Content"
    card_name = "Tasks→Content"
    card_made = "{total_words} words"
    noun = "tasks"
    result_model = Stage4Result
    entity = Task
    id_column = Task.id
    queue_order = (Task.id,)
    label_column = Task.title
    # Its ratio is the words an article has: what content costs.
    ratio = Ratio(
        "words_per_article",
        "total_words",
        "content_created",
        lambda settings, _pending: float(settings.target_word_count),
    )
    parallel = True

    @classmethod
    def pending_filter(cls, site_id: int, config: AutomationConfig) -> ColumnElement[bool]:
        return and_(Task.site_id == site_id, Task.status == "queued")

    @classmethod
    def downstream(cls, remaining: float, ratios: PipelineRatios) -> dict[int, float]:
        return {5: remaining}

    @classmethod
    def estimate_milli(
        cls, items: int, ratios: PipelineRatios, costs: Costs, config: AutomationConfig
    ) -> int:
        return items * costs.content(round(ratios.of(cls.number)))

    def next_unit(
        self, session: Session, batch_room: int, exclude: frozenset[int] = frozenset()
    ) -> Unit | None:
        row = session.execute(
            self.pending_units(Task, ContentIdea, exclude=exclude)
            .join(ContentIdea, ContentIdea.id == Task.idea_id)
            .limit(1)
        ).first()
        if row is None:
            return None
        task, idea = row
        payload = TaskInput(
            id=task.id,
            title=idea.title,
            description=idea.description,
            outline=list(idea.outline),
            target_keywords=list(idea.target_keywords),
            target_word_count=idea.target_word_count,
            content_type=idea.content_type,
            content_structure=idea.content_structure,
            site_name=self.ctx.site_name,
        )
        return Unit(
            key=f"task:{task.id}",
            item_id=task.id,
            label=idea.title,
            item_count=1,
            cost_milli=self.ctx.costs.content(idea.target_word_count),
            payload=payload,
        )

    def call(self, unit: Unit) -> ArticleDraft:
        return self.ctx.provider.content_for_task(unit.payload)

    def apply(self, session: Session, unit: Unit, output: Any) -> Applied | None:
        draft: ArticleDraft = output
        task = session.get(Task, unit.payload.id)
        if task is None or task.status != "queued":
            return None
        html = sanitize_html(draft.html)
        words = count_words(html)
        session.add(
            Content(
                site_id=task.site_id,
                task_id=task.id,
                title=draft.title,
                slug=unique_slug(session, task.site_id, draft.title),
                html=html,
                meta_title=draft.meta_title,
                meta_description=draft.meta_description,
                word_count=words,
            )
        )
        task.status = "completed"
        idea = session.get(ContentIdea, task.idea_id)
        if idea is not None:
            idea.status = "completed"
        return Applied(
            counters={"tasks_processed": 1, "content_created": 1, "total_words": words},
            charge_milli=self.ctx.costs.billed(
                "content", self.ctx.costs.content(words), draft.usage
            ),
            message=f"{draft.title!r} · {words:,} words",
        )

    def fail(self, session: Session, unit: Unit, reason: str) -> Applied:
        task = session.get(Task, unit.payload.id)
        if task is not None:
            task.status = "failed"
            task.error = reason
        return Applied(
            counters={"tasks_processed": 1},
            message=f"content failed for {unit.label!r}: {reason}",
            failed=True,
        )
