"""Stage 5, Content → Image Prompts: an AI call per article, charged per prompt."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from igny8_tui.ai.outputs import ContentInput, ImagePromptsResult
from igny8_tui.automation.credits import Costs
from igny8_tui.automation.stages.base import Applied, PipelineRatios, Ratio, Stage, Unit
from igny8_tui.content_html import h2_headings
from igny8_tui.db.models import AutomationConfig, Content, ContentIdea, Image, Task
from igny8_tui.schemas import StageResult


class Stage5Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "content_processed"
    MADE: ClassVar[tuple[tuple[str, str], ...]] = (("prompts_created", "prompts"),)
    content_processed: int = 0
    prompts_created: int = 0


class ImagePromptsStage(Stage):
    number = 5
    name = "Content → Image Prompts"
    short_name = "Prompts"
    card_name = "Content→Prompts"
    card_made = "{content_processed} → {prompts_created} prompts"
    noun = "articles"
    result_model = Stage5Result
    entity = Content
    id_column = Content.id
    queue_order = (Content.id,)
    label_column = Content.title
    ratio = Ratio(
        "prompts_per_content",
        "prompts_created",
        "content_processed",
        lambda settings, _pending: float(settings.image_prompts_per_content),
    )
    parallel = True
    # Switched off, its articles are published without images.
    skipped_passes_to = 7

    @classmethod
    def pending_filter(cls, site_id: int, config: AutomationConfig) -> ColumnElement[bool]:
        return and_(
            Content.site_id == site_id,
            Content.status == "draft",
            Content.has_image_prompts.is_(False),
        )

    @classmethod
    def downstream(cls, remaining: float, ratios: PipelineRatios) -> dict[int, float]:
        return {6: remaining * ratios.of(cls.number), 7: remaining}

    @classmethod
    def estimate_milli(
        cls, items: int, ratios: PipelineRatios, costs: Costs, config: AutomationConfig
    ) -> int:
        return costs.image_prompts(round(items * ratios.of(cls.number)))

    def next_unit(
        self, session: Session, batch_room: int, exclude: frozenset[int] = frozenset()
    ) -> Unit | None:
        row = session.execute(
            self.pending_units(Content, ContentIdea.target_keywords, exclude=exclude)
            .join(Task, Task.id == Content.task_id)
            .join(ContentIdea, ContentIdea.id == Task.idea_id)
            .limit(1)
        ).first()
        if row is None:
            return None
        content, keywords = row
        count = self.ctx.settings.image_prompts_per_content
        payload = ContentInput(
            id=content.id,
            title=content.title,
            headings=h2_headings(content.html),
            keywords=list(keywords),
            site_name=self.ctx.site_name,
        )
        return Unit(
            key=f"content:{content.id}",
            item_id=content.id,
            label=content.title,
            item_count=1,
            cost_milli=self.ctx.costs.image_prompts(count),
            payload=payload,
        )

    def call(self, unit: Unit) -> ImagePromptsResult:
        return self.ctx.provider.image_prompts_for_content(
            unit.payload, self.ctx.settings.image_prompts_per_content
        )

    def apply(self, session: Session, unit: Unit, output: Any) -> Applied | None:
        result: ImagePromptsResult = output
        content = session.get(Content, unit.payload.id)
        if content is None or content.has_image_prompts:
            return None
        # One featured image at position 0; every other prompt is in-article 1..N, in order.
        featured = next((p for p in result.prompts if p.kind == "featured"), None)
        in_article = [p for p in result.prompts if p is not featured]
        slots = [("featured", 0, featured.prompt)] if featured else []
        slots += [("in_article", n, p.prompt) for n, p in enumerate(in_article, start=1)]
        for kind, position, prompt in slots:
            session.add(
                Image(
                    site_id=content.site_id,
                    content_id=content.id,
                    kind=kind,
                    position=position,
                    prompt=prompt,
                )
            )
        content.has_image_prompts = True
        return Applied(
            counters={"content_processed": 1, "prompts_created": len(slots)},
            charge_milli=self.ctx.costs.billed(
                "image_prompts", self.ctx.costs.image_prompts(len(slots)), result.usage
            ),
            message=f"{content.title!r} · {len(slots)} image prompts",
        )

    def fail(self, session: Session, unit: Unit, reason: str) -> Applied:
        content = session.get(Content, unit.payload.id)
        if content is not None:
            content.has_image_prompts = True
        return Applied(
            counters={"content_processed": 1},
            message=f"image prompts failed for {unit.label!r}: {reason} (published without images)",
            failed=True,
        )
