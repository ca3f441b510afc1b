"""Stage 7, Review → Published: auto-approve finished articles and publish them to the target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal, cast

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from igny8_tui.automation import outbox
from igny8_tui.automation.stages.base import Applied, Stage, Unit
from igny8_tui.automation.stages.images import ImageKind
from igny8_tui.constants import ALT_TEXT_MAX_CHARS, PUBLISH_BATCH_SIZE
from igny8_tui.db.models import (
    AutomationConfig,
    Cluster,
    Content,
    ContentIdea,
    Image,
    Task,
    utcnow,
)
from igny8_tui.publish.target import ArticleImage, ArticleToPublish, PublishResult
from igny8_tui.schemas import StageResult


def alt_text(prompt: str) -> str:
    """An image's alt text: its prompt on one line, cut at a word within ALT_TEXT_MAX_CHARS."""
    text = " ".join(prompt.split())
    if len(text) <= ALT_TEXT_MAX_CHARS:
        return text
    return text[: ALT_TEXT_MAX_CHARS + 1].rsplit(" ", 1)[0].rstrip(" ,;:")


def publishes_without_images(config: AutomationConfig) -> bool:
    """With stage 5 or 6 switched off, articles are published without waiting for images."""
    return bool(config.skip_stage_5 or config.skip_stage_6)


def publish_failure_prefix(title: str) -> str:
    """How stage 7's log line on a failed publish starts; the reason follows (see `fail`)."""
    return f"approved {title!r} but publishing failed: "


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
            self.pending_units(Content, ContentIdea.target_keywords, Cluster.name, exclude=exclude)
            .join(Task, Task.id == Content.task_id)
            .join(ContentIdea, ContentIdea.id == Task.idea_id)
            .join(Cluster, Cluster.id == ContentIdea.cluster_id)
            .limit(1)
        ).first()
        if row is None:
            return None
        content, keywords, cluster_name = row
        status, scheduled_at = self._post_status(session)
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
                    alt=alt_text(i.prompt),
                    image_id=i.id,
                )
                for i in images
            ],
            cluster_name=cluster_name,
            status=status,
            scheduled_at=scheduled_at,
        )
        return Unit(
            key=f"publish:{content.id}",
            item_id=content.id,
            label=content.title,
            item_count=1,
            cost_milli=0,
            payload=article,
        )

    def _post_status(
        self, session: Session
    ) -> tuple[Literal["publish", "draft", "future"], datetime | None]:
        """The post status the site's target asks for; with a drip, `future` at N minutes after
        the site's last scheduled post (or after now)."""
        info = self.ctx.publish_info
        if info is None or info.kind != "wordpress":
            return "publish", None
        if info.status == "draft" or not info.drip_minutes:
            return info.status, None
        now = utcnow()
        last = session.scalar(
            select(func.max(Content.scheduled_at)).where(
                Content.site_id == self.ctx.site_id, Content.remote_status == "future"
            )
        )
        after = max(now, last.replace(tzinfo=UTC)) if last is not None else now
        return "future", after + timedelta(minutes=info.drip_minutes)

    def call(self, unit: Unit) -> PublishResult:
        return self.ctx.publisher.publish(unit.payload)

    def apply(self, session: Session, unit: Unit, output: Any) -> Applied | None:
        published: PublishResult = output
        content = session.get(Content, unit.payload.content_id)
        if content is None or content.status != "draft":
            return None
        article: ArticleToPublish = unit.payload
        content.status = "published"
        content.published_path = published.location
        content.published_at = article.published_at
        content.publish_target = self.ctx.publisher.name
        if published.remote_id is not None:
            content.remote_id, content.remote_url = published.remote_id, published.location
            content.remote_status = published.remote_status
            content.scheduled_at = article.scheduled_at
        for media in published.media:
            image = session.get(Image, media.image_id)
            if image is not None:
                image.remote_media_id, image.remote_url = media.media_id, media.url
        outbox.content_published(session, content, self.ctx.run_id)
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
            message=f"{publish_failure_prefix(unit.label)}{reason}",
            failed=True,
        )
