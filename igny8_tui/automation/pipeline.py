"""What waits at each stage: the pending queries every stage, count and estimate share."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from igny8_tui.constants import PUBLISH_BATCH_SIZE
from igny8_tui.db.models import (
    AutomationConfig,
    Cluster,
    Content,
    ContentIdea,
    Image,
    Keyword,
    Task,
)


def _no_pending_images() -> ColumnElement[bool]:
    return ~exists().where(and_(Image.content_id == Content.id, Image.status == "pending"))


def batch_size(config: AutomationConfig, stage: int) -> int:
    if stage == 7:
        return PUBLISH_BATCH_SIZE
    size: int = getattr(config, f"stage_{stage}_batch_size")
    return size


def publishes_without_images(config: AutomationConfig) -> bool:
    """With stage 5 or 6 switched off, articles are published without waiting for images."""
    return config.skip_stage_5 or config.skip_stage_6


def publishable_filter(site_id: int, without_images: bool) -> ColumnElement[bool]:
    """Draft content ready for stage 7: its images all settled, unless published without."""
    draft = and_(Content.site_id == site_id, Content.status == "draft")
    if without_images:
        return draft
    return and_(draft, Content.has_image_prompts.is_(True), _no_pending_images())


def pending_filters(site_id: int, without_images: bool = False) -> dict[int, ColumnElement[bool]]:
    """The WHERE clause of each stage's queue."""
    return {
        1: and_(Keyword.site_id == site_id, Keyword.status == "new"),
        2: and_(Cluster.site_id == site_id, Cluster.status == "new"),
        3: and_(ContentIdea.site_id == site_id, ContentIdea.status == "new"),
        4: and_(Task.site_id == site_id, Task.status == "queued"),
        5: and_(
            Content.site_id == site_id,
            Content.status == "draft",
            Content.has_image_prompts.is_(False),
        ),
        6: and_(Image.site_id == site_id, Image.status == "pending"),
        7: publishable_filter(site_id, without_images),
    }


_ENTITY = {1: Keyword, 2: Cluster, 3: ContentIdea, 4: Task, 5: Content, 6: Image, 7: Content}


def pending_counts(session: Session, site_id: int, without_images: bool = False) -> dict[int, int]:
    """Each stage's queue size, in one round trip of indexed counts."""
    filters = pending_filters(site_id, without_images)
    columns = [
        select(func.count()).select_from(_ENTITY[stage]).where(where).scalar_subquery()
        for stage, where in filters.items()
    ]
    row = session.execute(select(*columns)).one()
    return {stage: int(count) for stage, count in zip(filters, row, strict=True)}


def image_label(kind: str, position: int, content_id: int) -> str:
    """How an image is named in the log and the processing card."""
    return f"{kind.replace('_', '-')} image {position} of article {content_id}"


def queue_labels(session: Session, site_id: int, stage: int, limit: int) -> list[str]:
    """Labels of the first `limit` items in a stage's queue, in the order stages take them."""
    where = pending_filters(site_id)[stage]
    if stage == 1:
        query = select(Keyword.text).order_by(Keyword.volume.desc(), Keyword.text_norm)
        return list(session.scalars(query.where(where).limit(limit)))
    if stage == 6:
        rows = session.execute(
            select(Image.kind, Image.position, Image.content_id)
            .where(where)
            .order_by(Image.id)
            .limit(limit)
        )
        return [image_label(kind, pos, cid) for kind, pos, cid in rows]
    entity = _ENTITY[stage]
    column = Cluster.name if stage == 2 else entity.title  # type: ignore[attr-defined]
    return list(session.scalars(select(column).where(where).order_by(entity.id).limit(limit)))
