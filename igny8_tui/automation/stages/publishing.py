"""Stage 7, Review → Published: auto-approve finished articles and publish them to the target."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, cast

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from igny8_tui.automation.stages.base import Applied, Stage, Unit
from igny8_tui.automation.stages.images import ImageKind
from igny8_tui.constants import PUBLISH_BATCH_SIZE
from igny8_tui.db.models import AutomationConfig, Content, ContentIdea, Image, Task, utcnow
from igny8_tui.publish.target import ArticleImage, ArticleToPublish, PublishResult
from igny8_tui.schemas import StageResult


def publishes_without_images(config: AutomationConfig) -> bool:
    """With stage 5 or 6 switched off, articles are published without waiting for images."""
    return bool(config.skip_stage_5 or config.skip_stage_6)


class Stage7Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "ready_for_review"
    MADE: ClassVar[tuple[tuple[str, str], ...]] = (("published", "published"),)
    ready_for_review: int = 0
    published: int = 0


class PublishingStage(Stage):
    number = 7
    name = "Review → Published"
    short_name = "Publishing"
    card_name = "Publish"
    card_made = "{published} published"
    noun = "articles ready for review"
    result_model = Stage7Result
    entity = Content
    id_column = Content.id
    queue_order = (Content.id,)
    label_column = Content.title

    @classmethod
    def pending_filter(cls, site_id: int, config: AutomationConfig) -> ColumnElement[bool]:
        """Draft content ready for stage 7: its images all settled, unless published without."""
        draft = and_(Content.site_id == site_id, Content.status == "draft")
        if publishes_without_images(config):
            return draft
        no_pending_images = ~exists().where(
            and_(Image.content_id == Content.id, Image.status == "pending")
        )
        return and_(draft, Content.has_image_prompts.is_(True), no_pending_images)

    @classmethod
    def batch_size(cls, config: AutomationConfig) -> int:
        # The spec's config has no batch size for stage 7.
        return PUBLISH_BATCH_SIZE

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
        images = session.scalars(
            select(Image)
            .where(Image.content_id == content.id, Image.status == "generated")
            .order_by(Image.position)
        ).all()
        article = ArticleToPublish(
            content_id=content.id,
            site_slug=self.ctx.site_slug,
            title=content.title,
            slug=content.slug,
            html=content.html,
            meta_title=content.meta_title,
            meta_description=content.meta_description,
            tags=list(keywords),
            published_at=utcnow(),
            images=[
                ArticleImage(
                    kind=cast(ImageKind, i.kind),
                    position=i.position,
                    path=Path(i.file_path or ""),
                    alt=i.prompt[:120],
                )
                for i in images
            ],
        )
        return Unit(
            key=f"publish:{content.id}",
            item_id=content.id,
            label=content.title,
            item_count=1,
            cost_milli=0,
            payload=article,
        )

    def call(self, unit: Unit) -> PublishResult:
        return self.ctx.publisher.publish(unit.payload)

    def apply(self, session: Session, unit: Unit, output: Any) -> Applied | None:
        published: PublishResult = output
        content = session.get(Content, unit.payload.content_id)
        if content is None or content.status != "draft":
            return None
        content.status = "published"
        content.published_path = published.location
        content.published_at = unit.payload.published_at
        return Applied(
            counters={"ready_for_review": 1, "published": 1},
            message=f"published {content.title!r} → {self._shown(published.location)}",
        )

    def _shown(self, location: str) -> str:
        """A location under the data directory, relative to it (shorter in the log)."""
        path = Path(location)
        home = self.ctx.settings.home
        return str(path.relative_to(home)) if path.is_relative_to(home) else location

    def fail(self, session: Session, unit: Unit, reason: str) -> Applied:
        content = session.get(Content, unit.payload.content_id)
        if content is not None:
            content.status = "review"
        return Applied(
            counters={"ready_for_review": 1},
            message=f"approved {unit.label!r} but publishing failed: {reason}",
            failed=True,
        )
