"""Failed items, and retrying them: each stage's failure state put back in its queue.

What a failure is, by stage (each stage's `fail()` sets it):
- 2: a cluster whose ideas failed is `failed`; retried, it is `new` again;
- 4: a task whose article failed is `failed` with its `error`; retried, `queued`;
- 6: an image that failed is `failed` with its `error`; retried, `pending`. An image marked
  `generated` whose file is gone counts as lost: retrying its article regenerates it too;
- 7: an article whose publishing failed is in `review` (the reason is in stage 7's log line);
  retried, it is a `draft` again, and its lost images are regenerated first, so that publishing
  can succeed.
Stage 1 leaves keywords it failed to cluster `new` (the next run takes them), stage 3 cannot
fail, and stage 5 publishes an article whose prompts failed without images: none has a failure
state to retry.

A retried item waits in its stage's queue: the active run takes it when that stage comes (a
stage it has passed waits for the next run), and only what then succeeds is charged.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from igny8_tui.automation.logger import AutomationLogger
from igny8_tui.automation.stages.images import image_label
from igny8_tui.automation.stages.publishing import publish_failure_prefix
from igny8_tui.db.models import ActivityLog, Cluster, Content, Image, Task
from igny8_tui.errors import InvalidInputError, NotFoundError
from igny8_tui.schemas import ItemFailure

RETRYABLE_STAGES = (2, 4, 6, 7)
# What --item names at each stage; without --stage it names an article.
ITEM_NOUNS = {2: "cluster", 4: "task", 6: "article", 7: "article"}
UNKNOWN_REASON = "no reason recorded"


def failed_count(session: Session, site_id: int) -> int:
    """The site's failed clusters, tasks, images and unpublished articles (indexed counts)."""
    counts = [
        select(func.count()).select_from(entity).where(site == site_id, status == value)
        for entity, site, status, value in (
            (Cluster, Cluster.site_id, Cluster.status, "failed"),
            (Task, Task.site_id, Task.status, "failed"),
            (Image, Image.site_id, Image.status, "failed"),
            (Content, Content.site_id, Content.status, "review"),
        )
    ]
    return sum(int(session.scalar(count) or 0) for count in counts)


def publish_failure(session: Session, content: Content) -> ItemFailure | None:
    """Why stage 7 last failed to publish the article (None unless it is in review)."""
    if content.status != "review":
        return None
    prefix = publish_failure_prefix(content.title)
    message = session.scalar(
        select(ActivityLog.message)
        .where(
            ActivityLog.site_id == content.site_id,
            ActivityLog.stage == 7,
            ActivityLog.message.startswith(prefix, autoescape=True),
        )
        .order_by(ActivityLog.id.desc())
        .limit(1)
    )
    reason = message[len(prefix) :] if message else UNKNOWN_REASON
    return ItemFailure(stage=7, item_id=content.id, what=_article(content), reason=reason)


def image_failure(image: Image) -> ItemFailure | None:
    """The image's failure: it failed, or it was generated and its file is gone."""
    if image.status == "failed":
        reason = image.error or UNKNOWN_REASON
    elif image.status == "generated" and not _file_exists(image.file_path):
        reason = f"its file {image.file_path} is missing"
    else:
        return None
    what = image_label(image.kind, image.position, image.content_id)
    return ItemFailure(stage=6, item_id=image.id, what=what, reason=reason)


def retry(
    session: Session, site_id: int, actor: str, stage: int | None, item_id: int | None
) -> list[ItemFailure]:
    """Put the site's failed items (of one stage, or one item) back in their queues; one log
    line each. `item_id` names a cluster (stage 2), a task (stage 4) or an article (otherwise).
    An item the site does not have is NotFoundError; nothing failed, an empty list."""
    if stage is not None and stage not in RETRYABLE_STAGES:
        raise InvalidInputError(
            f"--stage {stage}: only stages 2, 4, 6 and 7 have failed items to retry (stage 1 "
            "leaves keywords it could not cluster for the next run; stage 5 publishes without "
            "images)"
        )
    if item_id is not None:
        _check_item(session, site_id, stage, item_id)
    retried: list[ItemFailure] = []
    if stage in (None, 2) and (item_id is None or stage == 2):
        retried += _retry_clusters(session, site_id, item_id)
    if stage in (None, 4) and (item_id is None or stage == 4):
        retried += _retry_tasks(session, site_id, item_id)
    if stage in (None, 6, 7):
        retried += _retry_images(session, site_id, item_id, stage)
    if stage in (None, 7) or (stage == 6 and item_id is not None):
        retried += _retry_articles(session, site_id, item_id)
    log = AutomationLogger(site_id)
    for failure in retried:
        log.info(
            session,
            f"retried by {actor}: {failure.what} (stage {failure.stage}; it failed: "
            f"{failure.reason})",
            failure.stage,
        )
    return retried


def _check_item(session: Session, site_id: int, stage: int | None, item_id: int) -> None:
    noun = ITEM_NOUNS.get(stage or 7, "article")
    row: Cluster | Task | Content | None
    if noun == "cluster":
        row = session.get(Cluster, item_id)
    elif noun == "task":
        row = session.get(Task, item_id)
    else:
        row = session.get(Content, item_id)
    if row is None or row.site_id != site_id:
        raise NotFoundError(f"--item {item_id}: this site has no {noun} {item_id}")


def _retry_clusters(session: Session, site_id: int, item_id: int | None) -> list[ItemFailure]:
    query = select(Cluster).where(Cluster.site_id == site_id, Cluster.status == "failed")
    if item_id is not None:
        query = query.where(Cluster.id == item_id)
    retried = []
    for cluster in session.scalars(query.order_by(Cluster.id)):
        cluster.status = "new"
        reason = _logged_reason(session, site_id, 2, f"ideas failed for {cluster.name!r}: ")
        what = f"cluster {cluster.id} {cluster.name!r}"
        retried.append(ItemFailure(stage=2, item_id=cluster.id, what=what, reason=reason))
    return retried


def _retry_tasks(session: Session, site_id: int, item_id: int | None) -> list[ItemFailure]:
    query = select(Task).where(Task.site_id == site_id, Task.status == "failed")
    if item_id is not None:
        query = query.where(Task.id == item_id)
    retried = []
    for task in session.scalars(query.order_by(Task.id)):
        failure = task_failure(task)
        task.status, task.error = "queued", None
        retried.append(failure)
    return retried


def task_failure(task: Task) -> ItemFailure:
    what = f"task {task.id} {task.title!r}"
    return ItemFailure(stage=4, item_id=task.id, what=what, reason=task.error or UNKNOWN_REASON)


def _retry_images(
    session: Session, site_id: int, content_id: int | None, stage: int | None
) -> list[ItemFailure]:
    """The failed and lost images of one article; else the site's failed images (stage 6), the
    failed and lost images of its articles in review (stage 7), or both."""
    query = select(Image).where(Image.site_id == site_id)
    in_review = select(Content.id).where(Content.site_id == site_id, Content.status == "review")
    if content_id is not None:
        query = query.where(Image.content_id == content_id)
    elif stage == 6:
        query = query.where(Image.status == "failed")
    elif stage == 7:
        query = query.where(Image.content_id.in_(in_review))
    else:
        query = query.where((Image.status == "failed") | Image.content_id.in_(in_review))
    return _requeue_images(session.scalars(query.order_by(Image.id)))


def _requeue_images(images: Iterable[Image]) -> list[ItemFailure]:
    retried = []
    for image in images:
        failure = image_failure(image)
        if failure is None:
            continue
        image.status, image.error, image.file_path = "pending", None, None
        retried.append(failure)
    return retried


def _retry_articles(session: Session, site_id: int, content_id: int | None) -> list[ItemFailure]:
    query = select(Content).where(Content.site_id == site_id, Content.status == "review")
    if content_id is not None:
        query = query.where(Content.id == content_id)
    retried = []
    for content in session.scalars(query.order_by(Content.id)):
        failure = publish_failure(session, content)
        assert failure is not None  # it is in review
        content.status = "draft"
        retried.append(failure)
    return retried


def _logged_reason(session: Session, site_id: int, stage: int, prefix: str) -> str:
    message = session.scalar(
        select(ActivityLog.message)
        .where(
            ActivityLog.site_id == site_id,
            ActivityLog.stage == stage,
            ActivityLog.message.startswith(prefix, autoescape=True),
        )
        .order_by(ActivityLog.id.desc())
        .limit(1)
    )
    return message[len(prefix) :] if message else UNKNOWN_REASON


def _article(content: Content) -> str:
    return f"article {content.id} {content.title!r}"


def _file_exists(path: str | None) -> bool:
    return path is not None and Path(path).is_file()
