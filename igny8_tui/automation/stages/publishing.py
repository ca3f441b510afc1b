"""Stage 7, Review → Published: auto-approve finished articles and publish them to the target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from igny8_tui.automation.pipeline import publishable_filter
from igny8_tui.automation.stages.base import Applied, Stage, Unit
from igny8_tui.db.models import Content, ContentIdea, Image, Task, utcnow
from igny8_tui.publish.target import ArticleImage, ArticleToPublish, PublishResult


class PublishingStage(Stage):
    number = 7
    noun = "articles ready for review"
    processed_field = "ready_for_review"

    def next_unit(
        self, session: Session, batch_room: int, exclude: frozenset[int] = frozenset()
    ) -> Unit | None:
        where = publishable_filter(self.ctx.site_id, self.ctx.publish_without_images)
        row = session.execute(
            select(Content, ContentIdea.target_keywords)
            .join(Task, Task.id == Content.task_id)
            .join(ContentIdea, ContentIdea.id == Task.idea_id)
            .where(where)
            .where(Content.id.not_in(exclude))
            .order_by(Content.id)
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
                    kind=i.kind,  # type: ignore[arg-type]
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
